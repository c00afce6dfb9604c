#include "datasets/image/draw.h"

#include <gtest/gtest.h>

#include "datasets/image/bitmap_font.h"

namespace mdetr::image {
namespace {

constexpr Rgb kBlack{0, 0, 0};
constexpr Rgb kRed{255, 0, 0};
constexpr Rgb kWhite{255, 255, 255};

int CountColor(const Image& image, Rgb c) {
  int n = 0;
  for (int y = 0; y < image.height(); ++y) {
    for (int x = 0; x < image.width(); ++x) n += image.At(x, y) == c ? 1 : 0;
  }
  return n;
}

TEST(DrawTest, RectangleOutlineHasTheRequestedWidthInsideTheBox) {
  Image image(20, 20, kBlack);
  DrawRect(&image, {2, 3, 11, 15}, kRed, 2);
  // Outer extent is the rectangle itself.
  EXPECT_EQ(image.At(2, 3), kRed);
  EXPECT_EQ(image.At(11, 15), kRed);
  EXPECT_EQ(image.At(1, 3), kBlack);
  EXPECT_EQ(image.At(12, 15), kBlack);
  // Two pixels thick, hollow inside.
  EXPECT_EQ(image.At(3, 9), kRed);
  EXPECT_EQ(image.At(4, 9), kBlack);
  EXPECT_EQ(image.At(6, 4), kRed);
  EXPECT_EQ(image.At(6, 5), kBlack);
  // 10x13 box minus its 6x9 interior.
  EXPECT_EQ(CountColor(image, kRed), 10 * 13 - 6 * 9);
}

TEST(DrawTest, ShapesClipAtTheBorder) {
  Image image(10, 10, kBlack);
  DrawRect(&image, {-5, -5, 30, 30}, kRed, 3);
  FillCircle(&image, -3, -3, 100, kWhite);
  EXPECT_EQ(CountColor(image, kWhite), 100);
  DrawLine(&image, -10, 5, 20, 5, kRed);
  EXPECT_EQ(CountColor(image, kRed), 10);
}

TEST(DrawTest, CircleAndTriangleAreaMatchGeometry) {
  Image image(200, 200, kBlack);
  FillCircle(&image, 100, 100, 40, kRed);
  const double circle = CountColor(image, kRed);
  EXPECT_NEAR(circle / (3.14159265 * 40 * 40), 1.0, 0.02);
  Image tri(200, 200, kBlack);
  FillTriangle(&tri, 10, 190, 190, 190, 100, 10, kWhite);
  EXPECT_NEAR(CountColor(tri, kWhite) / (0.5 * 180 * 180), 1.0, 0.03);
}

TEST(DrawTest, TextUsesTheBitmapFontAndScales) {
  Image image(40, 20, kBlack);
  DrawText(&image, 1, 1, "1", kWhite, 2);
  // Glyph '1' has 10 ink pixels at scale 1; each is a 2x2 block.
  int ink = 0;
  for (uint8_t row : GlyphFor('1')) ink += __builtin_popcount(row);
  EXPECT_EQ(ink, 10);
  EXPECT_EQ(CountColor(image, kWhite), 4 * ink);
  EXPECT_EQ(TextWidth("ab", 1), 11);
  EXPECT_EQ(TextHeight("a\nb", 2), 30);
  // Lower case shares the upper-case glyphs.
  EXPECT_EQ(GlyphFor('a'), GlyphFor('A'));
  EXPECT_NE(GlyphFor('A'), GlyphFor('B'));
}

TEST(DrawTest, LabelGoesAboveThePointWhenThereIsRoom) {
  Image image(60, 40, kBlack);
  DrawLabel(&image, 5, 30, "cat 0.9", kBlack, kWhite);
  EXPECT_EQ(image.At(5, 29), kWhite);
  EXPECT_EQ(image.At(5, 31), kBlack);
  Image top(60, 40, kBlack);
  DrawLabel(&top, 5, 2, "cat", kBlack, kWhite);
  EXPECT_EQ(top.At(5, 2), kWhite);
}

}  // namespace
}  // namespace mdetr::image
