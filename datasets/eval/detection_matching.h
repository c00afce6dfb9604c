// The per-image greedy matching and the precision/recall accumulation shared by the COCO and
// LVIS box evaluators. Semantics follow pycocotools' COCOeval (evaluateImg / accumulate) and the
// LVIS API, whose matching differs only in what is ignored; see the notes on each field.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

namespace mdetr::eval {

struct BoxXywh {
  double x = 0;
  double y = 0;
  double w = 0;
  double h = 0;
};

// A box as the model's post-processor returns it: corners in original-image pixels, float32.
struct BoxXyxyF {
  float x0 = 0;
  float y0 = 0;
  float x1 = 0;
  float y1 = 0;
};

inline constexpr int kNumIouThresholds = 10;      // 0.50:0.05:0.95
inline constexpr int kNumRecallThresholds = 101;  // 0:0.01:1
inline constexpr int kNumAreaRanges = 4;          // all, small, medium, large

// The thresholds exactly as numpy's linspace computes them, so that an IoU lying on a threshold
// is decided the same way as in the reference.
const std::array<double, kNumIouThresholds>& IouThresholds();
const std::array<double, kNumRecallThresholds>& RecallThresholds();
// [lo, hi] of area range a: 0..1e10, 0..32^2, 32^2..96^2, 96^2..1e10.
double AreaLow(int a);
double AreaHigh(int a);

// IoU of two xywh boxes as pycocotools computes it (maskApi bbIou); for a crowd ground truth the
// denominator is the detection's area.
double BoxIou(const BoxXywh& dt, const BoxXywh& gt, bool gt_crowd);

struct MatchGt {
  BoxXywh box;
  double area = 0;
  int64_t id = 0;
  bool crowd = false;  // COCO iscrowd: may absorb several detections, and is always ignored
};

struct MatchDt {
  BoxXywh box;
  double area = 0;
  double score = 0;
  bool ignore_unmatched = false;  // LVIS: category not exhaustively annotated in this image
};

// Matching of one (image, category) for one area range.
struct ImageEval {
  std::vector<double> dt_scores;    // D, in decreasing score order
  std::vector<uint8_t> dt_matched;  // [T][D]
  std::vector<uint8_t> dt_ignored;  // [T][D]
  int32_t num_gt = 0;               // ground truth not ignored in this area range
  int32_t num_dt() const { return static_cast<int32_t>(dt_scores.size()); }
};

// Sorts detections by decreasing score keeping ties in input order (numpy's mergesort), the order
// every later step expects. Returns the permutation.
std::vector<uint32_t> ScoreOrder(const std::vector<MatchDt>& dts);

// Greedy matching at every IoU threshold. `dts` must already be in ScoreOrder (and cut to the
// detection limit); `ious` is D x G in that order and the gts' input order.
ImageEval MatchImage(const std::vector<MatchGt>& gts, const std::vector<MatchDt>& dts,
                     const std::vector<double>& ious, int area_range);

// D x G IoUs.
std::vector<double> IouMatrix(const std::vector<MatchGt>& gts, const std::vector<MatchDt>& dts);

// Precision at the 101 recall thresholds and final recall, per IoU threshold, over the images of
// one (category, area range), each image contributing its first `max_det` detections (-1: all).
// Returns false when there is nothing to score (no image, or no ground truth that counts); the
// reference leaves -1 there.
bool Accumulate(const std::vector<const ImageEval*>& images, int max_det,
                std::array<std::array<double, kNumRecallThresholds>, kNumIouThresholds>* precision,
                std::array<double, kNumIouThresholds>* recall);

// Mean of the values above -1, or -1 when there are none (the reference's summary rule).
class ValidMean {
 public:
  void Add(double v) {
    if (v > -1) {
      sum_ += v;
      ++n_;
    }
  }
  double Get() const { return n_ == 0 ? -1.0 : sum_ / static_cast<double>(n_); }

 private:
  double sum_ = 0;
  int64_t n_ = 0;
};

}  // namespace mdetr::eval
