#include "datasets/eval/polygon_raster.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace mdetr::eval {
namespace {

struct Edge {
  int x0 = 0;
  int y0 = 0;
  int xmin = 0;
  int ymin = 0;
  int xmax = 0;
  int ymax = 0;
  float dx = 0;
};

Edge MakeEdge(int x0, int y0, int x1, int y1) {
  Edge e;
  e.xmin = std::min(x0, x1);
  e.xmax = std::max(x0, x1);
  e.ymin = std::min(y0, y1);
  e.ymax = std::max(y0, y1);
  e.dx = y0 == y1 ? 0.0f : static_cast<float>(x1 - x0) / static_cast<float>(y1 - y0);
  e.x0 = x0;
  e.y0 = y0;
  return e;
}

// Pillow's rounding of span ends: half away from zero for the start, half towards zero for the end.
// The positive branch adds in float, the negative one in double (fabs returns a double), as the
// C macros do.
int RoundUp(float f) {
  if (f >= 0.0f) {
    const float shifted = f + 0.5f;
    return static_cast<int>(std::floor(shifted));
  }
  return static_cast<int>(-std::floor(std::fabs(static_cast<double>(f)) + 0.5));
}
int RoundDown(float f) {
  if (f >= 0.0f) {
    const float shifted = f - 0.5f;
    return static_cast<int>(std::ceil(shifted));
  }
  return static_cast<int>(-std::ceil(std::fabs(static_cast<double>(f)) - 0.5));
}

void HLine(BinaryMask* m, int x0, int y, int x1) {
  if (y < 0 || y >= m->height) return;
  if (x0 < 0) {
    x0 = 0;
  } else if (x0 >= m->width) {
    return;
  }
  if (x1 < 0) return;
  if (x1 >= m->width) x1 = m->width - 1;
  if (x0 > x1) return;
  std::memset(m->pixels.data() + static_cast<size_t>(y) * static_cast<size_t>(m->width) + x0, 1,
              static_cast<size_t>(x1) - static_cast<size_t>(x0) + 1);
}

float CrossingAt(const Edge& e, int y) {
  const float along = static_cast<float>(y - e.y0) * e.dx;
  return along + static_cast<float>(e.x0);
}

void FillEdges(const std::vector<Edge>& edges, BinaryMask* m) {
  if (edges.empty()) return;
  int ymin = m->height - 1;
  int ymax = 0;
  std::vector<const Edge*> table;
  for (const Edge& e : edges) {
    ymin = std::min(ymin, e.ymin);
    ymax = std::max(ymax, e.ymax);
    if (e.ymin == e.ymax) {
      HLine(m, e.xmin, e.ymin, e.xmax);  // horizontal edges are drawn as they are
      continue;
    }
    table.push_back(&e);
  }
  ymin = std::max(ymin, 0);
  ymax = std::min(ymax, m->height);
  std::vector<float> xx;
  for (int y = ymin; y <= ymax; ++y) {
    xx.clear();
    for (size_t i = 0; i < table.size(); ++i) {
      const Edge& cur = *table[i];
      if (y < cur.ymin || y > cur.ymax) continue;
      xx.push_back(CrossingAt(cur, y));
      if (y == cur.ymax && y < ymax) {
        xx.push_back(xx.back());  // an edge ending here is counted twice, keeping pairs consistent
      } else if ((y == cur.ymin || y == cur.ymax) && cur.dx != 0) {
        // Corners where two slanted edges meet: widen the span to join them without a gap.
        for (size_t k = 0; k < i; ++k) {
          const Edge& other = *table[k];
          if ((y != other.ymin && y != other.ymax) || other.dx == 0) continue;
          if (std::roundf(xx.back()) != std::roundf(CrossingAt(other, y))) continue;
          const int offset = y == cur.ymax ? -1 : 1;
          const float adjacent = CrossingAt(cur, y + offset);
          if (y + offset >= other.ymin && y + offset <= other.ymax) {
            const float adjacent_other = CrossingAt(other, y + offset);
            float& last = xx.back();
            if (last > adjacent + 1 && last > adjacent_other + 1) {
              last = std::roundf(std::fmax(adjacent, adjacent_other)) + 1;
            } else if (last < adjacent - 1 && last < adjacent_other - 1) {
              last = std::roundf(std::fmin(adjacent, adjacent_other)) - 1;
            }
            break;
          }
        }
      }
    }
    std::sort(xx.begin(), xx.end());
    for (size_t i = 1; i < xx.size(); i += 2) HLine(m, RoundUp(xx[i - 1]), y, RoundDown(xx[i]));
  }
}

}  // namespace

int64_t BinaryMask::count() const {
  int64_t n = 0;
  for (uint8_t p : pixels) n += p != 0 ? 1 : 0;
  return n;
}

void FillPolygon(const std::vector<IntPoint>& p, BinaryMask* mask) {
  const size_t count = p.size();
  if (count == 0) return;
  std::vector<Edge> edges;
  edges.reserve(count);
  size_t i = 0;
  for (; i + 1 < count; ++i) {
    const int x0 = p[i].x, y0 = p[i].y, x1 = p[i + 1].x, y1 = p[i + 1].y;
    // Consecutive horizontal edges going the same way become one edge.
    if (y0 == y1 && i != 0 && y0 == p[i - 1].y) {
      Edge& last = edges.back();
      if (x1 > x0 && x0 > p[i - 1].x) {
        last.xmax = x1;
        continue;
      }
      if (x1 < x0 && x0 < p[i - 1].x) {
        last.xmin = x1;
        continue;
      }
    }
    edges.push_back(MakeEdge(x0, y0, x1, y1));
  }
  if (p[i].x != p[0].x || p[i].y != p[0].y) edges.push_back(MakeEdge(p[i].x, p[i].y, p[0].x, p[0].y));
  FillEdges(edges, mask);
}

}  // namespace mdetr::eval
