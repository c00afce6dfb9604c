// RefCOCO / RefCOCO+ / RefCOCOg precision@k (MDETR's datasets/refexp.py) and CLEVR-Ref+ (its
// datasets/clevrref.py). Each image entry of the ground truth is one referring expression with
// one box. The predicted boxes are ranked by score; the expression counts as found at k when the
// best *generalised* IoU among the top k boxes is >= 0.5 (the reference uses GIoU, not IoU). The
// arithmetic is float32, as the reference's tensors.
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

// GIoU of two xyxy boxes with the reference's float32 operations (util/box_ops.py).
float GeneralizedBoxIou(const BoxXyxyF& a, const BoxXyxyF& b);

enum class RefExpProtocol : uint8_t {
  kRefCoco = 0,   // every entry must have exactly one box; grouped by dataset_name
  kClevrRef = 1,  // entries without exactly one box are skipped; one group "clevrref"
};

struct RefExpScores {
  double count = 0;
  std::array<double, 3> precision{};  // at k = 1, 5, 10
};

class RefExpEvaluator {
 public:
  static constexpr std::array<int, 3> kTopK = {1, 5, 10};

  // `gt` must outlive the evaluator.
  explicit RefExpEvaluator(const annotations::CocoDataset& gt,
                           RefExpProtocol protocol = RefExpProtocol::kRefCoco, float threshold = 0.5f)
      : gt_(&gt), protocol_(protocol), threshold_(threshold) {}

  // All queries of one expression: scores (CLEVR-Ref+: scores_refexp) and xyxy boxes in
  // original-image pixels. A later call for the same image replaces the earlier one, as the
  // reference's dict update does. Fails on unknown images, mismatched sizes, or no boxes.
  Status AddImage(int64_t image_id, const std::vector<float>& scores, const std::vector<BoxXyxyF>& boxes);

  std::string SerializeState() const;
  // Entries of `bytes` replace this evaluator's for the same image (later ranks win, as in the
  // reference's all_gather + dict.update).
  Status MergeState(std::string_view bytes);

  // Per group ("refcoco", "refcoco+", "refcocog", "synthetic_refexp"; or "clevrref"). Fails when an expression of the
  // ground truth has no prediction, an entry has other than one box (kRefCoco), a box is
  // degenerate (x1 < x0), or dataset_name is none of the three.
  Result<std::map<std::string, RefExpScores>> Summarize() const;

 private:
  struct Prediction {
    std::vector<float> scores;
    std::vector<BoxXyxyF> boxes;
  };
  const annotations::CocoDataset* gt_;
  RefExpProtocol protocol_;
  float threshold_;
  std::unordered_map<int64_t, Prediction> predictions_;
};

}  // namespace mdetr::eval
