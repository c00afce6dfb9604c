// Binary masks, and polygon filling that reproduces Pillow's ImageDraw.polygon(fill=1) pixel for
// pixel (scan-line fill with float32 edge crossings, as libImaging/Draw.c), which is how the
// PhraseCut evaluator turns ground-truth polygons into masks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace mdetr::eval {

struct BinaryMask {
  int width = 0;
  int height = 0;
  std::vector<uint8_t> pixels;  // row-major, 0 or 1

  BinaryMask() = default;
  BinaryMask(int w, int h)
      : width(w), height(h), pixels(static_cast<size_t>(w) * static_cast<size_t>(h), 0) {}
  uint8_t at(int x, int y) const { return pixels[static_cast<size_t>(y) * static_cast<size_t>(width) + x]; }
  int64_t count() const;
};

struct IntPoint {
  int x = 0;
  int y = 0;
};

// Sets to 1 the pixels Pillow fills for this polygon (integer vertices, closed implicitly).
void FillPolygon(const std::vector<IntPoint>& polygon, BinaryMask* mask);

}  // namespace mdetr::eval
