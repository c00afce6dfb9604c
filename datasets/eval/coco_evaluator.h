// COCO box AP exactly as pycocotools' COCOeval (iouType "bbox") computes it, in MDETR's
// distributed form (datasets/coco_eval.py): each rank evaluates the images it saw as it sees
// them, the per-image results are serialised, merged on one rank and summarised once.
//
// Only the images passed to AddImage take part (as in the reference, where an image counts once
// some update() named it); pass an empty detection list for an image the model found nothing in.
// With use_categories = false every detection may match every ground-truth box (MDETR's
// class-agnostic pre-training validation, whose reported figure is AP50).
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/status.h"
#include "datasets/annotations/coco_dataset.h"
#include "datasets/eval/detection_matching.h"

namespace mdetr::eval {

struct Detection {
  int32_t category_id = 1;
  BoxXywh box;  // pixels of the original image
  double score = 0;
};

// MDETR's PostProcess output for one image (every query: xyxy box, score, label) as detections,
// the width and height computed in float32 as the reference's convert_to_xywh does. Fails when the
// three lists differ in length.
Result<std::vector<Detection>> DetectionsFromQueries(const std::vector<BoxXyxyF>& boxes,
                                                     const std::vector<float>& scores,
                                                     const std::vector<int32_t>& labels);

struct CocoSummary {
  // pycocotools' stats[0..11]: AP, AP50, AP75, APs, APm, APl, AR1, AR10, AR100, ARs, ARm, ARl.
  // -1 where nothing could be scored.
  std::array<double, 12> stats{};
  double ap() const { return stats[0]; }
  double ap50() const { return stats[1]; }
  double ap75() const { return stats[2]; }
  size_t num_images = 0;
};

struct CocoEvalOptions {
  bool use_categories = true;
};

class CocoBoxEvaluator {
 public:
  // `gt` must outlive the evaluator.
  CocoBoxEvaluator(const annotations::CocoDataset& gt, CocoEvalOptions options = {});

  // Evaluates one image. An image given twice keeps its first evaluation (the reference keeps the
  // first occurrence when ranks overlap). Fails on an image id that is not in the ground truth,
  // or a non-finite box or score.
  Status AddImage(int64_t image_id, const std::vector<Detection>& detections);

  // The per-image results so far, to be merged into another evaluator over the same ground truth.
  std::string SerializeState() const;
  Status MergeState(std::string_view bytes);

  CocoSummary Summarize() const;
  size_t num_images() const { return images_.size(); }

 private:
  struct CategoryEval {
    int32_t category_index = 0;  // into categories_, or 0 for the class-agnostic group
    std::array<ImageEval, kNumAreaRanges> areas;
  };

  const annotations::CocoDataset* gt_;
  CocoEvalOptions options_;
  std::vector<int32_t> category_ids_;  // sorted, as COCOeval's params.catIds
  std::unordered_map<int32_t, int32_t> category_index_;
  std::map<int64_t, std::vector<CategoryEval>> images_;  // sorted by image id
};

}  // namespace mdetr::eval
