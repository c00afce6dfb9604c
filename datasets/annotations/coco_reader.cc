// Reading COCO-style JSON with simdjson's DOM API (see json_values.h for why not on-demand):
// one parse, then each record decoded straight into the flat arrays of CocoDataset.
#include <algorithm>
#include <string>
#include <utility>

#include <simdjson.h>

#include "datasets/annotations/coco_dataset.h"
#include "datasets/annotations/error_list.h"
#include "datasets/annotations/json_input.h"
#include "datasets/annotations/json_values.h"
#include "datasets/annotations/utf8.h"

namespace mdetr::annotations {

using simdjson::SUCCESS;
namespace dom = simdjson::dom;

class CocoReader {
 public:
  CocoReader(const std::string& source, const CocoReadOptions& options)
      : options_(options), errors_(source, options.max_reported_errors) {
    data_.source_ = source;
  }

  // Takes the bytes: they are released as soon as the DOM is built.
  Result<CocoDataset> Read(JsonInput json);

 private:
  std::string Where(const char* array, size_t index, std::string_view field) const {
    return std::string(array) + "[" + std::to_string(index) + "]." + std::string(field);
  }
  uint16_t Intern(std::string_view name);
  bool Store(std::string_view s, StringRef* ref);
  size_t CaptionChars(const ImageRecord& image) const { return CodePointCount(data_.str(image.caption)); }

  void ReadImages(dom::element images);
  void ReadImage(dom::object obj, size_t index);
  void ReadAnnotations(dom::element annotations);
  void ReadAnnotation(dom::object obj, size_t index);
  void ReadCategories(dom::element categories);
  bool ReadSpanList(dom::element v, Range* out);
  bool ReadPhrases(dom::element v, Range* out);
  bool ReadIntList(dom::element v, Range* out);
  bool ReadSegmentation(dom::element v, AnnotationRecord* ann);
  void CheckSpans(const ImageRecord& image, const AnnotationRecord& ann, size_t index);
  void BuildIndex();
  void Reserve(dom::object root, size_t json_bytes);

