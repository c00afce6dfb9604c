#include "datasets/eval/refexp_evaluator.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "datasets/eval/byte_io.h"

namespace mdetr::eval {
namespace {

constexpr uint32_t kStateMagic = 0x46455245;  // "EREF"
constexpr uint32_t kStateVersion = 1;

// torch.clamp(min=0) keeps NaN; std::max(0, NaN) would not.
float ClampMin0(float v) { return v < 0.0f ? 0.0f : v; }

bool Valid(const BoxXyxyF& b) { return b.x1 >= b.x0 && b.y1 >= b.y0; }

}  // namespace

float GeneralizedBoxIou(const BoxXyxyF& a, const BoxXyxyF& b) {
  const float area_a = (a.x1 - a.x0) * (a.y1 - a.y0);
  const float area_b = (b.x1 - b.x0) * (b.y1 - b.y0);
  const float inter_w = ClampMin0(std::min(a.x1, b.x1) - std::max(a.x0, b.x0));
  const float inter_h = ClampMin0(std::min(a.y1, b.y1) - std::max(a.y0, b.y0));
  const float inter = inter_w * inter_h;
  const float sum = area_a + area_b;
  const float union_area = sum - inter;
  const float iou = inter / union_area;
  const float hull_w = ClampMin0(std::max(a.x1, b.x1) - std::min(a.x0, b.x0));
  const float hull_h = ClampMin0(std::max(a.y1, b.y1) - std::min(a.y0, b.y0));
  const float hull = hull_w * hull_h;
  const float excess = hull - union_area;
  return iou - excess / hull;
}

Status RefExpEvaluator::AddImage(int64_t image_id, const std::vector<float>& scores,
                                 const std::vector<BoxXyxyF>& boxes) {
  if (gt_->FindImage(image_id) == annotations::kNoImage) {
    return InvalidArgumentError(gt_->source() + ": prediction for image " + std::to_string(image_id) +
                                ", which is not in the ground truth");
  }
  if (scores.size() != boxes.size() || boxes.empty()) {
    return InvalidArgumentError("image " + std::to_string(image_id) +
                                ": expected as many scores as boxes, at least " + "one; got " +
                                std::to_string(scores.size()) + " and " + std::to_string(boxes.size()));
  }
  predictions_[image_id] = {scores, boxes};
  return Status::Ok();
}

std::string RefExpEvaluator::SerializeState() const {
  // Sorted so that the bytes do not depend on hash order.
  std::vector<int64_t> ids;
  for (const auto& [id, p] : predictions_) ids.push_back(id);
  std::sort(ids.begin(), ids.end());
  ByteWriter w;
  w.U32(kStateMagic);
  w.U32(kStateVersion);
  w.U32(static_cast<uint32_t>(ids.size()));
  for (int64_t id : ids) {
    const Prediction& p = predictions_.at(id);
    w.I64(id);
    w.F32s(p.scores);
    std::vector<float> flat;
    for (const BoxXyxyF& b : p.boxes) flat.insert(flat.end(), {b.x0, b.y0, b.x1, b.y1});
    w.F32s(flat);
  }
  return w.Take();
}

Status RefExpEvaluator::MergeState(std::string_view bytes) {
  ByteReader r(bytes, "RefExp evaluator");
  uint32_t magic = 0;
  uint32_t version = 0;
  uint32_t n = 0;
  if (!r.U32(&magic) || magic != kStateMagic) return r.Error("expected the RefExp evaluator magic number");
  if (!r.U32(&version) || version != kStateVersion)
    return r.Error("expected version " + std::to_string(kStateVersion));
  if (!r.Count(&n, 16)) return r.Error("truncated header");
  std::vector<std::pair<int64_t, Prediction>> incoming;
  for (uint32_t i = 0; i < n; ++i) {
    int64_t id = 0;
    Prediction p;
    std::vector<float> flat;
    if (!r.I64(&id) || !r.F32s(&p.scores) || !r.F32s(&flat)) return r.Error("truncated prediction");
    if (flat.size() != 4 * p.scores.size() || p.scores.empty()) {
      return r.Error("expected 4 coordinates per score for image " + std::to_string(id));
    }
    for (size_t k = 0; k < p.scores.size(); ++k)
      p.boxes.push_back({flat[4 * k], flat[4 * k + 1], flat[4 * k + 2], flat[4 * k + 3]});
    incoming.emplace_back(id, std::move(p));
  }
  if (!r.AtEnd()) return r.Error("expected the end of the state");
  for (auto& [id, p] : incoming) predictions_[id] = std::move(p);
  return Status::Ok();
}

Result<std::map<std::string, RefExpScores>> RefExpEvaluator::Summarize() const {
  std::map<std::string, RefExpScores> groups;
  if (protocol_ == RefExpProtocol::kRefCoco) {
    for (const char* name : {"refcoco", "refcoco+", "refcocog"}) groups[name];
  } else {
    groups["clevrref"];
  }
  std::map<std::string, std::array<double, 3>> hits;
  for (const auto& [name, s] : groups) hits[name] = {0, 0, 0};

  for (size_t index = 0; index < gt_->images().size(); ++index) {
    const auto& im = gt_->images()[index];
    const std::string where =
        gt_->source() + ": images[" + std::to_string(index) + "] (id " + std::to_string(im.id) + ")";
    if (im.annotations.size() != 1) {
      if (protocol_ == RefExpProtocol::kClevrRef) continue;
      return InvalidArgumentError(where + ": expected exactly one box, found " +
                                  std::to_string(im.annotations.size()));
    }
    std::string group = "clevrref";
    if (protocol_ == RefExpProtocol::kRefCoco) {
      group = std::string(gt_->name(im.dataset_name));
      // The reference always reports its three groups; the synthetic data's refexp variant is a
      // group of its own, reported when the file has it.
      if (group == "synthetic_refexp" && groups.count(group) == 0) {
        groups[group];
        hits[group] = {0, 0, 0};
      }
      if (groups.count(group) == 0) {
        return InvalidArgumentError(where + ".dataset_name: expected refcoco, refcoco+, refcocog or synthetic_refexp, got \"" +
                                    group + "\"");
      }
    }
    auto it = predictions_.find(im.id);
    if (it == predictions_.end())
      return FailedPreconditionError(where + ": no prediction for this expression");
    const Prediction& p = it->second;

    // sorted(zip(scores, boxes), reverse=True): by score, ties by the box coordinates, descending.
    std::vector<uint32_t> order(p.scores.size());
    std::iota(order.begin(), order.end(), 0u);
    auto key = [&](uint32_t i) {
      const BoxXyxyF& b = p.boxes[i];
      return std::array<float, 5>{p.scores[i], b.x0, b.y0, b.x1, b.y1};
    };
    std::stable_sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) { return key(a) > key(b); });

