#include "datasets/eval/coco_polygon.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

namespace mdetr::eval {
namespace {

// The outline is traced on a grid this many times finer than the pixels.
constexpr double kUpsample = 5.0;
// Coordinates are clamped to this many pixels: pycocotools converts the upsampled coordinates to
// a C int, undefined (and an enormous trace) far beyond any image.
constexpr double kCoordinateLimit = 1e6;

double Clamped(double c) {
  if (std::isnan(c)) return 0.0;
  return std::clamp(c, -kCoordinateLimit, kCoordinateLimit);
}

// C's (int)(v + 0.5): half up, then truncation towards zero (so not a rounding below -0.5). Kept
// as is: the outline's grid points, and hence the pixels, depend on it for negative coordinates.
int64_t AddHalfTruncate(double v) { return static_cast<int64_t>(v + 0.5); }

// Collects, along the traced outline, the points where it moves to another grid column, as
// column-major pixel positions (x * height + y) of the first pixel below the crossing.
class CrossingCollector {
 public:
  CrossingCollector(int height, int width) : height_(height), width_(width) {}

  void Visit(int64_t u, int64_t v) {
    if (has_previous_ && u != previous_u_) Cross(u, v);
    previous_u_ = u;
    previous_v_ = v;
    has_previous_ = true;
  }

  std::vector<uint64_t>& positions() { return positions_; }

 private:
  // Grid coordinate g is pixel coordinate (g + 0.5) / 5 - 0.5 = (g - 2) / 5. pycocotools computes
  // this in double precision; it is exact where it is an integer and at least 0.2 away from one
  // elsewhere, so the integer arithmetic below takes the same decisions.
  void Cross(int64_t u, int64_t v) {
    // The grid column left of the crossing; only those through a pixel centre (5k + 2) count.
    const int64_t left = (u < previous_u_ ? u : u - 1) - 2;
    if (left < 0 || left % 5 != 0) return;
    const int64_t column = left / 5;
    if (column > width_ - 1) return;
    // The first pixel centre at or below the crossing, kept within [0, height].
    const int64_t below = std::min(v, previous_v_) - 2;
    const int64_t row = below <= 0 ? 0 : std::min<int64_t>((below + 4) / 5, height_);
    positions_.push_back(static_cast<uint64_t>(column) * static_cast<uint64_t>(height_) +
                         static_cast<uint64_t>(row));
  }

  int height_;
  int width_;
  bool has_previous_ = false;
  int64_t previous_u_ = 0;
  int64_t previous_v_ = 0;
  std::vector<uint64_t> positions_;
};

// Visits the grid points of the edge from (xs, ys) to (xe, ye), both ends included, in that order.
// The coordinate that changes most advances one grid step at a time; the other is interpolated
// from the edge's lower end in that coordinate (whichever way the edge runs), which decides the
// rounding.
void TraceEdge(int64_t xs, int64_t ys, int64_t xe, int64_t ye, CrossingCollector* out) {
  const int64_t dx = std::llabs(xe - xs);
  const int64_t dy = std::llabs(ye - ys);
  // A repeated vertex: pycocotools' slope is 0/0 there, but the point shares its grid column with
  // both neighbours wherever a crossing could count, so it adds none; skipping it is the same.
  if (dx == 0 && dy == 0) return;
  const bool along_x = dx >= dy;
  const bool reversed = along_x ? xs > xe : ys > ye;
  const int64_t x0 = reversed ? xe : xs;
  const int64_t y0 = reversed ? ye : ys;
  const int64_t x1 = reversed ? xs : xe;
  const int64_t y1 = reversed ? ys : ye;
  const int64_t steps = along_x ? dx : dy;
  const double slope = along_x ? static_cast<double>(y1 - y0) / static_cast<double>(dx)
                               : static_cast<double>(x1 - x0) / static_cast<double>(dy);
  for (int64_t d = 0; d <= steps; ++d) {
    const int64_t t = reversed ? steps - d : d;
    // Separate statements: no fused multiply-add, whose single rounding could move a point.
    const double offset = slope * static_cast<double>(t);
    if (along_x) {
      const double y = static_cast<double>(y0) + offset;
      out->Visit(x0 + t, AddHalfTruncate(y));
    } else {
      const double x = static_cast<double>(x0) + offset;
      out->Visit(AddHalfTruncate(x), y0 + t);
    }
  }
}

}  // namespace

CocoRle CocoPolygonToRle(const double* xy, size_t num_coords, int height, int width) {
  CocoRle rle;
  rle.height = std::max(height, 0);
  rle.width = std::max(width, 0);
  const uint64_t total = static_cast<uint64_t>(rle.height) * static_cast<uint64_t>(rle.width);
  const size_t n = num_coords / 2;
  CrossingCollector crossings(rle.height, rle.width);
  if (n > 0) {
    std::vector<int64_t> gx(n), gy(n);
    for (size_t k = 0; k < n; ++k) {
      gx[k] = AddHalfTruncate(kUpsample * Clamped(xy[2 * k]));
      gy[k] = AddHalfTruncate(kUpsample * Clamped(xy[2 * k + 1]));
    }
    for (size_t k = 0; k < n; ++k) {
      const size_t next = (k + 1) % n;
      TraceEdge(gx[k], gy[k], gx[next], gy[next], &crossings);
    }
  }
  // Each crossing toggles inside/outside from its position on (column-major); crossings at the
  // same position cancel in pairs, and one at the very end changes nothing.
  std::vector<uint64_t>& at = crossings.positions();
  std::sort(at.begin(), at.end());
  uint64_t last = 0;
  for (size_t i = 0; i < at.size();) {
    size_t j = i;
    while (j < at.size() && at[j] == at[i]) ++j;
    if ((j - i) % 2 == 1 && at[i] < total) {
      rle.counts.push_back(static_cast<uint32_t>(at[i] - last));
      last = at[i];
    }
    i = j;
  }
  rle.counts.push_back(static_cast<uint32_t>(total - last));
  return rle;
}

void RasterizePolygonCoco(const double* xy, size_t num_coords, BinaryMask* mask) {
  const CocoRle rle = CocoPolygonToRle(xy, num_coords, mask->height, mask->width);
  const uint64_t h = static_cast<uint64_t>(rle.height);
  const uint64_t w = static_cast<uint64_t>(rle.width);
  uint64_t start = 0;
  for (size_t r = 0; r < rle.counts.size(); ++r) {
    const uint64_t end = start + rle.counts[r];
    if (r % 2 == 1) {
      // A run of 1s goes down a column and may continue at the top of the next ones.
      uint64_t x = start / h;
      uint64_t y = start % h;
      for (uint64_t p = start; p < end; ++p) {
        mask->pixels[y * w + x] = 1;
        if (++y == h) {
          y = 0;
          ++x;
        }
      }
    }
    start = end;
  }
}

}  // namespace mdetr::eval
