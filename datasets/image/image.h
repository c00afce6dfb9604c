// An 8-bit RGB image in row-major HWC layout: the form every decoder produces and every drawing
// helper and encoder consumes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace mdetr::image {

struct Rgb {
  uint8_t r = 0;
  uint8_t g = 0;
  uint8_t b = 0;

  friend bool operator==(const Rgb& x, const Rgb& y) { return x.r == y.r && x.g == y.g && x.b == y.b; }
  friend bool operator!=(const Rgb& x, const Rgb& y) { return !(x == y); }
};

// Owns width * height * 3 bytes. Copyable (deep copy) and cheap to move.
class Image {
 public:
  Image() = default;
  // Preconditions: width, height >= 0.
  Image(int width, int height, Rgb fill = {});

  int width() const { return width_; }
  int height() const { return height_; }
  bool empty() const { return width_ == 0 || height_ == 0; }
  size_t row_bytes() const { return static_cast<size_t>(width_) * 3; }
  size_t size_bytes() const { return pixels_.size(); }

  uint8_t* data() { return pixels_.data(); }
  const uint8_t* data() const { return pixels_.data(); }
  uint8_t* row(int y) { return pixels_.data() + static_cast<size_t>(y) * row_bytes(); }
  const uint8_t* row(int y) const { return pixels_.data() + static_cast<size_t>(y) * row_bytes(); }

  bool Contains(int x, int y) const { return x >= 0 && y >= 0 && x < width_ && y < height_; }
  // Preconditions: Contains(x, y).
  Rgb At(int x, int y) const {
    const uint8_t* p = row(y) + static_cast<size_t>(x) * 3;
    return Rgb{p[0], p[1], p[2]};
  }
  void Set(int x, int y, Rgb c) {
    uint8_t* p = row(y) + static_cast<size_t>(x) * 3;
    p[0] = c.r;
    p[1] = c.g;
    p[2] = c.b;
  }
  // Writes only when (x, y) is inside the image; drawing code clips through this.
  void SetClipped(int x, int y, Rgb c) {
    if (Contains(x, y)) Set(x, y, c);
  }

  friend bool operator==(const Image& a, const Image& b) {
    return a.width_ == b.width_ && a.height_ == b.height_ && a.pixels_ == b.pixels_;
  }

 private:
  int width_ = 0;
  int height_ = 0;
  std::vector<uint8_t> pixels_;
};

}  // namespace mdetr::image
