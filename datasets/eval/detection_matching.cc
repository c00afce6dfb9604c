#include "datasets/eval/detection_matching.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace mdetr::eval {
namespace {

// numpy.linspace(start, stop, num): i * step + start, the last value set to stop.
template <size_t N>
std::array<double, N> Linspace(double start, double stop) {
  std::array<double, N> out{};
  const double step = (stop - start) / static_cast<double>(N - 1);
  for (size_t i = 0; i < N; ++i) {
    const double scaled = static_cast<double>(i) * step;
    out[i] = scaled + start;
  }
  out[N - 1] = stop;
  return out;
}

// np.spacing(1): the gap between 1.0 and the next double.
constexpr double kSpacingOne = 2.220446049250313e-16;

}  // namespace

const std::array<double, kNumIouThresholds>& IouThresholds() {
  static const auto kThresholds = Linspace<kNumIouThresholds>(0.5, 0.95);
  return kThresholds;
}

const std::array<double, kNumRecallThresholds>& RecallThresholds() {
  static const auto kThresholds = Linspace<kNumRecallThresholds>(0.0, 1.0);
  return kThresholds;
}

double AreaLow(int a) {
  static constexpr double kLow[kNumAreaRanges] = {0.0, 0.0, 32.0 * 32.0, 96.0 * 96.0};
  return kLow[a];
}

double AreaHigh(int a) {
  static constexpr double kHigh[kNumAreaRanges] = {1e5 * 1e5, 32.0 * 32.0, 96.0 * 96.0, 1e5 * 1e5};
  return kHigh[a];
}

double BoxIou(const BoxXywh& d, const BoxXywh& g, bool gt_crowd) {
  const double ga = g.w * g.h;
  const double da = d.w * d.h;
  const double w = std::fmin(d.w + d.x, g.w + g.x) - std::fmax(d.x, g.x);
  if (w <= 0) return 0;
  const double h = std::fmin(d.h + d.y, g.h + g.y) - std::fmax(d.y, g.y);
  if (h <= 0) return 0;
  const double i = w * h;
  const double u = gt_crowd ? da : da + ga - i;
  return i / u;
}

std::vector<uint32_t> ScoreOrder(const std::vector<MatchDt>& dts) {
  std::vector<uint32_t> order(dts.size());
  std::iota(order.begin(), order.end(), 0u);
  std::stable_sort(order.begin(), order.end(),
                   [&](uint32_t a, uint32_t b) { return dts[a].score > dts[b].score; });
  return order;
}

std::vector<double> IouMatrix(const std::vector<MatchGt>& gts, const std::vector<MatchDt>& dts) {
  std::vector<double> ious(dts.size() * gts.size());
  for (size_t d = 0; d < dts.size(); ++d) {
    for (size_t g = 0; g < gts.size(); ++g)
      ious[d * gts.size() + g] = BoxIou(dts[d].box, gts[g].box, gts[g].crowd);
  }
  return ious;
}

