#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "datasets/annotations/coco_dataset.h"
#include "datasets/annotations/utf8.h"

namespace mdetr::annotations {
namespace {

using ::testing::HasSubstr;

// A small MDETR-format file in the layout of final_flickr_separateGT_*.json, with the
// leniencies real files show: an integer written as a float, a missing iscrowd, extra fields.
constexpr char kFlickrLike[] = R"({
  "info": {"description": "x"}, "licenses": [],
  "images": [
    {"file_name": "4945942737.jpg", "height": 500, "width": 333, "id": 0,
     "caption": "A girl with brown hair sits on the edge of a cement area overlooking water .",
     "dataset_name": "flickr", "tokens_negative": [[0, 6]], "sentence_id": 0, "original_img_id": 4945942737,
     "tokens_positive_eval": [[[0, 6]], [[12, 22]], [[31, 57]]]},
    {"file_name": "6338542128.jpg", "height": 421.0, "width": 500, "id": 7,
     "caption": "caf\u00e9 chair", "dataset_name": "flickr", "tokens_positive_eval": [[[5, 10]]]}
  ],
  "annotations": [
    {"area": 9000.5, "iscrowd": 0, "image_id": 0, "category_id": 1, "id": 10,
     "bbox": [10, 20.5, 100, 90], "tokens_positive": [[0, 6]]},
    {"area": 50, "image_id": 7, "category_id": 1.0, "id": 11, "bbox": [1, 2, 5, 10], "tokens_positive": [[5, 10]]},
    {"area": 400, "iscrowd": 0, "image_id": 0, "category_id": 1, "id": 12,
     "bbox": [0, 0, 20, 20], "tokens_positive": [[12, 22], [31, 57]], "segmentation": [[0, 0, 20, 0, 20, 20]]},
    {"area": 1, "iscrowd": 1, "image_id": 0, "category_id": 1, "id": 13, "bbox": [0, 0, 1, 1],
     "tokens_positive": [], "segmentation": {"counts": "abc", "size": [500, 333]}}
  ],
  "categories": [{"supercategory": "object", "id": 1, "name": "object"}]
})";

TEST(CocoReaderTest, ReadsMdetrImagesAnnotationsAndIndex) {
  auto ds = ParseCocoJson(kFlickrLike, "flickr_like.json");
  ASSERT_TRUE(ds.ok()) << ds.status();
  ASSERT_EQ(ds->images().size(), 2u);
  ASSERT_EQ(ds->annotations().size(), 4u);
  const ImageRecord& img = ds->images()[0];
  EXPECT_EQ(ds->str(img.file_name), "4945942737.jpg");
  EXPECT_EQ(img.width, 333);
  EXPECT_EQ(img.height, 500);
  EXPECT_EQ(ds->name(img.dataset_name), "flickr");
  EXPECT_EQ(img.original_id, 4945942737);
  EXPECT_EQ(img.sentence_id, 0);
  EXPECT_EQ(ds->images()[1].height, 421);  // written as 421.0
  // tokens_positive_eval: one span list per phrase, pointing at the phrase words.
  const auto phrases = ds->EvalPhrases(0);
  ASSERT_EQ(phrases.size(), 3u);
  const std::string_view caption = ds->str(img.caption);
  EXPECT_EQ(caption.substr(phrases[1][0].begin, phrases[1][0].end - phrases[1][0].begin), "brown hair");
  // Annotations grouped by image in file order; crowd and segmentation kept.
  EXPECT_THAT(ds->AnnotationsOf(0), ::testing::ElementsAre(0u, 2u, 3u));
  EXPECT_THAT(ds->AnnotationsOf(1), ::testing::ElementsAre(1u));
  const AnnotationRecord& a2 = ds->annotations()[2];
  EXPECT_EQ(ds->SpanList(a2.tokens_positive), (std::vector<Span>{{12, 22}, {31, 57}}));
  EXPECT_EQ(a2.segmentation, SegmentationKind::kPolygons);
  ASSERT_EQ(a2.polygons.size(), 1u);
  EXPECT_EQ(ds->polygon_ranges(a2.polygons)[0].size(), 6u);
  EXPECT_DOUBLE_EQ(ds->annotations()[0].bbox[1], 20.5);
  EXPECT_DOUBLE_EQ(ds->annotations()[0].area, 9000.5);
  EXPECT_EQ(ds->annotations()[1].iscrowd, 0);  // missing -> 0, as the reference defaults it
  EXPECT_EQ(ds->annotations()[3].segmentation, SegmentationKind::kRle);
  EXPECT_EQ(ds->str(ds->annotations()[3].rle_counts), "abc");
  EXPECT_EQ(ds->annotations()[3].rle_height, 500);
  EXPECT_EQ(ds->stats().crowd_annotations, 1u);
  EXPECT_EQ(ds->FindImage(7), 1u);
  EXPECT_EQ(ds->FindImage(8), kNoImage);
  ASSERT_NE(ds->FindCategory(1), nullptr);
  EXPECT_EQ(ds->str(ds->FindCategory(1)->name), "object");
}

TEST(CocoReaderTest, SpansCountCodePointsLikePython) {
  auto ds = ParseCocoJson(kFlickrLike, "flickr_like.json");
  ASSERT_TRUE(ds.ok()) << ds.status();
  // "café chair": Python's caption[5:10] is "chair"; in UTF-8 bytes "é" takes two.
  const std::string_view caption = ds->str(ds->images()[1].caption);
  const Span s = ds->SpanList(ds->annotations()[1].tokens_positive)[0];
  const size_t b = CodePointToByte(caption, s.begin);
  const size_t e = CodePointToByte(caption, s.end);
  EXPECT_EQ(caption.substr(b, e - b), "chair");
  EXPECT_EQ(CodePointCount(caption), 10u);
}