    const double* bbox = gt_->annotations()[gt_->annotation_order(im.annotations)[0]].bbox;
    const BoxXyxyF target{static_cast<float>(bbox[0]), static_cast<float>(bbox[1]),
                          static_cast<float>(bbox[2] + bbox[0]), static_cast<float>(bbox[3] + bbox[1])};
    if (!Valid(target)) return InvalidArgumentError(where + ": ground-truth box with negative size");
    std::vector<float> giou(order.size());
    for (size_t r = 0; r < order.size(); ++r) {
      const BoxXyxyF& b = p.boxes[order[r]];
      if (!Valid(b)) {
        return InvalidArgumentError("image " + std::to_string(im.id) + ": predicted box " +
                                    std::to_string(order[r]) + ": expected x1 >= x0 and y1 >= y0");
      }
      giou[r] = GeneralizedBoxIou(b, target);
    }
    for (size_t k = 0; k < kTopK.size(); ++k) {
      // Python's max(): the first value, replaced only by a strictly greater one (NaN never wins).
      float best = giou[0];
      const size_t n = std::min(giou.size(), static_cast<size_t>(kTopK[k]));
      for (size_t r = 1; r < n; ++r) {
        if (giou[r] > best) best = giou[r];
      }
      if (best >= threshold_) hits[group][k] += 1;
    }
    groups[group].count += 1;
  }
  for (auto& [name, s] : groups) {
    for (size_t k = 0; k < 3; ++k) s.precision[k] = s.count > 0 ? hits[name][k] / s.count : 0.0;
  }
  return groups;
}

}  // namespace mdetr::eval
