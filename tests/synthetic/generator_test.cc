// End-to-end checks of the synthetic grounding data, read back the way a user would: the JSON
// through our annotation reader, the pictures through our PNG decoder.
#include "datasets/synthetic/generator.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "datasets/annotations/coco_dataset.h"
#include "datasets/image/codec.h"
#include "tests/support/test_paths.h"

namespace mdetr::synthetic {
namespace {

namespace fs = std::filesystem;
using annotations::CocoDataset;

SyntheticOptions SmallOptions(const std::string& dir, uint64_t seed) {
  SyntheticOptions o;
  o.out_dir = dir;
  o.num_images = 20;
  o.seed = seed;
  return o;
}

std::map<std::string, std::string> ReadTree(const std::string& dir) {
  std::map<std::string, std::string> files;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    files[fs::relative(entry.path(), dir).string()] = s.str();
  }
  return files;
}

// A generated dataset shared by the tests below (generation takes a fraction of a second).
class SyntheticDataTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(testing::MakeTempDir("synth"));
    ASSERT_TRUE(GenerateSyntheticDataset(SmallOptions(*dir_, 7)).ok());
  }
  static void TearDownTestSuite() { delete dir_; }

  static CocoDataset Load(const std::string& name) {
    auto ds = annotations::ReadCocoJson(*dir_ + "/" + name);
    EXPECT_TRUE(ds.ok()) << ds.status();
    return std::move(ds).value();
  }
  static image::Image Picture(const CocoDataset& ds, uint32_t image_index) {
    auto decoded =
        image::ReadImageFile(*dir_ + "/images/" + std::string(ds.str(ds.images()[image_index].file_name)));
    EXPECT_TRUE(decoded.ok()) << decoded.status();
    return std::move(decoded).value();
  }
  static std::string PhraseText(const CocoDataset& ds, const annotations::AnnotationRecord& a) {
    const auto spans = ds.SpanList(a.tokens_positive);
    EXPECT_EQ(spans.size(), 1u);
    const std::string_view caption = ds.str(ds.images()[a.image_index].caption);
    return std::string(caption.substr(spans[0].begin, spans[0].end - spans[0].begin));
  }

  static std::string* dir_;
};
std::string* SyntheticDataTest::dir_ = nullptr;

std::vector<std::string> Words(const std::string& s) {
  std::istringstream in(s);
  std::vector<std::string> words;
  for (std::string w; in >> w;) words.push_back(w);
  return words;
}

const NamedColor* ColorWord(const std::vector<std::string>& words) {
  for (const auto& w : words) {
    for (const auto& c : Palette()) {
      if (w == c.name) return &c;
    }
  }
  return nullptr;
}

TEST(SyntheticDeterminismTest, SameSeedGivesByteIdenticalFilesOtherSeedDiffers) {
  const std::string a = testing::MakeTempDir("synth-a");
  const std::string b = testing::MakeTempDir("synth-b");
  const std::string c = testing::MakeTempDir("synth-c");
  ASSERT_TRUE(GenerateSyntheticDataset(SmallOptions(a, 3)).ok());
  ASSERT_TRUE(GenerateSyntheticDataset(SmallOptions(b, 3)).ok());
  ASSERT_TRUE(GenerateSyntheticDataset(SmallOptions(c, 4)).ok());
  const auto files_a = ReadTree(a);
  EXPECT_EQ(files_a.size(), 20u + 4u);  // 20 PNGs, train/val x flickr/refexp JSON
  EXPECT_TRUE(files_a == ReadTree(b));
  EXPECT_NE(files_a.at("train.json"), ReadTree(c).at("train.json"));
}

TEST(SyntheticOptionsTest, BadOptionsAreRejected) {
  SyntheticOptions o = SmallOptions(testing::MakeTempDir("synth-bad"), 1);
  o.num_images = 0;
  EXPECT_EQ(GenerateSyntheticDataset(o).code(), StatusCode::kInvalidArgument);
  o = SmallOptions("", 1);
  EXPECT_EQ(GenerateSyntheticDataset(o).code(), StatusCode::kInvalidArgument);
  o = SmallOptions(testing::MakeTempDir("synth-bad"), 1);
  o.scene.max_size = 16;
  EXPECT_EQ(GenerateSyntheticDataset(o).code(), StatusCode::kInvalidArgument);
}

