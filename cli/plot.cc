#include "cli/plot.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "datasets/image/codec.h"
#include "datasets/image/draw.h"

namespace mdetr::cli {

Status PlotPng(const std::string& path, const std::vector<std::pair<std::string, std::vector<Series>>>& charts) {
  const int panel_w = 560, panel_h = 300, margin = 48;
  const int width = panel_w, height = static_cast<int>(std::max<size_t>(charts.size(), 1)) * panel_h;
  image::Image img(width, height, {255, 255, 255});
  const image::Rgb colors[] = {{31, 119, 180}, {255, 127, 14}, {44, 160, 44}, {214, 39, 40}, {148, 103, 189},
                               {140, 86, 75},  {227, 119, 194}, {127, 127, 127}};
  for (size_t c = 0; c < charts.size(); ++c) {
    const int top = static_cast<int>(c) * panel_h;
    const auto& [title, series] = charts[c];
    double x0 = 1e300, x1 = -1e300, y0 = 1e300, y1 = -1e300;
    for (const auto& s : series) {
      for (const auto& [x, y] : s.points) {
        if (!std::isfinite(y)) continue;
        x0 = std::min(x0, x);
        x1 = std::max(x1, x);
        y0 = std::min(y0, y);
        y1 = std::max(y1, y);
      }
    }
    if (x0 > x1) continue;
    if (x1 == x0) x1 = x0 + 1;
    if (y1 == y0) y1 = y0 + 1;
    const int left = margin, right = panel_w - 12, bottom = top + panel_h - 30, ptop = top + 28;
    auto px = [&](double x) { return left + static_cast<int>((x - x0) / (x1 - x0) * (right - left)); };
    auto py = [&](double y) { return bottom - static_cast<int>((y - y0) / (y1 - y0) * (bottom - ptop)); };
    image::DrawRect(&img, {left, ptop, right, bottom}, {160, 160, 160}, 1);
    image::DrawText(&img, left, top + 8, title, {0, 0, 0}, 2);
    char label[64];
    std::snprintf(label, sizeof(label), "%.3g", y1);
    image::DrawText(&img, 2, ptop, label, {80, 80, 80});
    std::snprintf(label, sizeof(label), "%.3g", y0);
    image::DrawText(&img, 2, bottom - 8, label, {80, 80, 80});
    std::snprintf(label, sizeof(label), "step %.0f", x1);
    image::DrawText(&img, right - image::TextWidth(label), bottom + 6, label, {80, 80, 80});
    int legend_y = ptop + 4;
    for (size_t si = 0; si < series.size(); ++si) {
      const auto color = colors[si % 8];
      const auto& pts = series[si].points;
      for (size_t i = 1; i < pts.size(); ++i) {
        image::DrawLine(&img, px(pts[i - 1].first), py(pts[i - 1].second), px(pts[i].first), py(pts[i].second), color);
      }
      if (pts.size() == 1) image::FillCircle(&img, px(pts[0].first), py(pts[0].second), 3, color);
      image::DrawLabel(&img, right - 8 - image::TextWidth(series[si].name), legend_y, series[si].name, {255, 255, 255},
                       color);
      legend_y += 12;
    }
  }
  return image::WritePngFile(img, path);
}

}  // namespace mdetr::cli
