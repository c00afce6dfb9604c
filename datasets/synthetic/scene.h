// Synthetic scenes: coloured circles, squares and triangles in two sizes on a plain background,
// with every object's visible pixels tracked so annotations match what is drawn.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "datasets/image/draw.h"
#include "datasets/image/image.h"
#include "datasets/synthetic/rng.h"

namespace mdetr::synthetic {

enum class Shape { kCircle = 0, kSquare = 1, kTriangle = 2 };
enum class SizeClass { kSmall = 0, kLarge = 1 };

inline constexpr int kNumShapes = 3;
inline constexpr int kNumSizes = 2;

struct NamedColor {
  const char* name;
  image::Rgb rgb;
};

// The object colours; no background colour equals any of them.
const std::vector<NamedColor>& Palette();
const char* ShapeName(Shape shape);
const char* SizeName(SizeClass size);

struct SceneObject {
  Shape shape = Shape::kCircle;
  SizeClass size = SizeClass::kSmall;
  int color = 0;  // index into Palette()
  // Where the shape was drawn: top-left corner and edge length (a circle's diameter).
  int x = 0;
  int y = 0;
  int extent = 0;
  // Tight box of the object's visible pixels (inclusive), and their count.
  image::PixelRect box;
  int visible_pixels = 0;
  int drawn_pixels = 0;  // pixels before later objects covered some of them
};

struct Scene {
  image::Image image;
  image::Rgb background;
  std::vector<SceneObject> objects;  // in drawing order
};

struct SceneOptions {
  int min_size = 128;  // image edge lengths, drawn uniformly in [min_size, max_size]
  int max_size = 256;
  int min_objects = 2;
  int max_objects = 5;
  double min_visible_fraction = 0.6;  // occlusion limit: at least this share of each shape stays visible
  // Shape edge as a percentage of the image's short side: small shapes this, large ones twice it.
  int small_shape_percent = 13;
};

// Draws one scene. Objects may overlap, but a placement that would leave any object less than
// min_visible_fraction visible is retried, then dropped.
Scene GenerateScene(Rng& rng, const SceneOptions& options);

}  // namespace mdetr::synthetic
