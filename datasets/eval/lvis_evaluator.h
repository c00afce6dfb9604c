// LVIS box AP with the LVIS API's federated rules (MDETR's datasets/lvis_eval.py): detections
// of a category count in an image only if the category is among the image's ground truth or its
// negative_category_ids; unmatched detections of a not_exhaustive category are ignored; APr/APc/APf
// average over the rare/common/frequent categories. Every ground-truth image takes part.
//
// Two detection limits, as in the reference:
//  * kFixedAp (MDETR's LVIS evaluation, "Fixed AP" of Dave et al.): the top 10,000 detections of
//    each category over the whole dataset, no limit per image;
//  * kStandard: the top 300 detections of each image.
// The partial state is the detections kept so far; ranks serialise it, one merges and summarises.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/status.h"
#include "datasets/annotations/coco_dataset.h"
#include "datasets/eval/coco_evaluator.h"

namespace mdetr::eval {

enum class LvisLimit : uint8_t { kFixedAp = 0, kStandard = 1 };

struct LvisEvalOptions {
  LvisLimit limit = LvisLimit::kFixedAp;
  int32_t top_k_per_category = 10000;  // kFixedAp
  int32_t max_dets_per_image = 300;    // kStandard
};

struct LvisSummary {
  double ap = -1, ap50 = -1, ap75 = -1, aps = -1, apm = -1, apl = -1, apr = -1, apc = -1, apf = -1;
  double ar = -1, ars = -1, arm = -1, arl = -1;
  size_t num_detections = 0;          // after the limits
  size_t categories_below_top_k = 0;  // kFixedAp: categories with fewer than top_k detections
};

class LvisEvaluator {
 public:
  // `gt` (an LVIS file: every category needs a frequency) must outlive the evaluator.
  static Result<LvisEvaluator> Create(const annotations::CocoDataset& gt, LvisEvalOptions options = {});

  // Fails on an image id that is not in the ground truth or a non-finite box or score.
  Status AddImage(int64_t image_id, const std::vector<Detection>& detections);

  std::string SerializeState() const;
  Status MergeState(std::string_view bytes);

  LvisSummary Summarize() const;

 private:
  struct Kept {
    int64_t image_id;
    int32_t category_id;
    BoxXywh box;
    double score;
  };
  LvisEvaluator(const annotations::CocoDataset& gt, LvisEvalOptions options) : gt_(&gt), options_(options) {}
  void Prune(std::vector<Kept>* list, size_t limit);
  std::vector<Kept> FinalDetections(size_t* categories_below_top_k) const;

  const annotations::CocoDataset* gt_;
  LvisEvalOptions options_;
  // kFixedAp: one list per category; kStandard: one per image. Keys in first-seen order, as the
  // reference's dicts, so that ties are broken the same way.
  std::vector<int64_t> keys_;
  std::unordered_map<int64_t, std::vector<Kept>> lists_;
};

}  // namespace mdetr::eval
