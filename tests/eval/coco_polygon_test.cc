// COCO polygon rasterisation against pycocotools (tests/data/eval/coco_polygon.json, from
// tools/parity/eval/make_coco_polygon_goldens.py): seeded random polygons and the six instances of
// COCO image 39769, each polygon's run lengths and the union of an annotation's polygons.
#include <cmath>
#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "datasets/eval/coco_polygon.h"
#include "tests/support/test_paths.h"

namespace mdetr::eval {
namespace {

using nlohmann::json;

json Goldens() {
  std::ifstream in(testing::SourceDir() + "/tests/data/eval/coco_polygon.json");
  EXPECT_TRUE(in.good()) << "tests/data/eval/coco_polygon.json";
  return json::parse(in);
}

// COCO's compressed counts: per count, 5-bit groups, least significant first, as characters from
// '0'; 0x20 marks a following group and 0x10 in the last group the sign. From the third count on,
// a count is stored as its difference to the count two before.
std::vector<uint32_t> DecodeCounts(const std::string& s) {
  std::vector<uint32_t> counts;
  size_t p = 0;
  while (p < s.size()) {
    int64_t value = 0;
    int shift = 0;
    bool more = true;
    while (more && p < s.size()) {
      const int c = s[p++] - '0';
      value |= static_cast<int64_t>(c & 0x1f) << shift;
      shift += 5;
      more = (c & 0x20) != 0;
      if (!more && (c & 0x10) != 0) value -= int64_t{1} << shift;
    }
    if (counts.size() > 2) value += counts[counts.size() - 2];
    counts.push_back(static_cast<uint32_t>(value));
  }
  return counts;
}

// Column-major runs (first run zeros) into a row-major mask.
BinaryMask MaskFromCounts(const std::vector<uint32_t>& counts, int height, int width) {
  BinaryMask m(width, height);
  int64_t at = 0;
  for (size_t r = 0; r < counts.size(); ++r) {
    for (int64_t k = at; k < at + counts[r] && k < int64_t{height} * width; ++k) {
      if (r % 2 == 1) m.pixels[static_cast<size_t>((k % height) * width + k / height)] = 1;
    }
    at += counts[r];
  }
  EXPECT_EQ(at, int64_t{height} * width);
  return m;
}

int64_t Differing(const BinaryMask& a, const BinaryMask& b) {
  int64_t n = 0;
  for (size_t k = 0; k < a.pixels.size(); ++k) n += a.pixels[k] != b.pixels[k];
  return n;
}

TEST(CocoPolygonTest, RunLengthsAreThoseOfPycocotools) {
  const json g = Goldens();
  ASSERT_GE(g["cases"].size(), 300u);
  int polygons = 0;
  for (const auto& c : g["cases"]) {
    SCOPED_TRACE(c["name"].get<std::string>());
    const int h = c["height"], w = c["width"];
    for (size_t p = 0; p < c["polygons"].size(); ++p) {
      const auto xy = c["polygons"][p].get<std::vector<double>>();
      const CocoRle got = CocoPolygonToRle(xy.data(), xy.size(), h, w);
      EXPECT_EQ(got.height, h);
      EXPECT_EQ(got.width, w);
      EXPECT_EQ(got.counts, DecodeCounts(c["rles"][p].get<std::string>())) << "polygon " << p;
      ++polygons;
    }
  }
  EXPECT_GE(polygons, 450);
}

TEST(CocoPolygonTest, FilledMasksAreThoseOfPycocotools) {
  const json g = Goldens();
  int64_t filled = 0;
  for (const auto& c : g["cases"]) {
    SCOPED_TRACE(c["name"].get<std::string>());
    const int h = c["height"], w = c["width"];
    for (size_t p = 0; p < c["polygons"].size(); ++p) {
      const auto xy = c["polygons"][p].get<std::vector<double>>();
      BinaryMask got(w, h);
      RasterizePolygonCoco(xy.data(), xy.size(), &got);
      const BinaryMask want = MaskFromCounts(DecodeCounts(c["rles"][p].get<std::string>()), h, w);
      EXPECT_EQ(Differing(got, want), 0) << "polygon " << p;
      filled += got.count();
    }
  }
  EXPECT_GT(filled, 0);
}

// The training mask of an annotation: its polygons filled one after another into one mask, which
// must be the union pycocotools' decode + any() gives (also where the polygons overlap).
TEST(CocoPolygonTest, SeveralPolygonsFillTheirUnion) {
  const json g = Goldens();
  int several = 0;
  for (const auto& c : g["cases"]) {
    SCOPED_TRACE(c["name"].get<std::string>());
    const int h = c["height"], w = c["width"];
    BinaryMask got(w, h);
    int64_t separate = 0;
    for (const auto& polygon : c["polygons"]) {
      const auto xy = polygon.get<std::vector<double>>();
      BinaryMask alone(w, h);
      RasterizePolygonCoco(xy.data(), xy.size(), &alone);
      separate += alone.count();
      RasterizePolygonCoco(xy.data(), xy.size(), &got);
    }
    const BinaryMask want = MaskFromCounts(DecodeCounts(c["union"].get<std::string>()), h, w);
    EXPECT_EQ(Differing(got, want), 0);
    EXPECT_LE(got.count(), separate);
    if (c["polygons"].size() > 1) ++several;
  }
  EXPECT_GE(several, 50);
}

TEST(CocoPolygonTest, DegenerateInputDoesNotCrash) {
  // An empty image, no vertices, an odd coordinate count and far-away or non-finite vertices.
  const std::vector<double> triangle = {1, 1, 8, 2, 4, 9};
  EXPECT_EQ(CocoPolygonToRle(triangle.data(), triangle.size(), 0, 0).counts, std::vector<uint32_t>{0});
  EXPECT_EQ(CocoPolygonToRle(nullptr, 0, 4, 5).counts, std::vector<uint32_t>{20});
  const std::vector<double> odd = {1, 1, 8, 2, 4, 9, 7};
  EXPECT_EQ(CocoPolygonToRle(odd.data(), odd.size(), 10, 10).counts,
            CocoPolygonToRle(triangle.data(), triangle.size(), 10, 10).counts);
  const std::vector<double> wild = {-1e300, 2, 1e300, 3, std::nan(""), 1e9};
  BinaryMask m(6, 4);
  RasterizePolygonCoco(wild.data(), wild.size(), &m);
  uint64_t sum = 0;
  for (uint32_t n : CocoPolygonToRle(wild.data(), wild.size(), 4, 6).counts) sum += n;
  EXPECT_EQ(sum, 24u);
}

}  // namespace
}  // namespace mdetr::eval