TEST(CocoReaderTest, ReferenceOrderIsSortedImageIds) {
  auto ds = ParseCocoJson(R"({"images": [{"id": 5, "file_name": "a"}, {"id": 2, "file_name": "b"},
                                          {"id": 9, "file_name": "c"}]})",
                          "order.json");
  ASSERT_TRUE(ds.ok()) << ds.status();
  EXPECT_THAT(ds->ImagesSortedById(), ::testing::ElementsAre(1u, 0u, 2u));
}

TEST(CocoReaderTest, EveryMalformedRecordIsReportedWithFileIndexAndField) {
  auto ds = ParseCocoJson(R"({
    "images": [{"id": 1, "file_name": "a.jpg", "caption": "a dog"},
               {"id": 2.5, "file_name": "b.jpg"},
               {"file_name": 3},
               {"id": 1, "file_name": "dup.jpg"}],
    "annotations": [{"id": 1, "image_id": 1, "bbox": [0, 0, 1], "category_id": 1, "area": 1},
                    {"id": 2, "image_id": 1, "bbox": [0, 0, 1, 1], "category_id": 1},
                    {"id": 3, "image_id": 1, "bbox": [0, 0, 1, 1], "category_id": 1, "area": 1,
                     "tokens_positive": [[2, 9]]},
                    {"id": 4, "image_id": 1, "bbox": [0, 0, 1, 1], "category_id": 1, "area": 1,
                     "tokens_positive": [2, 5]},
                    {"id": 5, "image_id": 1, "bbox": [0, 0, 1, 1], "category_id": "one", "area": 1,
                     "iscrowd": 2}]
  })",
                          "bad.json");
  ASSERT_FALSE(ds.ok());
  EXPECT_EQ(ds.status().code(), StatusCode::kInvalidArgument);
  const std::string& m = ds.status().message();
  EXPECT_THAT(m, HasSubstr("bad.json: 10 malformed record(s)"));
  EXPECT_THAT(m, HasSubstr("bad.json: images[1].id: expected an integer"));
  EXPECT_THAT(m, HasSubstr("images[2].file_name: expected a string"));
  EXPECT_THAT(m, HasSubstr("images[2].id: missing"));
  EXPECT_THAT(m, HasSubstr("images[3].id: duplicate image id 1"));
  EXPECT_THAT(m, HasSubstr("annotations[0].bbox: expected [x, y, width, height] (4 numbers)"));
  EXPECT_THAT(m, HasSubstr("annotations[1].area: missing"));
  EXPECT_THAT(m,
              HasSubstr("annotations[2].tokens_positive: span [2, 9] outside the caption of 5 characters"));
  EXPECT_THAT(m, HasSubstr("annotations[3].tokens_positive: expected a list of [begin, end] spans"));
  EXPECT_THAT(m, HasSubstr("annotations[4].category_id: expected an integer"));
  EXPECT_THAT(m, HasSubstr("annotations[4].iscrowd: expected 0 or 1"));
}

TEST(CocoReaderTest, NullOptionalFieldsCountAsAbsentNullRequiredFieldsDoNot) {
  auto ok = ParseCocoJson(R"({"images": [{"id": 1, "file_name": "a", "original_id": null, "caption": null,
      "tokens_positive_eval": null}],
    "annotations": [{"id": 1, "image_id": 1, "bbox": [0, 0, 1, 1], "category_id": 1, "area": 1,
                     "iscrowd": null, "segmentation": null, "tokens_positive": null}]})",
                          "nulls.json");
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok->images()[0].original_id, -1);
  EXPECT_EQ(ok->annotations()[0].segmentation, SegmentationKind::kNone);
  auto bad = ParseCocoJson(R"({"images": [{"id": 1, "file_name": null}],
    "annotations": [{"id": 1, "image_id": 1, "bbox": null, "category_id": 1, "area": 1}]})",
                           "nulls.json");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("images[0].file_name: expected a string"));
  EXPECT_THAT(bad.status().message(), HasSubstr("annotations[0].bbox: expected [x, y, width, height]"));
}

TEST(CocoReaderTest, OrphanAnnotationsAreKeptOutOfTheIndexLikePycocotools) {
  auto ds = ParseCocoJson(R"({"images": [{"id": 1, "file_name": "a"}],
    "annotations": [{"id": 1, "image_id": 42, "bbox": [0, 0, 1, 1], "category_id": 1, "area": 1}]})",
                          "orphan.json");
  ASSERT_TRUE(ds.ok()) << ds.status();
  EXPECT_EQ(ds->stats().orphan_annotations, 1u);
  EXPECT_TRUE(ds->AnnotationsOf(0).empty());
}

TEST(CocoReaderTest, SyntaxErrorsAndMissingFiles) {
  for (const char* bad :
       {"{\"images\": [", "[1, 2]", "{\"images\": []} trailing", "", "{\"images\": [{\"id\": 1,}]}"}) {
    auto ds = ParseCocoJson(bad, "syntax.json");
    ASSERT_FALSE(ds.ok()) << bad;
    EXPECT_THAT(ds.status().message(), HasSubstr("syntax.json")) << bad;
  }
  auto missing = ReadCocoJson("no/such/annotations.json");
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(missing.status().message(), HasSubstr("no/such/annotations.json"));
}

}  // namespace
}  // namespace mdetr::annotations
