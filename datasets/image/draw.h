// Drawing helpers for pictures we write: predicted boxes with labels, synthetic scenes, plots.
// Every helper clips to the image, so callers may pass shapes that stick out of it.
// Coordinates are pixel indices; rectangles are inclusive [x0, x1] x [y0, y1].
#pragma once

#include <cstdint>
#include <string_view>

#include "datasets/image/image.h"

namespace mdetr::image {

struct PixelRect {
  int x0 = 0;
  int y0 = 0;
  int x1 = 0;  // inclusive
  int y1 = 0;  // inclusive
};

void FillRect(Image* image, const PixelRect& rect, Rgb color);

// Outline whose `line_width` pixels grow inwards from the rectangle's edge, so the outer extent
// is exactly `rect` (a box drawn around an object never covers pixels outside it).
void DrawRect(Image* image, const PixelRect& rect, Rgb color, int line_width);

// Pixels whose centre lies within `radius` of (cx, cy): (x - cx)^2 + (y - cy)^2 <= radius^2.
void FillCircle(Image* image, double cx, double cy, double radius, Rgb color);

// Pixels whose centre lies inside the triangle (edges included).
void FillTriangle(Image* image, double ax, double ay, double bx, double by, double cx, double cy, Rgb color);

// Line of 1-pixel width from (x0, y0) to (x1, y1) (Bresenham), for curves and plots.
void DrawLine(Image* image, int x0, int y0, int x1, int y1, Rgb color);

// Text in the built-in 5x7 font, each font pixel drawn as a scale x scale block, top-left corner
// at (x, y). Newlines start a new line.
void DrawText(Image* image, int x, int y, std::string_view text, Rgb color, int scale = 1);

// Size in pixels DrawText covers for `text` at `scale` (widest line x number of lines).
int TextWidth(std::string_view text, int scale = 1);
int TextHeight(std::string_view text, int scale = 1);

// A filled label box with text inside, the usual caption on top of a detection: placed above
// (x, y) when there is room, else below it.
void DrawLabel(Image* image, int x, int y, std::string_view text, Rgb text_color, Rgb background,
               int scale = 1);

// A translucent overlay of a segmentation mask: each pixel where `mask` (image->height() rows of
// image->width() bytes, row-major, non-zero = inside) is set becomes
// (1 - alpha) * pixel + alpha * color, rounded; alpha is clamped to [0, 1].
void BlendMask(Image* image, const uint8_t* mask, Rgb color, double alpha);

}  // namespace mdetr::image
