// COCO-style annotation files in memory: MDETR's modulated-detection files (one image entry per
// image-text pair, with caption, tokens_positive spans and per-dataset extras, §9 of the reference
// notes) and plain COCO / LVIS ground truth (categories with LVIS frequency, negative and
// not-exhaustive category lists).
//
// Layout: flat arrays of small records; strings live in one StringArena; variable-length lists
// (spans, phrases, polygons, category lists) are Ranges into shared flat arrays; annotations are
// indexed by image. Immutable after reading, so it may be shared between loader threads.
//
// Character spans are kept exactly as in the file: [begin, end) offsets counted in Unicode code
// points of the caption, as Python's str slicing counts them (see utf8.h to map them to bytes).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/status.h"
#include "datasets/annotations/string_arena.h"

namespace mdetr::annotations {

// [begin, end) indices into one of the dataset's flat arrays.
struct Range {
  uint32_t begin = 0;
  uint32_t end = 0;
  uint32_t size() const { return end - begin; }
  bool empty() const { return begin == end; }
};

// [begin, end) character offsets into a caption.
struct Span {
  int32_t begin = 0;
  int32_t end = 0;
  friend bool operator==(const Span& a, const Span& b) { return a.begin == b.begin && a.end == b.end; }
};

inline constexpr uint32_t kNoImage = UINT32_MAX;
inline constexpr uint16_t kNoName = UINT16_MAX;

struct ImageRecord {
  int64_t id = 0;
  int32_t width = 0;
  int32_t height = 0;
  StringRef file_name;
  StringRef caption;      // empty for plain COCO/LVIS files
  StringRef coco_url;     // LVIS v1 names images by URL
  StringRef task_id;      // PhraseCut
  StringRef question_id;  // GQA ("questionId", a string or a number in the file)
  StringRef answer;       // GQA
  StringRef question_type;
  uint16_t dataset_name = kNoName;    // index into CocoDataset::names()
  uint16_t data_source = kNoName;     // "coco" / "vg" in the mixed pre-training file
  int64_t original_id = -1;           // "original_id" or "original_img_id": the source image's id
  int32_t sentence_id = -1;           // Flickr sentence index 0..4
  Range phrases;                      // tokens_positive_eval: phrase i -> phrase_spans()[i] -> spans
  Range negative_category_ids;        // LVIS, into ints()
  Range not_exhaustive_category_ids;  // LVIS, into ints()
  Range annotations;                  // into annotation_order(): this image's annotations, file order
};

enum class SegmentationKind : uint8_t { kNone, kPolygons, kRle };

struct AnnotationRecord {
  int64_t id = 0;
  int64_t image_id = 0;
  uint32_t image_index = kNoImage;  // kNoImage when image_id names no image (ignored, as pycocotools does)
  int32_t category_id = 0;
  double bbox[4] = {0, 0, 0, 0};  // x, y, width, height in pixels
  double area = 0;
  uint8_t iscrowd = 0;
  int8_t isfinal = -1;  // CLEVR-Ref+; -1 when absent
  SegmentationKind segmentation = SegmentationKind::kNone;
  Range tokens_positive;  // into spans()
  Range polygons;         // into polygon_ranges(); each polygon is a Range into coords()
  StringRef rle_counts;   // compressed RLE string (kRle); uncompressed counts go to ints()
  Range rle_int_counts;
  int32_t rle_height = 0;
  int32_t rle_width = 0;
};

struct CategoryRecord {
  int32_t id = 0;
  StringRef name;
  StringRef supercategory;
  StringRef synset;
  char frequency = 0;  // LVIS: 'r', 'c' or 'f'; 0 when absent
  int32_t image_count = -1;
  int32_t instance_count = -1;
};

struct CocoDatasetStats {
  size_t orphan_annotations = 0;  // image_id not among the images (kept, not indexed)
  size_t crowd_annotations = 0;
  size_t memory_bytes = 0;  // heap held by the dataset after reading
};

class CocoDataset {
 public:
  const std::string& source() const { return source_; }
  const std::vector<ImageRecord>& images() const { return images_; }
  const std::vector<AnnotationRecord>& annotations() const { return annotations_; }
  const std::vector<CategoryRecord>& categories() const { return categories_; }
  const CocoDatasetStats& stats() const { return stats_; }

  std::string_view str(StringRef ref) const { return arena_.Get(ref); }
  std::string_view name(uint16_t index) const {
    return index == kNoName ? std::string_view() : std::string_view(names_[index]);
  }
  const std::vector<std::string>& names() const { return names_; }

  const Span* spans(Range r) const { return spans_.data() + r.begin; }
  const Range* phrase_spans(Range r) const { return phrase_spans_.data() + r.begin; }
  const Range* polygon_ranges(Range r) const { return polygon_ranges_.data() + r.begin; }
  const double* coords(Range r) const { return coords_.data() + r.begin; }
  const int64_t* ints(Range r) const { return ints_.data() + r.begin; }
  const uint32_t* annotation_order(Range r) const { return annotation_order_.data() + r.begin; }

  // Convenience copies for callers that are not on a hot path.
  std::vector<Span> SpanList(Range r) const { return {spans(r), spans(r) + r.size()}; }
  std::vector<uint32_t> AnnotationsOf(uint32_t image_index) const;
  // tokens_positive_eval of an image: one span list per phrase.
  std::vector<std::vector<Span>> EvalPhrases(uint32_t image_index) const;

  // Index of the image with this id, or kNoImage.
  uint32_t FindImage(int64_t id) const;
  const CategoryRecord* FindCategory(int32_t id) const;

  // The order in which the reference iterates a dataset: torchvision's CocoDetection uses
  // sorted(coco.imgs.keys()), i.e. image indices sorted by id.
  std::vector<uint32_t> ImagesSortedById() const;

 private:
  friend class CocoReader;

  std::string source_;
  StringArena arena_;
  std::vector<std::string> names_;
  std::vector<ImageRecord> images_;
  std::vector<AnnotationRecord> annotations_;
  std::vector<CategoryRecord> categories_;
  std::vector<Span> spans_;
  std::vector<Range> phrase_spans_;
  std::vector<Range> polygon_ranges_;
  std::vector<double> coords_;
  std::vector<int64_t> ints_;
  std::vector<uint32_t> annotation_order_;
  std::unordered_map<int64_t, uint32_t> image_by_id_;
  std::unordered_map<int32_t, uint32_t> category_by_id_;
  CocoDatasetStats stats_;
};

struct CocoReadOptions {
  bool keep_segmentation = true;  // polygons and RLE; off saves memory when only boxes are needed
  bool check_spans = true;        // spans must satisfy 0 <= begin <= end <= caption length
  int max_reported_errors = 20;   // the rest are counted
};

// Reads a COCO-style JSON file. Tolerant where the reference loader (pycocotools + MDETR's
// ModulatedDetection) is: integers written as floats (1.0), missing optional fields (iscrowd,
// caption, dataset_name, segmentation, tokens_positive, categories), extra fields, annotations of
// unknown images. Strict where it is: every annotation needs id, image_id, bbox (4 numbers),
// category_id and area; every image needs id and file_name; ids are unique. Every malformed
// record is reported as "<file>: images[12].caption: expected a string", all in one status.
Result<CocoDataset> ReadCocoJson(const std::string& path, const CocoReadOptions& options = {});
// Same on bytes already in memory; `source` names them in messages.
Result<CocoDataset> ParseCocoJson(std::string_view json, const std::string& source,
                                  const CocoReadOptions& options = {});

}  // namespace mdetr::annotations