TEST_F(SyntheticDataTest, SplitsLoadWithTheAnnotationReaderAndAreDisjoint) {
  const CocoDataset train = Load("train.json");
  const CocoDataset val = Load("val.json");
  const CocoDataset refexp_train = Load("refexp_train.json");
  Load("refexp_val.json");
  // 16 training scenes and 4 held-out ones, two captions each.
  EXPECT_EQ(train.images().size(), 32u);
  EXPECT_EQ(val.images().size(), 8u);
  for (const auto& img : val.images())
    EXPECT_THAT(std::string(val.str(img.file_name)), ::testing::StartsWith("val_"));
  for (const auto& img : train.images()) {
    EXPECT_THAT(std::string(train.str(img.file_name)), ::testing::StartsWith("train_"));
    EXPECT_GE(img.width, 128);
    EXPECT_LE(img.width, 256);
  }
  EXPECT_GT(train.annotations().size(), train.images().size());  // several phrases per caption
  // RefCOCO-style: exactly one grounded object per expression, no eval phrases.
  for (uint32_t i = 0; i < refexp_train.images().size(); ++i) {
    EXPECT_EQ(refexp_train.AnnotationsOf(i).size(), 1u);
    EXPECT_TRUE(refexp_train.images()[i].phrases.empty());
  }
}

TEST_F(SyntheticDataTest, SpansPointAtTheWordsNamingTheReferredObject) {
  for (const char* file : {"train.json", "refexp_val.json"}) {
    const CocoDataset ds = Load(file);
    for (const auto& a : ds.annotations()) {
      const std::vector<std::string> words = Words(PhraseText(ds, a));
      ASSERT_GE(words.size(), 2u);
      EXPECT_EQ(words.front(), "the");
      // The phrase ends with the shape noun, which is the annotation's category.
      EXPECT_EQ(words.back(), ds.str(ds.FindCategory(a.category_id)->name));
    }
  }
  // tokens_positive_eval lists the phrases in annotation order.
  const CocoDataset train = Load("train.json");
  for (uint32_t i = 0; i < train.images().size(); ++i) {
    const auto eval = train.EvalPhrases(i);
    const auto anns = train.AnnotationsOf(i);
    ASSERT_EQ(eval.size(), anns.size());
    for (size_t k = 0; k < anns.size(); ++k) {
      EXPECT_EQ(eval[k], train.SpanList(train.annotations()[anns[k]].tokens_positive));
    }
  }
}

TEST_F(SyntheticDataTest, BoxesMatchTheDrawnPixelsOfTheNamedColour) {
  const CocoDataset ds = Load("train.json");
  int checked = 0;
  for (const auto& a : ds.annotations()) {
    const NamedColor* color = ColorWord(Words(PhraseText(ds, a)));
    if (color == nullptr) continue;
    const image::Image picture = Picture(ds, a.image_index);
    const int x0 = static_cast<int>(a.bbox[0]);
    const int y0 = static_cast<int>(a.bbox[1]);
    const int x1 = x0 + static_cast<int>(a.bbox[2]) - 1;
    const int y1 = y0 + static_cast<int>(a.bbox[3]) - 1;
    ASSERT_TRUE(picture.Contains(x0, y0) && picture.Contains(x1, y1));
    int inside = 0;
    bool top = false, bottom = false, left = false, right = false;
    for (int y = y0; y <= y1; ++y) {
      for (int x = x0; x <= x1; ++x) {
        if (picture.At(x, y) != color->rgb) continue;
        ++inside;
        top |= y == y0;
        bottom |= y == y1;
        left |= x == x0;
        right |= x == x1;
      }
    }
    // Tight: the object's colour touches all four edges; complete: all its visible pixels
    // (the annotation's area) are inside.
    EXPECT_TRUE(top && bottom && left && right) << PhraseText(ds, a);
    EXPECT_GE(inside, a.area) << PhraseText(ds, a);
    ++checked;
  }
  EXPECT_GT(checked, 10);
}

TEST_F(SyntheticDataTest, SizeWordsAgreeWithBoxSizes) {
  const CocoDataset ds = Load("train.json");
  for (uint32_t i = 0; i < ds.images().size(); ++i) {
    double largest_small = 0;
    double smallest_large = 1e9;
    for (uint32_t a_index : ds.AnnotationsOf(i)) {
      const auto& a = ds.annotations()[a_index];
      const std::vector<std::string> words = Words(PhraseText(ds, a));
      const double extent = std::max(a.bbox[2], a.bbox[3]);
      if (std::count(words.begin(), words.end(), "small")) largest_small = std::max(largest_small, extent);
      if (std::count(words.begin(), words.end(), "large")) smallest_large = std::min(smallest_large, extent);
    }
    EXPECT_LT(largest_small, smallest_large) << ds.str(ds.images()[i].caption);
  }
}

