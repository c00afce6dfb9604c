#include "datasets/synthetic/scene.h"

#include <algorithm>

namespace mdetr::synthetic {
namespace {

constexpr image::Rgb kBackgrounds[] = {{236, 236, 236}, {214, 214, 214}, {246, 240, 226}};
constexpr int kPlacementTries = 30;

// Paints one object onto any image; used both for the picture and for the label map, so the
// two agree pixel for pixel.
void Paint(image::Image* target, const SceneObject& o, image::Rgb color) {
  const double e = o.extent;
  switch (o.shape) {
    case Shape::kCircle:
      image::FillCircle(target, o.x + (e - 1) / 2.0, o.y + (e - 1) / 2.0, (e - 1) / 2.0, color);
      break;
    case Shape::kSquare:
      image::FillRect(target, {o.x, o.y, o.x + o.extent - 1, o.y + o.extent - 1}, color);
      break;
    case Shape::kTriangle:
      image::FillTriangle(target, o.x, o.y + e - 1, o.x + e - 1, o.y + e - 1, o.x + (e - 1) / 2.0, o.y,
                          color);
      break;
  }
}

// Label map: red channel = 1 + object index, 0 = background. Recomputes every object's
// visible box and pixel count; returns false if one falls under the visibility limit.
bool Measure(int width, int height, std::vector<SceneObject>* objects, double min_visible_fraction) {
  image::Image labels(width, height);
  for (size_t i = 0; i < objects->size(); ++i) {
    Paint(&labels, (*objects)[i], image::Rgb{static_cast<uint8_t>(i + 1), 0, 0});
  }
  for (auto& o : *objects) {
    o.visible_pixels = 0;
    o.box = {width, height, -1, -1};
  }
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      const int label = labels.At(x, y).r;
      if (label == 0) continue;
      SceneObject& o = (*objects)[label - 1];
      ++o.visible_pixels;
      o.box = {std::min(o.box.x0, x), std::min(o.box.y0, y), std::max(o.box.x1, x), std::max(o.box.y1, y)};
    }
  }
  for (const auto& o : *objects) {
    if (o.visible_pixels < min_visible_fraction * o.drawn_pixels) return false;
  }
  return true;
}

int DrawnPixels(int width, int height, const SceneObject& o) {
  image::Image alone(width, height);
  Paint(&alone, o, image::Rgb{1, 0, 0});
  int n = 0;
  for (size_t i = 0; i < alone.size_bytes(); i += 3) n += alone.data()[i];
  return n;
}

}  // namespace

const std::vector<NamedColor>& Palette() {
  static const std::vector<NamedColor> palette = {
      {"red", {220, 40, 40}},     {"green", {40, 160, 60}},   {"blue", {40, 80, 220}},
      {"yellow", {240, 200, 30}}, {"purple", {140, 60, 170}},
  };
  return palette;
}

const char* ShapeName(Shape shape) {
  switch (shape) {
    case Shape::kCircle:
      return "circle";
    case Shape::kSquare:
      return "square";
    case Shape::kTriangle:
      return "triangle";
  }
  return "?";
}

const char* SizeName(SizeClass size) { return size == SizeClass::kSmall ? "small" : "large"; }

Scene GenerateScene(Rng& rng, const SceneOptions& options) {
  Scene scene;
  const int width = rng.Int(options.min_size, options.max_size);
  const int height = rng.Int(options.min_size, options.max_size);
  scene.background = kBackgrounds[rng.Int(0, 2)];
  const int short_side = std::min(width, height);
  const int count = rng.Int(options.min_objects, options.max_objects);
  for (int n = 0; n < count; ++n) {
    SceneObject o;
    o.shape = static_cast<Shape>(rng.Int(0, kNumShapes - 1));
    o.size = static_cast<SizeClass>(rng.Int(0, kNumSizes - 1));
    o.color = rng.Int(0, static_cast<int>(Palette().size()) - 1);
    // Large shapes are twice the small ones, so "small"/"large" never overlap in pixel size.
    const int percent = options.small_shape_percent * (o.size == SizeClass::kSmall ? 1 : 2);
    o.extent = std::min(short_side, std::max(8, percent * short_side / 100));
    o.drawn_pixels = 0;
    for (int attempt = 0; attempt < kPlacementTries; ++attempt) {
      o.x = rng.Int(0, width - o.extent);
      o.y = rng.Int(0, height - o.extent);
      o.drawn_pixels = DrawnPixels(width, height, o);
      std::vector<SceneObject> trial = scene.objects;
      trial.push_back(o);
      if (Measure(width, height, &trial, options.min_visible_fraction)) {
        scene.objects = std::move(trial);
        break;
      }
    }
  }
  scene.image = image::Image(width, height, scene.background);
  for (const auto& o : scene.objects) Paint(&scene.image, o, Palette()[o.color].rgb);
  return scene;
}

}  // namespace mdetr::synthetic
