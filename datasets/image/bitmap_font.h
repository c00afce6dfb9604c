// A small built-in 5x7 bitmap font for labels drawn on images (no font files needed at run time).
// Covers digits, letters (lower case is drawn as upper case), space and common punctuation;
// other characters draw as a hollow box.
#pragma once

#include <array>
#include <cstdint>

namespace mdetr::image {

inline constexpr int kGlyphWidth = 5;
inline constexpr int kGlyphHeight = 7;
inline constexpr int kGlyphAdvance = 6;  // glyph width + one column of spacing

// Row bitmaps, top row first; bit 4 is the leftmost column.
using Glyph = std::array<uint8_t, kGlyphHeight>;

const Glyph& GlyphFor(char c);

}  // namespace mdetr::image