TEST_F(SyntheticDataTest, ShapePercentSetsTheShapeSizes) {
  const std::string dir = testing::MakeTempDir("synth-big");
  SyntheticOptions o = SmallOptions(dir, 5);
  o.scene.small_shape_percent = 25;
  ASSERT_TRUE(GenerateSyntheticDataset(o).ok());
  auto ds = annotations::ReadCocoJson(dir + "/train.json");
  ASSERT_TRUE(ds.ok()) << ds.status();
  int small = 0, large = 0;
  for (uint32_t i = 0; i < ds->images().size(); ++i) {
    const double short_side = std::min(ds->images()[i].width, ds->images()[i].height);
    for (uint32_t a_index : ds->AnnotationsOf(i)) {
      const auto& a = ds->annotations()[a_index];
      const std::vector<std::string> words = Words(PhraseText(*ds, a));
      const double extent = std::max(a.bbox[2], a.bbox[3]) / short_side;
      // Boxes are tight around the visible pixels, so occlusion can only make them smaller.
      if (std::count(words.begin(), words.end(), "small")) {
        EXPECT_LE(extent, 0.25 + 1e-9) << PhraseText(*ds, a);
        small += extent > 0.2;
      }
      if (std::count(words.begin(), words.end(), "large")) {
        EXPECT_LE(extent, 0.50 + 1e-9) << PhraseText(*ds, a);
        large += extent > 0.4;
      }
    }
  }
  EXPECT_GT(small, 0);
  EXPECT_GT(large, 0);
  o.scene.small_shape_percent = 60;
  EXPECT_EQ(GenerateSyntheticDataset(o).code(), StatusCode::kInvalidArgument);
}

TEST_F(SyntheticDataTest, RelationWordsAreTrueOfTheBoxes) {
  const CocoDataset ds = Load("train.json");
  int relations = 0;
  for (uint32_t i = 0; i < ds.images().size(); ++i) {
    const std::string caption(ds.str(ds.images()[i].caption));
    const auto anns = ds.AnnotationsOf(i);
    for (size_t k = 0; k + 1 < anns.size(); ++k) {
      const auto& a = ds.annotations()[anns[k]];
      const auto& b = ds.annotations()[anns[k + 1]];
      const int end_a = ds.SpanList(a.tokens_positive)[0].end;
      const int begin_b = ds.SpanList(b.tokens_positive)[0].begin;
      const std::string between = caption.substr(end_a, begin_b - end_a);
      const double ax1 = a.bbox[0] + a.bbox[2], ay1 = a.bbox[1] + a.bbox[3];
      const double bx1 = b.bbox[0] + b.bbox[2], by1 = b.bbox[1] + b.bbox[3];
      if (between == " left of ") {
        EXPECT_LE(ax1, b.bbox[0]) << caption;
      } else if (between == " right of ") {
        EXPECT_GE(a.bbox[0], bx1) << caption;
      } else if (between == " above ") {
        EXPECT_LE(ay1, b.bbox[1]) << caption;
      } else if (between == " below ") {
        EXPECT_GE(a.bbox[1], by1) << caption;
      } else {
        EXPECT_EQ(between, " and ") << caption;
        continue;
      }
      ++relations;
    }
  }
  EXPECT_GT(relations, 5);
}

}  // namespace
}  // namespace mdetr::synthetic

namespace mdetr::synthetic {
namespace {

TEST_F(SyntheticDataTest, CaptionsCoverEveryShapeColourSizeAndRelation) {
  const CocoDataset ds = Load("train.json");
  std::set<int> shapes;
  std::set<std::string> words;
  for (const auto& a : ds.annotations()) {
    shapes.insert(a.category_id);
    for (const auto& w : Words(PhraseText(ds, a))) words.insert(w);
  }
  std::string captions;
  for (const auto& img : ds.images()) captions += std::string(ds.str(img.caption)) + "\n";
  EXPECT_EQ(shapes, (std::set<int>{1, 2, 3}));
  for (const auto& c : Palette()) EXPECT_TRUE(words.count(c.name)) << c.name;
  EXPECT_TRUE(words.count("small") && words.count("large"));
  for (const char* relation : {" left of ", " right of ", " above ", " below "}) {
    EXPECT_NE(captions.find(relation), std::string::npos) << relation;
  }
}

}  // namespace
}  // namespace mdetr::synthetic
