// Segmentation targets against the reference (goldens from make_mask_transform_goldens.py, which
// runs the reference's ConvertCocoPolysToMask and datasets/transforms.py on a real COCO image and
// its 6 instance polygons):
//  * masks follow resize (nearest) and crop exactly as the reference's target["masks"], and are
//    dropped together with the boxes a crop drops;
//  * the polygons filled by the dataset cover the reference's pycocotools masks.
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "datasets/annotations/coco_dataset.h"
#include "datasets/grounding/task_fields.h"
#include "datasets/grounding/transforms.h"
#include "tests/support/test_paths.h"

namespace mdetr::grounding {
namespace {

using nlohmann::json;

json Goldens() {
  std::ifstream in(testing::SourceDir() + "/tests/trainer/data/mask_transform_goldens.json");
  return json::parse(in);
}

// Run-length decoding (row-major, the first run counts zeros).
torch::Tensor Decode(const json& runs, int64_t h, int64_t w) {
  auto m = torch::zeros({h * w}, torch::kBool);
  bool* p = m.data_ptr<bool>();
  int64_t at = 0;
  bool value = false;
  for (const auto& r : runs) {
    const int64_t n = r.get<int64_t>();
    for (int64_t k = 0; k < n && at + k < h * w; ++k) p[at + k] = value;
    at += n;
    value = !value;
  }
  EXPECT_EQ(at, h * w);
  return m.view({h, w});
}

ImageWithBoxes Input(const json& g) {
  const int64_t h = g["height"], w = g["width"];
  ImageWithBoxes x;
  x.image = torch::zeros({h, w, 3}, torch::kUInt8);  // the masks do not depend on the pixels
  std::vector<float> boxes;
  std::vector<torch::Tensor> masks;
  for (size_t i = 0; i < g["boxes"].size(); ++i) {
    for (const auto& v : g["boxes"][i]) boxes.push_back(v.get<float>());
    x.spans.push_back({{0, 1}});
    x.box_index.push_back(static_cast<int64_t>(i));
    masks.push_back(Decode(g["masks"][i], h, w));
  }
  x.boxes = torch::tensor(boxes).reshape({-1, 4});
  x.masks = torch::stack(masks);
  return x;
}

TEST(MaskTransformTest, MasksFollowResizeAndCropAsTheReference) {
  const json g = Goldens();
  ASSERT_EQ(g["cases"].size(), 4u);
  for (const auto& c : g["cases"]) {
    SCOPED_TRACE(c["steps"].dump());
    ImageWithBoxes x = Input(g);
    for (const auto& s : c["steps"]) {
      if (s[0] == "resize") {
        x = Resize(x, s[1].get<int>(), s[2].get<int>());
      } else {
        x = Crop(x, s[1].get<int64_t>(), s[2].get<int64_t>(), s[3].get<int64_t>(), s[4].get<int64_t>());
      }
    }
    const int64_t h = c["height"], w = c["width"];
    ASSERT_EQ(x.masks.size(1), h);
    ASSERT_EQ(x.masks.size(2), w);
    EXPECT_EQ(x.box_index, c["kept"].get<std::vector<int64_t>>());
    ASSERT_EQ(x.masks.size(0), static_cast<int64_t>(c["masks"].size()));
    ASSERT_EQ(x.boxes.size(0), x.masks.size(0));
    for (size_t i = 0; i < c["masks"].size(); ++i) {
      const auto expected = Decode(c["masks"][i], h, w);
      EXPECT_TRUE(torch::equal(x.masks[static_cast<int64_t>(i)], expected))
          << "mask " << i << ": " << x.masks[static_cast<int64_t>(i)].ne(expected).sum().item<int64_t>()
          << " pixels differ";
    }
  }
}

TEST(MaskTransformTest, FilledPolygonsCoverTheReferenceMasks) {
  const json g = Goldens();
  const int w = g["width"], h = g["height"];
  json file = {{"images", json::array({{{"id", 1}, {"file_name", "x.png"}, {"width", w}, {"height", h}}})},
               {"annotations", json::array()},
               {"categories", json::array({{{"id", 1}, {"name", "thing"}}})}};
  for (size_t i = 0; i < g["polygons"].size(); ++i) {
    const auto& b = g["boxes"][i];
    file["annotations"].push_back({{"id", i + 1}, {"image_id", 1}, {"category_id", 1}, {"area", 1},
                                   {"bbox", {b[0], b[1], b[2].get<double>() - b[0].get<double>(),
                                             b[3].get<double>() - b[1].get<double>()}},
                                   {"segmentation", g["polygons"][i]}});
  }
  auto data = annotations::ParseCocoJson(file.dump(), "coco-39769");
  ASSERT_TRUE(data.ok()) << data.status().message();
  TaskFieldOptions opt;
  opt.masks = true;
  auto fields = TaskFields::Open(opt, *data, "coco-39769");
  ASSERT_TRUE(fields.ok()) << fields.status().message();
  const auto masks = fields->Masks(*data, data->AnnotationsOf(0), w, h);
  ASSERT_EQ(masks.size(0), 6);
  for (int64_t i = 0; i < 6; ++i) {
    const auto ref = Decode(g["masks"][static_cast<size_t>(i)], h, w);
    // The polygons are rasterised as pycocotools does: the reference's masks exactly.
    EXPECT_TRUE(torch::equal(masks[i], ref))
        << "instance " << i << ": " << masks[i].ne(ref).sum().item<int64_t>() << " pixels differ";
  }
}

TEST(TaskFieldsTest, PolygonsWithTooFewPointsAreNamed) {
  const std::string json_text = R"({"images": [{"id": 7, "file_name": "a.png", "width": 10, "height": 10}],
    "annotations": [{"id": 1, "image_id": 7, "category_id": 1, "area": 1, "bbox": [0, 0, 5, 5],
                     "segmentation": [[0, 0, 5, 0, 5, 5]]},
                    {"id": 2, "image_id": 7, "category_id": 1, "area": 1, "bbox": [0, 0, 5, 5],
                     "segmentation": [[0, 0, 5, 0, 5]]},
                    {"id": 3, "image_id": 7, "category_id": 1, "area": 1, "bbox": [0, 0, 5, 5]}],
    "categories": [{"id": 1, "name": "x"}]})";
  auto data = annotations::ParseCocoJson(json_text, "bad.json");
  ASSERT_TRUE(data.ok()) << data.status().message();
  TaskFieldOptions opt;
  opt.masks = true;
  auto fields = TaskFields::Open(opt, *data, "bad.json");
  ASSERT_FALSE(fields.ok());
  const std::string msg = fields.status().message();
  EXPECT_EQ(msg.find("annotations[0]"), std::string::npos) << msg;  // a triangle is fine
  EXPECT_NE(msg.find("bad.json: annotations[1] (id 2).segmentation[0]"), std::string::npos) << msg;
  EXPECT_NE(msg.find("bad.json: annotations[2] (id 3).segmentation"), std::string::npos) << msg;
}

TEST(TaskFieldsTest, ClevrAnswersUseTheReferenceEncoding) {
  auto yes = ClevrLabel("yes");
  ASSERT_TRUE(yes.ok());
  EXPECT_EQ(yes->type, 0);
  EXPECT_EQ(yes->type_answer, 1);
  auto cyan = ClevrLabel("cyan");
  ASSERT_TRUE(cyan.ok());
  EXPECT_EQ(cyan->type, 1);
  EXPECT_EQ(cyan->type_answer, 8);  // datasets/clevr.py ALL_ATTRIBUTES.index("cyan")
  auto three = ClevrLabel("3");
  ASSERT_TRUE(three.ok());
  EXPECT_EQ(three->type, 2);
  EXPECT_EQ(three->type_answer, 3);
  EXPECT_FALSE(ClevrLabel("maybe").ok());
}

}  // namespace
}  // namespace mdetr::grounding