ImageEval MatchImage(const std::vector<MatchGt>& gts, const std::vector<MatchDt>& dts,
                     const std::vector<double>& ious, int area_range) {
  const double lo = AreaLow(area_range);
  const double hi = AreaHigh(area_range);
  const size_t num_gt = gts.size();
  const size_t num_dt = dts.size();

  // Ground truth that does not count (crowd, or outside the area range) goes last, stably.
  std::vector<uint8_t> gt_ignore_input(num_gt);
  for (size_t g = 0; g < num_gt; ++g) {
    gt_ignore_input[g] = (gts[g].crowd || gts[g].area < lo || gts[g].area > hi) ? 1 : 0;
  }
  std::vector<uint32_t> gt_order(num_gt);
  std::iota(gt_order.begin(), gt_order.end(), 0u);
  std::stable_sort(gt_order.begin(), gt_order.end(),
                   [&](uint32_t a, uint32_t b) { return gt_ignore_input[a] < gt_ignore_input[b]; });

  ImageEval out;
  out.dt_scores.resize(num_dt);
  for (size_t d = 0; d < num_dt; ++d) out.dt_scores[d] = dts[d].score;
  out.dt_matched.assign(kNumIouThresholds * num_dt, 0);
  out.dt_ignored.assign(kNumIouThresholds * num_dt, 0);
  for (size_t g = 0; g < num_gt; ++g) out.num_gt += gt_ignore_input[g] ? 0 : 1;

  std::vector<uint8_t> gt_taken(num_gt);
  if (num_gt > 0 && num_dt > 0) {
    const auto& thresholds = IouThresholds();
    for (int t = 0; t < kNumIouThresholds; ++t) {
      std::fill(gt_taken.begin(), gt_taken.end(), 0);
      for (size_t d = 0; d < num_dt; ++d) {
        double best = std::min(thresholds[t], 1 - 1e-10);
        int m = -1;
        for (size_t k = 0; k < num_gt; ++k) {
          const uint32_t g = gt_order[k];
          if (gt_taken[k] && !gts[g].crowd) continue;
          // Once matched to a ground truth that counts, never move on to ignored ones.
          if (m > -1 && !gt_ignore_input[gt_order[m]] && gt_ignore_input[g]) break;
          const double iou = ious[d * num_gt + g];
          if (iou < best) continue;
          best = iou;
          m = static_cast<int>(k);
        }
        if (m == -1) continue;
        const uint32_t g = gt_order[m];
        out.dt_ignored[t * num_dt + d] = gt_ignore_input[g];
        // The reference records the matched annotation's id and tests it for non-zero, so a
        // ground truth with id 0 leaves its detection looking unmatched; kept for parity.
        out.dt_matched[t * num_dt + d] = gts[g].id != 0 ? 1 : 0;
        gt_taken[m] = 1;
      }
    }
  }
  // Unmatched detections outside the area range (or of a not-exhaustive LVIS category) are ignored.
  for (size_t d = 0; d < num_dt; ++d) {
    const bool ignorable = dts[d].area < lo || dts[d].area > hi || dts[d].ignore_unmatched;
    if (!ignorable) continue;
    for (int t = 0; t < kNumIouThresholds; ++t) {
      if (!out.dt_matched[t * num_dt + d]) out.dt_ignored[t * num_dt + d] = 1;
    }
  }
  return out;
}

bool Accumulate(const std::vector<const ImageEval*>& images, int max_det,
                std::array<std::array<double, kNumRecallThresholds>, kNumIouThresholds>* precision,
                std::array<double, kNumIouThresholds>* recall) {
  if (images.empty()) return false;
  struct Ref {
    const ImageEval* image;
    int32_t d;
  };
  std::vector<Ref> refs;
  std::vector<double> scores;
  int64_t num_gt = 0;
  for (const ImageEval* e : images) {
    const int32_t n = max_det < 0 ? e->num_dt() : std::min(e->num_dt(), max_det);
    for (int32_t d = 0; d < n; ++d) {
      refs.push_back({e, d});
      scores.push_back(e->dt_scores[d]);
    }
    num_gt += e->num_gt;
  }
  if (num_gt == 0) return false;
  std::vector<uint32_t> order(refs.size());
  std::iota(order.begin(), order.end(), 0u);
  std::stable_sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) { return scores[a] > scores[b]; });

  const size_t nd = order.size();
  const auto& recall_thresholds = RecallThresholds();
  std::vector<double> pr(nd);
  std::vector<double> rc(nd);
  for (int t = 0; t < kNumIouThresholds; ++t) {
    double tp = 0;
    double fp = 0;
    for (size_t i = 0; i < nd; ++i) {
      const Ref& r = refs[order[i]];
      const size_t at =
          static_cast<size_t>(t) * static_cast<size_t>(r.image->num_dt()) + static_cast<size_t>(r.d);
      if (!r.image->dt_ignored[at]) {
        if (r.image->dt_matched[at]) {
          tp += 1;
        } else {
          fp += 1;
        }
      }
      rc[i] = tp / static_cast<double>(num_gt);
      pr[i] = tp / (fp + tp + kSpacingOne);
    }
    (*recall)[t] = nd > 0 ? rc[nd - 1] : 0.0;
    // Precision envelope: the best precision at any higher recall.
    for (size_t i = nd; i-- > 1;) {
      if (pr[i] > pr[i - 1]) pr[i - 1] = pr[i];
    }
    auto& row = (*precision)[t];
    size_t pos = 0;
    for (int r = 0; r < kNumRecallThresholds; ++r) {
      // searchsorted(rc, threshold, side="left"); past the end the rest stay 0.
      while (pos < nd && rc[pos] < recall_thresholds[r]) ++pos;
      row[r] = pos < nd ? pr[pos] : 0.0;
    }
  }
  return true;
}

}  // namespace mdetr::eval
