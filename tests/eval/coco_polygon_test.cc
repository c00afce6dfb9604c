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
#include "datasets/eval/rle_counts.h"
#include "tests/support/test_paths.h"

namespace mdetr::eval {
namespace {

using nlohmann::json;

json Goldens() {
  std::ifstream in(testing::SourceDir() + "/tests/data/eval/coco_polygon.json");
  EXPECT_TRUE(in.good()) << "tests/data/eval/coco_polygon.json";
  return json::parse(in);
}

std::vector<uint32_t> Counts(const json& rle_string) {
  auto runs = RleCountsFromString(rle_string.get<std::string>());
  EXPECT_TRUE(runs.ok()) << runs.status();
  return runs.ok() ? *runs : std::vector<uint32_t>{};
}

BinaryMask MaskFromCounts(const std::vector<uint32_t>& counts, int height, int width) {
  BinaryMask m(width, height);
  auto pixels = MaskFromRleCounts(counts, height, width);
  EXPECT_TRUE(pixels.ok()) << pixels.status();
  if (pixels.ok()) m.pixels = *pixels;
  return m;
}

int64_t Differing(const BinaryMask& a, const BinaryMask& b) {
  int64_t n = 0;
  for (size_t k = 0; k < a.pixels.size(); ++k) n += a.pixels[k] != b.pixels[k];
  return n;
}

// Calls fn(height, width, polygon, pycocotools' runs) for every single polygon of the goldens.
template <typename Fn>
int ForEachGoldenPolygon(const json& g, Fn fn) {
  int polygons = 0;
  for (const auto& c : g["cases"]) {
    SCOPED_TRACE(c["name"].get<std::string>());
    const int h = c["height"], w = c["width"];
    for (size_t p = 0; p < c["polygons"].size(); ++p) {
      SCOPED_TRACE("polygon " + std::to_string(p));
      fn(h, w, c["polygons"][p].get<std::vector<double>>(), Counts(c["rles"][p]));
      ++polygons;
    }
  }
  return polygons;
}

TEST(CocoPolygonTest, RunLengthsAreThoseOfPycocotools) {
  const json g = Goldens();
  ASSERT_GE(g["cases"].size(), 300u);
  const int polygons = ForEachGoldenPolygon(g, [](int h, int w, const std::vector<double>& xy,
                                                  const std::vector<uint32_t>& want) {
    const CocoRle got = CocoPolygonToRle(xy.data(), xy.size(), h, w);
    EXPECT_EQ(got.height, h);
    EXPECT_EQ(got.width, w);
    EXPECT_EQ(got.counts, want);
  });
  EXPECT_GE(polygons, 450);
}

TEST(CocoPolygonTest, FilledMasksAreThoseOfPycocotools) {
  int64_t filled = 0;
  ForEachGoldenPolygon(Goldens(), [&](int h, int w, const std::vector<double>& xy, const std::vector<uint32_t>& want) {
    BinaryMask got(w, h);
    RasterizePolygonCoco(xy.data(), xy.size(), &got);
    EXPECT_EQ(Differing(got, MaskFromCounts(want, h, w)), 0);
    filled += got.count();
  });
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
    const BinaryMask want = MaskFromCounts(Counts(c["union"]), h, w);
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