  CocoReadOptions options_;
  ErrorList errors_;
  CocoDataset data_;
  simdjson::error_code fatal_ = SUCCESS;
  std::vector<uint32_t> caption_chars_;  // per image, for the span checks of its annotations
};

uint16_t CocoReader::Intern(std::string_view name) {
  // A handful of distinct names per file ("flickr", "coco", "vg"...): a linear scan beats hashing
  // a fresh std::string for each of a million images.
  for (size_t i = 0; i < data_.names_.size(); ++i) {
    if (data_.names_[i] == name) return static_cast<uint16_t>(i);
  }
  if (data_.names_.size() >= kNoName) return kNoName;
  data_.names_.emplace_back(name);
  return static_cast<uint16_t>(data_.names_.size() - 1);
}

bool CocoReader::Store(std::string_view s, StringRef* ref) {
  if (data_.arena_.Add(s, ref)) return true;
  fatal_ = simdjson::CAPACITY;
  return false;
}

bool CocoReader::ReadIntList(dom::element v, Range* out) {
  dom::array arr;
  if (v.get_array().get(arr) != SUCCESS) return false;
  out->begin = static_cast<uint32_t>(data_.ints_.size());
  for (auto element : arr) {
    int64_t x = 0;
    if (!json::ReadInt(element, &x)) return false;
    data_.ints_.push_back(x);
  }
  out->end = static_cast<uint32_t>(data_.ints_.size());
  return true;
}

// [[begin, end], ...]; also reached for CLEVR's "tokens".
bool CocoReader::ReadSpanList(dom::element v, Range* out) {
  dom::array arr;
  if (v.get_array().get(arr) != SUCCESS) return false;
  out->begin = static_cast<uint32_t>(data_.spans_.size());
  for (auto element : arr) {
    dom::array pair;
    if (element.get_array().get(pair) != SUCCESS) return false;
    int32_t values[2] = {0, 0};
    int n = 0;
    for (auto x : pair) {
      if (n >= 2 || !json::ReadInt32(x, &values[n])) return false;
      ++n;
    }
    if (n != 2) return false;
    data_.spans_.push_back(Span{values[0], values[1]});
  }
  out->end = static_cast<uint32_t>(data_.spans_.size());
  return true;
}

bool CocoReader::ReadPhrases(dom::element v, Range* out) {
  dom::array arr;
  if (v.get_array().get(arr) != SUCCESS) return false;
  out->begin = static_cast<uint32_t>(data_.phrase_spans_.size());
  for (auto element : arr) {
    Range spans;
    if (!ReadSpanList(element, &spans)) return false;
    data_.phrase_spans_.push_back(spans);
  }
  out->end = static_cast<uint32_t>(data_.phrase_spans_.size());
  return true;
}

void CocoReader::ReadImage(dom::object obj, size_t index) {
  ImageRecord image;
  const size_t errors_before = errors_.count();
  bool has_id = false;
  bool has_file = false;
  Range phrases;
  bool has_phrases = false;
  for (auto field : obj) {
    const std::string_view key = field.key;
    const dom::element v = field.value;
    // An optional field written as null is treated as absent; required ones are reported below.
    if (json::IsNull(v) && key != "id" && key != "file_name") continue;
    std::string_view s;
    bool ok = true;
    const char* expected = "an integer";
    if (key == "id") {
      has_id = true;
      ok = json::ReadInt(v, &image.id);
    } else if (key == "file_name") {
      expected = "a string";
      has_file = true;
      ok = json::ReadString(v, &s) && Store(s, &image.file_name);
    } else if (key == "width") {
      ok = json::ReadInt32(v, &image.width);
    } else if (key == "height") {
      ok = json::ReadInt32(v, &image.height);
    } else if (key == "caption") {
      expected = "a string";
      ok = json::ReadString(v, &s) && Store(s, &image.caption);
    } else if (key == "dataset_name" || key == "data_source") {
      expected = "a string";
      ok = json::ReadString(v, &s);
      if (ok) (key == "dataset_name" ? image.dataset_name : image.data_source) = Intern(s);
    } else if (key == "original_id" || key == "original_img_id") {
      // Both spellings occur across MDETR's files for the source image's id.
      ok = json::ReadInt(v, &image.original_id);
    } else if (key == "sentence_id") {
      ok = json::ReadInt32(v, &image.sentence_id);
    } else if (key == "tokens_positive_eval") {
      expected = "a list of [[begin, end], ...] span lists";
      // Spans are checked once the caption is known (fields may come in any order).
      ok = has_phrases = ReadPhrases(v, &phrases);
    } else if (key == "neg_category_ids" || key == "not_exhaustive_category_ids") {
      expected = "a list of integers";
      ok = ReadIntList(
          v, key == "neg_category_ids" ? &image.negative_category_ids : &image.not_exhaustive_category_ids);
    } else if (key == "coco_url" || key == "task_id" || key == "question_type" || key == "answer") {
      expected = "a string";
      StringRef* ref = key == "coco_url"        ? &image.coco_url
                       : key == "task_id"       ? &image.task_id
                       : key == "question_type" ? &image.question_type
                                                : &image.answer;
      ok = json::IsNull(v) || (json::ReadString(v, &s) && Store(s, ref));
    } else if (key == "questionId") {
      expected = "a string or an integer";
      int64_t number = 0;
      if (json::ReadString(v, &s)) {
        ok = Store(s, &image.question_id);
      } else if (json::ReadInt(v, &number)) {
        ok = Store(std::to_string(number), &image.question_id);
      } else {
        ok = false;
      }
    }
    if (!ok) {
      if (fatal_ != SUCCESS) return;
      errors_.Add(Where("images", index, key), std::string("expected ") + expected);
    }
  }
  if (!has_id) errors_.Add(Where("images", index, "id"), "missing (every image needs an integer id)");
  if (!has_file) errors_.Add(Where("images", index, "file_name"), "missing (every image needs a file_name)");
  const size_t caption_chars = CaptionChars(image);
  caption_chars_.push_back(static_cast<uint32_t>(caption_chars));
  if (has_phrases) {
    image.phrases = phrases;
    if (options_.check_spans) {
      for (uint32_t p = phrases.begin; p < phrases.end; ++p) {
        const Range r = data_.phrase_spans_[p];
        for (uint32_t i = r.begin; i < r.end; ++i) {
          const Span sp = data_.spans_[i];
          if (sp.begin < 0 || sp.begin > sp.end || static_cast<size_t>(sp.end) > caption_chars) {
            errors_.Add(Where("images", index, "tokens_positive_eval"),
                        "span [" + std::to_string(sp.begin) + ", " + std::to_string(sp.end) +
                            "] outside the caption of " + std::to_string(caption_chars) + " characters");
          }
        }
      }
    }
  }
  if (has_id && errors_before == errors_.count() &&
      !data_.image_by_id_.emplace(image.id, static_cast<uint32_t>(data_.images_.size())).second) {
    errors_.Add(Where("images", index, "id"), "duplicate image id " + std::to_string(image.id));
  }
  data_.images_.push_back(image);
}

void CocoReader::ReadImages(dom::element images) {
  dom::array arr;
  if (images.get_array().get(arr) != SUCCESS) {
    errors_.Add("images", "expected a list of image objects");
    return;
  }
  size_t index = 0;
  for (auto element : arr) {
    dom::object obj;
    if (element.get_object().get(obj) != SUCCESS) {
      errors_.Add("images[" + std::to_string(index) + "]", "expected an object");
    } else {
      ReadImage(obj, index);
    }
    if (fatal_ != SUCCESS) return;
    ++index;
  }
}

bool CocoReader::ReadSegmentation(dom::element v, AnnotationRecord* ann) {
  const dom::element_type type = v.type();
  if (type == dom::element_type::ARRAY) {
    // Polygons: [[x0, y0, x1, y1, ...], ...].
    dom::array polygons;
    if (v.get_array().get(polygons) != SUCCESS) return false;
    ann->segmentation = SegmentationKind::kPolygons;
    ann->polygons.begin = static_cast<uint32_t>(data_.polygon_ranges_.size());
    for (auto polygon : polygons) {
      dom::array coords;
      if (polygon.get_array().get(coords) != SUCCESS) return false;
      Range r;
      r.begin = static_cast<uint32_t>(data_.coords_.size());
      for (auto c : coords) {
        double x = 0;
        if (!json::ReadDouble(c, &x)) return false;
        data_.coords_.push_back(x);
      }
      r.end = static_cast<uint32_t>(data_.coords_.size());
      data_.polygon_ranges_.push_back(r);
    }
    ann->polygons.end = static_cast<uint32_t>(data_.polygon_ranges_.size());
    return true;
  }
  if (type != dom::element_type::OBJECT) return false;
  // RLE: {"counts": "<compressed>" | [runs...], "size": [h, w]}.
  dom::object obj;
  if (v.get_object().get(obj) != SUCCESS) return false;
  ann->segmentation = SegmentationKind::kRle;
  bool has_counts = false;
  for (auto field : obj) {
    const std::string_view key = field.key;
    const dom::element item = field.value;
    if (key == "counts") {
      std::string_view s;
      has_counts =
          json::ReadString(item, &s) ? Store(s, &ann->rle_counts) : ReadIntList(item, &ann->rle_int_counts);
    } else if (key == "size") {
      Range size;
      if (!ReadIntList(item, &size) || size.size() != 2) return false;
      ann->rle_height = static_cast<int32_t>(data_.ints_[size.begin]);
      ann->rle_width = static_cast<int32_t>(data_.ints_[size.begin + 1]);
    }
  }
  return has_counts;
}

void CocoReader::ReadAnnotation(dom::object obj, size_t index) {
  AnnotationRecord ann;
  bool has[5] = {false, false, false, false, false};  // id, image_id, bbox, category_id, area
  for (auto field : obj) {
    const std::string_view key = field.key;
    const dom::element v = field.value;
    if (json::IsNull(v) && key != "id" && key != "image_id" && key != "bbox" && key != "category_id" &&
        key != "area") {
      continue;
    }
    bool ok = true;
    const char* expected = "an integer";
    if (key == "id") {
      has[0] = true;
      ok = json::ReadInt(v, &ann.id);
    } else if (key == "image_id") {
      has[1] = true;
      ok = json::ReadInt(v, &ann.image_id);
    } else if (key == "bbox") {
      expected = "[x, y, width, height] (4 numbers)";
      dom::array arr;
      int n = 0;
      ok = v.get_array().get(arr) == SUCCESS;
      if (ok) {
        for (auto x : arr) {
          if (n >= 4 || !json::ReadDouble(x, &ann.bbox[n])) {
            ok = false;
            break;
          }
          ++n;
        }
      }
      has[2] = true;
      ok = ok && n == 4;
    } else if (key == "category_id") {
      has[3] = true;
      ok = json::ReadInt32(v, &ann.category_id);
    } else if (key == "area") {
      expected = "a number";
      has[4] = true;
      ok = json::ReadDouble(v, &ann.area);
    } else if (key == "iscrowd") {
      int64_t crowd = 0;
      expected = "0 or 1";
      ok = json::ReadInt(v, &crowd) && (crowd == 0 || crowd == 1);
      ann.iscrowd = static_cast<uint8_t>(crowd);
    } else if (key == "isfinal") {
      int64_t final_flag = 0;
      ok = json::ReadInt(v, &final_flag);
      ann.isfinal = static_cast<int8_t>(final_flag != 0);
    } else if (key == "tokens_positive" || key == "tokens") {
      expected = "a list of [begin, end] spans";
      ok = ReadSpanList(v, &ann.tokens_positive);
    } else if (key == "segmentation") {
      expected = "polygons [[x, y, ...], ...] or an RLE object";
      if (options_.keep_segmentation) ok = ReadSegmentation(v, &ann);
    }
    if (!ok) {
      if (fatal_ != SUCCESS) return;
      errors_.Add(Where("annotations", index, key), std::string("expected ") + expected);
    }
  }
  static const char* kRequired[5] = {"id", "image_id", "bbox", "category_id", "area"};
  for (int i = 0; i < 5; ++i) {
    if (!has[i]) errors_.Add(Where("annotations", index, kRequired[i]), "missing (required field)");
  }
  data_.stats_.crowd_annotations += ann.iscrowd;
  data_.annotations_.push_back(ann);
}

void CocoReader::ReadAnnotations(dom::element annotations) {
  dom::array arr;
  if (annotations.get_array().get(arr) != SUCCESS) {
    errors_.Add("annotations", "expected a list of annotation objects");
    return;
  }
  size_t index = 0;
  for (auto element : arr) {
    dom::object obj;
    if (element.get_object().get(obj) != SUCCESS) {
      errors_.Add("annotations[" + std::to_string(index) + "]", "expected an object");
    } else {
      ReadAnnotation(obj, index);
    }
    if (fatal_ != SUCCESS) return;
    ++index;
  }
}

void CocoReader::ReadCategories(dom::element categories) {
  dom::array arr;
  if (categories.get_array().get(arr) != SUCCESS) {
    errors_.Add("categories", "expected a list of category objects");
    return;
  }
  size_t index = 0;
  for (auto element : arr) {
    dom::object obj;
    CategoryRecord cat;
    bool has_id = false;
    if (element.get_object().get(obj) != SUCCESS) {
      errors_.Add("categories[" + std::to_string(index++) + "]", "expected an object");
      continue;
    }
    for (auto field : obj) {
      const std::string_view key = field.key;
      const dom::element v = field.value;
      std::string_view s;
      bool ok = true;
      if (key == "id") {
        has_id = true;
        ok = json::ReadInt32(v, &cat.id);
      } else if (key == "name" || key == "supercategory" || key == "synset") {
        StringRef* ref = key == "name" ? &cat.name : key == "synset" ? &cat.synset : &cat.supercategory;
        ok = json::ReadString(v, &s) && Store(s, ref);
      } else if (key == "frequency") {
        ok = json::ReadString(v, &s) && (s == "r" || s == "c" || s == "f");
        if (ok) cat.frequency = s[0];
      } else if (key == "image_count") {
        ok = json::ReadInt32(v, &cat.image_count);
      } else if (key == "instance_count") {
        ok = json::ReadInt32(v, &cat.instance_count);
      }
      if (!ok)
        errors_.Add(Where("categories", index, key),
                    key == "frequency" ? "expected \"r\", \"c\" or \"f\"" : "wrong type");
    }
    if (!has_id)
      errors_.Add(Where("categories", index, "id"), "missing (every category needs an integer id)");
    if (has_id &&
        !data_.category_by_id_.emplace(cat.id, static_cast<uint32_t>(data_.categories_.size())).second) {
      errors_.Add(Where("categories", index, "id"), "duplicate category id " + std::to_string(cat.id));
    }
    data_.categories_.push_back(cat);
    ++index;
  }
}

void CocoReader::CheckSpans(const ImageRecord& image, const AnnotationRecord& ann, size_t index) {
  const size_t chars = caption_chars_[ann.image_index];
  for (uint32_t i = ann.tokens_positive.begin; i < ann.tokens_positive.end; ++i) {
    const Span sp = data_.spans_[i];
    if (sp.begin < 0 || sp.begin > sp.end || static_cast<size_t>(sp.end) > chars) {
      errors_.Add(Where("annotations", index, "tokens_positive"),
                  "span [" + std::to_string(sp.begin) + ", " + std::to_string(sp.end) +
                      "] outside the caption of " + std::to_string(chars) + " characters of image " +
                      std::to_string(image.id));
      return;
    }
  }
}

// Sizes the flat arrays once from the DOM's element counts, so a large file is not copied by
// repeated vector growth. Over-reserving is cheap: untouched capacity is never paged in.
void CocoReader::Reserve(dom::object root, size_t json_bytes) {
  dom::array images;
  dom::array annotations;
  size_t num_images = 0;
  size_t num_annotations = 0;
  if (root["images"].get_array().get(images) == SUCCESS) num_images = images.size();
  if (root["annotations"].get_array().get(annotations) == SUCCESS) num_annotations = annotations.size();
  data_.images_.reserve(num_images);
  data_.image_by_id_.reserve(num_images);
  data_.annotations_.reserve(num_annotations);
  data_.spans_.reserve(2 * num_annotations + 4 * num_images);
  data_.phrase_spans_.reserve(2 * num_images);
  data_.arena_.Reserve(json_bytes / 2);
}

// Resolves image ids and groups annotations by image (counting sort, stable in file order).
void CocoReader::BuildIndex() {
  std::vector<uint32_t> counts(data_.images_.size() + 1, 0);
  for (size_t a = 0; a < data_.annotations_.size(); ++a) {
    AnnotationRecord& ann = data_.annotations_[a];
    auto it = data_.image_by_id_.find(ann.image_id);
    if (it == data_.image_by_id_.end()) {
      ++data_.stats_.orphan_annotations;
      continue;
    }
    ann.image_index = it->second;
    ++counts[ann.image_index + 1];
    if (options_.check_spans && !ann.tokens_positive.empty())
      CheckSpans(data_.images_[ann.image_index], ann, a);
  }
  for (size_t i = 1; i < counts.size(); ++i) counts[i] += counts[i - 1];
  for (size_t i = 0; i < data_.images_.size(); ++i) data_.images_[i].annotations = {counts[i], counts[i]};
  data_.annotation_order_.resize(counts.back());
  for (size_t a = 0; a < data_.annotations_.size(); ++a) {
    const uint32_t img = data_.annotations_[a].image_index;
    if (img == kNoImage) continue;
    data_.annotation_order_[data_.images_[img].annotations.end++] = static_cast<uint32_t>(a);
  }
}

Result<CocoDataset> CocoReader::Read(JsonInput json) {
  dom::parser parser;
  dom::element doc;
  auto code = parser.parse(json.data(), json.size(), false).get(doc);
  if (code != SUCCESS) {
    return InvalidArgumentError(data_.source_ + ": not valid JSON (" + simdjson::error_message(code) + ")");
  }
  const size_t json_bytes = json.size();
  json.Release();  // the DOM holds its own copy of every string
  dom::object root;
  if (doc.get_object().get(root) != SUCCESS) {
    return InvalidArgumentError(data_.source_ + ": expected a JSON object at the top level");
  }
  Reserve(root, json_bytes);
  bool has_images = false;
  for (dom::key_value_pair field : root) {
    if (field.key == "images") {
      has_images = true;
      ReadImages(field.value);
    } else if (field.key == "annotations") {
      ReadAnnotations(field.value);
    } else if (field.key == "categories") {
      ReadCategories(field.value);
    }
    if (fatal_ == simdjson::CAPACITY) {
      return ResourceExhaustedError(data_.source_ + ": strings exceed the 4 GiB arena limit");
    }
  }
  if (!has_images) errors_.Add("images", "missing (a COCO-style file needs an \"images\" list)");
  BuildIndex();
  MDETR_RETURN_IF_ERROR(errors_.ToStatus());
  // Bytes in use (reserved but untouched capacity is not resident).
  data_.stats_.memory_bytes =
      data_.arena_.used() + data_.images_.size() * sizeof(ImageRecord) +
      data_.annotations_.size() * sizeof(AnnotationRecord) + data_.spans_.size() * sizeof(Span) +
      data_.phrase_spans_.size() * sizeof(Range) + data_.polygon_ranges_.size() * sizeof(Range) +
      data_.coords_.size() * sizeof(double) + data_.ints_.size() * sizeof(int64_t) +
      data_.annotation_order_.size() * sizeof(uint32_t) +
      data_.image_by_id_.size() * (sizeof(int64_t) + sizeof(uint32_t) + 2 * sizeof(void*));
  return std::move(data_);
}

Result<CocoDataset> ReadCocoJson(const std::string& path, const CocoReadOptions& options) {
  MDETR_ASSIGN_OR_RETURN(JsonInput json, JsonInput::Load(path));
  return CocoReader(path, options).Read(std::move(json));
}

Result<CocoDataset> ParseCocoJson(std::string_view json, const std::string& source,
                                  const CocoReadOptions& options) {
  return CocoReader(source, options).Read(JsonInput(json));
}

}  // namespace mdetr::annotations
