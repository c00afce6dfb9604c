// PhraseCut referring-expression segmentation (MDETR's datasets/phrasecut_eval.py over the
// PhraseCut evaluator, utils/evaluator.py + iou.py): per task, the IoU of the predicted boxes with
// the ground-truth instance boxes (both drawn as pixel masks, with that code's integer rules) and
// of the predicted mask with the ground-truth polygons (drawn as Pillow fills them).
// Summary: mean IoU, cumulative IoU (sum of intersections / sum of unions, masks only) and the
// fraction of tasks with IoU > 0.5, 0.6, 0.7, 0.8, 0.9.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/status.h"
#include "datasets/eval/detection_matching.h"
#include "datasets/eval/polygon_raster.h"

namespace mdetr::eval {

struct PhraseCutTask {
  std::string task_id;
  int64_t image_id = 0;
  int width = 0;  // of the image
  int height = 0;
  // Every polygon of every described instance, as (x, y) points in pixels.
  std::vector<std::vector<std::pair<double, double>>> polygons;
  std::vector<BoxXywh> boxes;  // instance boxes
};

// Reads PhraseCut's refer_<split>.json (tasks) and image_data_split.json (image sizes).
Result<std::vector<PhraseCutTask>> ReadPhraseCutTasks(const std::string& refer_path,
                                                      const std::string& image_info_path);

struct PhraseCutPrediction {
  std::vector<BoxXywh> boxes;  // kept boxes (score > 0.7 in MDETR), x, y, w, h
  bool has_mask = false;
  BinaryMask mask;  // union of the kept masks, original image size
};

// Box IoU of PhraseCut's iou_boxes: both box sets drawn as masks over their common extent.
double PhraseCutBoxIou(const std::vector<BoxXywh>& predicted, const std::vector<BoxXywh>& truth);

struct MaskOverlap {
  double iou = 0;
  int64_t intersection = 0;
  int64_t union_area = 0;
};
// Mask IoU of iou_polygons_masks: the polygons (points truncated to integers) drawn at the
// predicted mask's size.
MaskOverlap PolygonMaskOverlap(const std::vector<std::vector<std::pair<double, double>>>& polygons,
                               const BinaryMask& predicted);

struct PhraseCutSummary {
  static constexpr std::array<double, 5> kThresholds = {0.5, 0.6, 0.7, 0.8, 0.9};
  int64_t tasks_evaluated = 0;
  int64_t tasks_total = 0;
  double mean_box_iou = 0;
  std::array<double, 5> box_precision{};
  bool has_masks = false;
  double mean_mask_iou = 0;
  double cum_mask_iou = 0;
  std::array<double, 5> mask_precision{};
};

class PhraseCutEvaluator {
 public:
  PhraseCutEvaluator(std::vector<PhraseCutTask> tasks, bool evaluate_masks);

  // Fails on an unknown task, or (with masks) a prediction without a mask. A task evaluated
  // twice keeps its first result (the reference skips images it has already evaluated).
  Status Add(const std::string& task_id, const PhraseCutPrediction& prediction);

  std::string SerializeState() const;
  Status MergeState(std::string_view bytes);

  // Over the tasks evaluated so far (the reference warns about, and skips, tasks without a
  // prediction); tasks_total says how many the split has.
  PhraseCutSummary Summarize() const;

 private:
  struct TaskResult {
    double box_iou = 0;
    double mask_iou = 0;
    int64_t intersection = 0;
    int64_t union_area = 0;
  };
  std::vector<PhraseCutTask> tasks_;
  std::unordered_map<std::string, size_t> task_index_;
  bool evaluate_masks_;
  std::map<std::string, TaskResult> results_;  // by task id
  std::vector<std::string> order_;             // evaluation order, for the means
};

}  // namespace mdetr::eval
