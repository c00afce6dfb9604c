// The train and eval transforms against the MDETR reference's own (datasets/transforms.py, PIL
// images) on the real images of ../shared/data: the reference's random draws are replayed, and
// the 8-bit image after the last resize must be byte-identical (CRC-32), the normalised tensor
// within 1e-5, the boxes (normalised cx,cy,w,h) within 1e-5 and the surviving spans the same.
// Goldens: tools/parity/images/make_transform_goldens.py.
#include <gtest/gtest.h>
#include <zlib.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "datasets/grounding/pil_resize.h"
#include "datasets/grounding/transforms.h"
#include "datasets/image/codec.h"
#include "tests/support/test_paths.h"

namespace mdetr::grounding {
namespace {

using nlohmann::json;

json LoadGoldens() {
  std::ifstream in(testing::SourceDir() + "/tests/data/grounding/transform_goldens.json");
  return in ? json::parse(in) : json();
}

std::vector<RecordedDraws::Draw> Draws(const json& j) {
  std::vector<RecordedDraws::Draw> out;
  for (const auto& d : j) {
    const std::string kind = d[0].get<std::string>();
    const auto k = kind == "uniform"  ? RecordedDraws::Kind::kUniform
                   : kind == "choice" ? RecordedDraws::Kind::kChoice
                                      : RecordedDraws::Kind::kRandInt;
    out.push_back({k, d[1].get<double>()});
  }
  return out;
}

// A golden case's input: the shared-data image it names (cloned out of the decoded buffer), its
// boxes and, per box, its character spans.
ImageWithBoxes GoldenInput(const json& c) {
  auto decoded = image::ReadImageFile(testing::SharedDataDir() + "/" + c["image"].get<std::string>());
  EXPECT_TRUE(decoded.ok()) << decoded.status();
  ImageWithBoxes in;
  if (!decoded.ok()) return in;
  in.image = torch::from_blob(decoded->data(), {decoded->height(), decoded->width(), 3}, torch::kUInt8).clone();
  std::vector<float> boxes;
  for (const auto& b : c["boxes_in"]) {
    for (const auto& v : b) boxes.push_back(v.get<float>());
  }
  in.boxes = torch::tensor(boxes).reshape({-1, 4});
  for (const auto& s : c["spans_in"]) {
    std::vector<text::CharSpan> spans;
    for (const auto& sp : s) spans.push_back({sp[0].get<int64_t>(), sp[1].get<int64_t>()});
    in.spans.push_back(spans);
  }
  return in;
}

TEST(TransformParityTest, MatchesReferenceOnRealImages) {
  torch::set_num_threads(1);  // small tensors: spinning intra-op threads only slow a shared machine
  const json goldens = LoadGoldens();
  ASSERT_TRUE(goldens.contains("cases")) << "missing tests/data/grounding/transform_goldens.json";
  int crop_cases = 0;
  for (const auto& c : goldens["cases"]) {
    const std::string name = c["image"].get<std::string>() + (c["train"].get<bool>() ? " train seed " : " eval ") +
                             std::to_string(c["seed"].get<int>());
    SCOPED_TRACE(name);
    ImageWithBoxes in = GoldenInput(c);
    ASSERT_TRUE(in.image.defined());

    TransformOptions opt;
    RecordedDraws draws(Draws(c["draws"]));
    ImageWithBoxes out;
    if (c["train"].get<bool>()) {
      out = TrainTransform(in, opt, draws);
      ASSERT_TRUE(draws.error().empty()) << draws.error();
      ASSERT_TRUE(draws.exhausted()) << "the reference drew more than we did";
      if (c["draws"][0][1].get<double>() >= 0.5) ++crop_cases;
    } else {
      out = EvalTransform(in, opt);
    }

    ASSERT_EQ(out.image.size(0), c["height"].get<int64_t>());
    ASSERT_EQ(out.image.size(1), c["width"].get<int64_t>());
    const auto bytes = out.image.contiguous();
    const uLong crc = crc32(0L, bytes.data_ptr<uint8_t>(), static_cast<uInt>(bytes.numel()));
    EXPECT_EQ(crc, c["crc32"].get<uLong>()) << "8-bit image after resizing differs from PIL's";

    const auto t = NormalizedFloatChw(out.image);
    EXPECT_TRUE(torch::equal(t, Normalize(ToFloatChw(out.image)))) << "the fused normalisation differs";
    const auto sums = t.to(torch::kFloat64).sum({1, 2});
    for (int ch = 0; ch < 3; ++ch) {
      // A sum over ~1e6 float32 values: compare it as a mean, to 1e-5.
      EXPECT_NEAR(sums[ch].item<double>() / static_cast<double>(t.size(1) * t.size(2)),
                  c["channel_sums"][static_cast<size_t>(ch)].get<double>() / static_cast<double>(t.size(1) * t.size(2)),
                  1e-5);
    }
    const auto acc = t.accessor<float, 3>();
    for (size_t i = 0; i < c["positions"].size(); ++i) {
      const auto& p = c["positions"][i];
      EXPECT_NEAR(acc[p[0].get<int64_t>()][p[1].get<int64_t>()][p[2].get<int64_t>()], c["values"][i].get<double>(), 1e-5);
    }

    const auto nb = NormalizedCxcywh(out.boxes, out.image.size(0), out.image.size(1));
    ASSERT_EQ(static_cast<size_t>(nb.size(0)), c["boxes_out"].size());
    for (int64_t b = 0; b < nb.size(0); ++b) {
      for (int64_t k = 0; k < 4; ++k) {
        EXPECT_NEAR(nb[b][k].item<double>(), c["boxes_out"][static_cast<size_t>(b)][static_cast<size_t>(k)].get<double>(), 1e-5);
      }
    }
    ASSERT_EQ(out.spans.size(), c["kept"].size());
    for (size_t b = 0; b < out.spans.size(); ++b) {
      const auto& want = c["spans_in"][c["kept"][b].get<size_t>()];
      ASSERT_EQ(out.spans[b].size(), want.size());
      EXPECT_EQ(out.spans[b][0].begin, want[0][0].get<int64_t>());
      EXPECT_EQ(out.spans[b][0].end, want[0][1].get<int64_t>());
    }
  }
  EXPECT_GT(crop_cases, 0) << "no golden goes through the crop branch";
}

// PIL's bilinear resize alone, at factors the transforms never reach: strong shrinking (many taps),
// one axis only, tiny outputs.
TEST(TransformParityTest, ResizeMatchesPilAtOtherScales) {
  const json goldens = LoadGoldens();
  ASSERT_TRUE(goldens.contains("resizes")) << "missing tests/data/grounding/transform_goldens.json";
  for (const auto& r : goldens["resizes"]) {
    const int64_t w = r["width"].get<int64_t>(), h = r["height"].get<int64_t>();
    SCOPED_TRACE(r["image"].get<std::string>() + " -> " + std::to_string(w) + "x" + std::to_string(h));
    auto decoded = image::ReadImageFile(testing::SharedDataDir() + "/" + r["image"].get<std::string>());
    ASSERT_TRUE(decoded.ok()) << decoded.status();
    std::vector<uint8_t> out(static_cast<size_t>(w * h * 3));
    PilBilinearResize(decoded->data(), decoded->height(), decoded->width(), 3, h, w, out.data());
    EXPECT_EQ(crc32(0L, out.data(), static_cast<uInt>(out.size())), r["crc32"].get<uLong>());
  }
}

// The reference's crop() on regions that cut boxes out: the same pixels, the same clipped boxes, and
// the spans of the dropped boxes dropped with them (the reference drops their positive_map rows).
TEST(TransformParityTest, CropKeepsTheBoxesAndSpansTheReferenceKeeps) {
  const json goldens = LoadGoldens();
  ASSERT_TRUE(goldens.contains("crops")) << "missing tests/data/grounding/transform_goldens.json";
  size_t dropped = 0;
  for (const auto& c : goldens["crops"]) {
    const auto& r = c["region"];
    SCOPED_TRACE(c["image"].get<std::string>() + " region " + r.dump());
    ImageWithBoxes in = GoldenInput(c);
    ASSERT_TRUE(in.image.defined());
    const auto out = Crop(in, r[0].get<int64_t>(), r[1].get<int64_t>(), r[2].get<int64_t>(), r[3].get<int64_t>());
    const auto bytes = out.image.contiguous();
    EXPECT_EQ(crc32(0L, bytes.data_ptr<uint8_t>(), static_cast<uInt>(bytes.numel())), c["crc32"].get<uLong>());
    ASSERT_EQ(static_cast<size_t>(out.boxes.size(0)), c["boxes_out"].size());
    for (int64_t b = 0; b < out.boxes.size(0); ++b) {
      for (int64_t k = 0; k < 4; ++k) {
        EXPECT_NEAR(out.boxes[b][k].item<double>(),
                    c["boxes_out"][static_cast<size_t>(b)][static_cast<size_t>(k)].get<double>(), 1e-5);
      }
    }
    ASSERT_EQ(out.spans.size(), c["kept"].size());
    for (size_t b = 0; b < out.spans.size(); ++b) {
      EXPECT_EQ(out.spans[b][0].begin, c["spans_in"][c["kept"][b].get<size_t>()][0][0].get<int64_t>());
    }
    dropped += c["boxes_in"].size() - c["kept"].size();
  }
  EXPECT_GT(dropped, 0u) << "no golden crop drops a box";
}

// A replay that diverges from the recording says where, instead of silently drawing something else.
TEST(TransformParityTest, RecordedDrawsReportDivergence) {
  RecordedDraws draws({{RecordedDraws::Kind::kUniform, 0.7}, {RecordedDraws::Kind::kChoice, 5}});
  EXPECT_DOUBLE_EQ(draws.Uniform(), 0.7);
  EXPECT_EQ(draws.Choice(3), 0u);  // 5 is out of range for 3 choices
  EXPECT_NE(draws.error().find("draw 1"), std::string::npos) << draws.error();
}

}  // namespace
}  // namespace mdetr::grounding
