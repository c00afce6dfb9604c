#include "datasets/image/draw.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "datasets/image/bitmap_font.h"

namespace mdetr::image {

void FillRect(Image* image, const PixelRect& rect, Rgb color) {
  const int x0 = std::max(rect.x0, 0);
  const int y0 = std::max(rect.y0, 0);
  const int x1 = std::min(rect.x1, image->width() - 1);
  const int y1 = std::min(rect.y1, image->height() - 1);
  for (int y = y0; y <= y1; ++y) {
    for (int x = x0; x <= x1; ++x) image->Set(x, y, color);
  }
}

void DrawRect(Image* image, const PixelRect& rect, Rgb color, int line_width) {
  if (line_width <= 0 || rect.x1 < rect.x0 || rect.y1 < rect.y0) return;
  const int w = line_width - 1;
  FillRect(image, {rect.x0, rect.y0, rect.x1, std::min(rect.y0 + w, rect.y1)}, color);
  FillRect(image, {rect.x0, std::max(rect.y1 - w, rect.y0), rect.x1, rect.y1}, color);
  FillRect(image, {rect.x0, rect.y0, std::min(rect.x0 + w, rect.x1), rect.y1}, color);
  FillRect(image, {std::max(rect.x1 - w, rect.x0), rect.y0, rect.x1, rect.y1}, color);
}

void FillCircle(Image* image, double cx, double cy, double radius, Rgb color) {
  const int y0 = std::max(0, static_cast<int>(std::floor(cy - radius)));
  const int y1 = std::min(image->height() - 1, static_cast<int>(std::ceil(cy + radius)));
  const int x0 = std::max(0, static_cast<int>(std::floor(cx - radius)));
  const int x1 = std::min(image->width() - 1, static_cast<int>(std::ceil(cx + radius)));
  const double r2 = radius * radius;
  for (int y = y0; y <= y1; ++y) {
    for (int x = x0; x <= x1; ++x) {
      const double dx = x - cx;
      const double dy = y - cy;
      if (dx * dx + dy * dy <= r2) image->Set(x, y, color);
    }
  }
}

namespace {
double EdgeSide(double ax, double ay, double bx, double by, double px, double py) {
  return (bx - ax) * (py - ay) - (by - ay) * (px - ax);
}
}  // namespace

void FillTriangle(Image* image, double ax, double ay, double bx, double by, double cx, double cy, Rgb color) {
  const int x0 = std::max(0, static_cast<int>(std::floor(std::min({ax, bx, cx}))));
  const int x1 = std::min(image->width() - 1, static_cast<int>(std::ceil(std::max({ax, bx, cx}))));
  const int y0 = std::max(0, static_cast<int>(std::floor(std::min({ay, by, cy}))));
  const int y1 = std::min(image->height() - 1, static_cast<int>(std::ceil(std::max({ay, by, cy}))));
  for (int y = y0; y <= y1; ++y) {
    for (int x = x0; x <= x1; ++x) {
      const double e0 = EdgeSide(ax, ay, bx, by, x, y);
      const double e1 = EdgeSide(bx, by, cx, cy, x, y);
      const double e2 = EdgeSide(cx, cy, ax, ay, x, y);
      const bool inside = (e0 >= 0 && e1 >= 0 && e2 >= 0) || (e0 <= 0 && e1 <= 0 && e2 <= 0);
      if (inside) image->Set(x, y, color);
    }
  }
}

void DrawLine(Image* image, int x0, int y0, int x1, int y1, Rgb color) {
  const int dx = std::abs(x1 - x0);
  const int dy = -std::abs(y1 - y0);
  const int sx = x0 < x1 ? 1 : -1;
  const int sy = y0 < y1 ? 1 : -1;
  int err = dx + dy;
  while (true) {
    image->SetClipped(x0, y0, color);
    if (x0 == x1 && y0 == y1) break;
    const int e2 = 2 * err;
    if (e2 >= dy) {
      err += dy;
      x0 += sx;
    }
    if (e2 <= dx) {
      err += dx;
      y0 += sy;
    }
  }
}

void DrawText(Image* image, int x, int y, std::string_view text, Rgb color, int scale) {
  scale = std::max(scale, 1);
  int pen_x = x;
  int pen_y = y;
  for (char c : text) {
    if (c == '\n') {
      pen_x = x;
      pen_y += (kGlyphHeight + 1) * scale;
      continue;
    }
    const Glyph& glyph = GlyphFor(c);
    for (int gy = 0; gy < kGlyphHeight; ++gy) {
      for (int gx = 0; gx < kGlyphWidth; ++gx) {
        if ((glyph[gy] >> (kGlyphWidth - 1 - gx) & 1u) == 0) continue;
        FillRect(image,
                 {pen_x + gx * scale, pen_y + gy * scale, pen_x + (gx + 1) * scale - 1,
                  pen_y + (gy + 1) * scale - 1},
                 color);
      }
    }
    pen_x += kGlyphAdvance * scale;
  }
}

int TextWidth(std::string_view text, int scale) {
  scale = std::max(scale, 1);
  int widest = 0;
  int current = 0;
  for (char c : text) {
    current = c == '\n' ? 0 : current + 1;
    widest = std::max(widest, current);
  }
  // The trailing spacing column after the last glyph is not ink.
  return widest == 0 ? 0 : (widest * kGlyphAdvance - 1) * scale;
}

int TextHeight(std::string_view text, int scale) {
  scale = std::max(scale, 1);
  if (text.empty()) return 0;
  const int lines = 1 + static_cast<int>(std::count(text.begin(), text.end(), '\n'));
  return (lines * (kGlyphHeight + 1) - 1) * scale;
}

void DrawLabel(Image* image, int x, int y, std::string_view text, Rgb text_color, Rgb background, int scale) {
  const int pad = std::max(scale, 1);
  const int w = TextWidth(text, scale) + 2 * pad;
  const int h = TextHeight(text, scale) + 2 * pad;
  const int top = y - h >= 0 ? y - h : y;
  FillRect(image, {x, top, x + w - 1, top + h - 1}, background);
  DrawText(image, x + pad, top + pad, text, text_color, scale);
}

void BlendMask(Image* image, const uint8_t* mask, Rgb color, double alpha) {
  const double a = std::clamp(alpha, 0.0, 1.0);
  auto mix = [a](uint8_t base, uint8_t over) {
    return static_cast<uint8_t>(std::lround((1.0 - a) * base + a * over));
  };
  for (int y = 0; y < image->height(); ++y) {
    const uint8_t* m = mask + static_cast<size_t>(y) * static_cast<size_t>(image->width());
    uint8_t* p = image->row(y);
    for (int x = 0; x < image->width(); ++x, p += 3) {
      if (m[x] == 0) continue;
      p[0] = mix(p[0], color.r);
      p[1] = mix(p[1], color.g);
      p[2] = mix(p[2], color.b);
    }
  }
}

}  // namespace mdetr::image
