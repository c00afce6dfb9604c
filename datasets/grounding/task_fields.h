// The task-specific parts of a sample, read from the annotation file when a task needs them:
//  * segmentation masks (PhraseCut): each annotation's polygons filled at the original image size
//    (the union of its polygons, as the reference's ConvertCocoPolysToMask), rasterised as
//    pycocotools does (eval::RasterizePolygonCoco): the reference's masks pixel for pixel;
//  * question answering: GQA's answer type and answer ids (the reference's datasets/gqa.py: ids
//    from gqa_answer2id.json and gqa_answer2id_by_type.json, an unknown answer mapped to
//    "unknown", -100 for the heads of other types), CLEVR's answer type and answer (the reference's
//    fixed encoding: yes/no, the 15 attribute names, or a count);
//  * CLEVR-Ref+'s per-box "is final" flag.
// Every record is checked when the dataset is opened, so a bad file fails before training starts,
// with messages that name the file, the record and the field.
#pragma once

#include <torch/torch.h>

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/status.h"
#include "datasets/annotations/coco_dataset.h"

namespace mdetr::grounding {

struct TaskFieldOptions {
  bool masks = false;
  std::string qa_dataset;  // "" | gqa | clevr
  // Folder holding gqa_answer2id.json and gqa_answer2id_by_type.json (GQA only). Empty: the
  // annotation file's folder, the reference's layout (both live in --gqa_ann_path).
  std::string answer_dir;
  bool isfinal = false;  // CLEVR-Ref+
};

// GQA answer types, in the reference's type2id order.
inline constexpr std::array<const char*, 5> kGqaAnswerTypes = {"obj", "attr", "rel", "global", "cat"};
// CLEVR answer types, in the reference's order.
inline constexpr std::array<const char*, 3> kClevrAnswerTypes = {"binary", "attr", "count"};

// One question's answer as the QA heads learn it.
struct QaLabel {
  int type = -1;              // GQA: 0 obj .. 4 cat; CLEVR: 0 yes/no, 1 attribute, 2 count
  int64_t type_answer = 0;    // GQA: index in that type's list; CLEVR: 0/1, attribute index, or count
  int64_t answer = 0;         // GQA: index in the list of all answers (single-head model)
};

// GQA's answer lists: answer -> id, over all answers and per type.
class GqaAnswerIds {
 public:
  // Reads gqa_answer2id.json and gqa_answer2id_by_type.json from `dir`.
  static Result<GqaAnswerIds> FromFolder(const std::string& dir);
  // The reference's lookup: an answer missing from a list takes that list's "unknown".
  Result<QaLabel> Label(const std::string& answer, const std::string& question_type) const;
  int64_t num_answers() const { return static_cast<int64_t>(all_.size()); }
  int64_t num_type_answers(int type) const { return static_cast<int64_t>(by_type_[static_cast<size_t>(type)].size()); }

 private:
  std::map<std::string, int64_t> all_;
  std::array<std::map<std::string, int64_t>, 5> by_type_;
  std::string all_path_, by_type_path_;
};

// Reads what the options ask for from one annotation file, checked up front.
class TaskFields {
 public:
  // Checks every image and annotation of `data` (read from `source`) that the options need.
  static Result<TaskFields> Open(const TaskFieldOptions& options, const annotations::CocoDataset& data,
                                 const std::string& source);

  const TaskFieldOptions& options() const { return options_; }
  bool any() const { return options_.masks || !options_.qa_dataset.empty() || options_.isfinal; }

  // [n,height,width] bool: annotation anns[i]'s polygons filled.
  torch::Tensor Masks(const annotations::CocoDataset& data, const std::vector<uint32_t>& anns, int width,
                      int height) const;
  // The question's answer (qa_dataset set); checked at Open, so it does not fail here.
  QaLabel Answer(const annotations::CocoDataset& data, uint32_t image_index) const;

 private:
  TaskFieldOptions options_;
  std::shared_ptr<const GqaAnswerIds> gqa_;
};

// CLEVR's encoding of an answer string (datasets/clevr.py _encode_answer): yes/no, one of the 15
// attribute names, or a count 0..; anything else is an error.
Result<QaLabel> ClevrLabel(const std::string& answer);

}  // namespace mdetr::grounding
