#include "datasets/eval/coco_evaluator.h"

#include <algorithm>
#include <cmath>

#include "datasets/eval/byte_io.h"

namespace mdetr::eval {
namespace {

constexpr uint32_t kStateMagic = 0x434f4345;  // "ECOC"
constexpr uint32_t kStateVersion = 1;
constexpr int kMaxDets[3] = {1, 10, 100};

bool Finite(const BoxXywh& b) {
  return std::isfinite(b.x) && std::isfinite(b.y) && std::isfinite(b.w) && std::isfinite(b.h);
}

uint64_t CategoryFingerprint(const std::vector<int32_t>& ids) {
  uint64_t h = 1469598103934665603ull;
  for (int32_t id : ids) h = (h ^ static_cast<uint32_t>(id)) * 1099511628211ull;
  return h;
}

}  // namespace

Result<std::vector<Detection>> DetectionsFromQueries(const std::vector<BoxXyxyF>& boxes,
                                                     const std::vector<float>& scores,
                                                     const std::vector<int32_t>& labels) {
  if (boxes.size() != scores.size() || boxes.size() != labels.size()) {
    return InvalidArgumentError("detections: expected as many boxes, scores and labels; got " +
                                std::to_string(boxes.size()) + ", " + std::to_string(scores.size()) +
                                " and " + std::to_string(labels.size()));
  }
  std::vector<Detection> out(boxes.size());
  for (size_t i = 0; i < boxes.size(); ++i) {
    const BoxXyxyF& b = boxes[i];
    const float w = b.x1 - b.x0;
    const float h = b.y1 - b.y0;
    out[i].category_id = labels[i];
    out[i].box = {b.x0, b.y0, w, h};
    out[i].score = scores[i];
  }
  return out;
}

CocoBoxEvaluator::CocoBoxEvaluator(const annotations::CocoDataset& gt, CocoEvalOptions options)
    : gt_(&gt), options_(options) {
  for (const auto& c : gt.categories()) category_ids_.push_back(c.id);
  std::sort(category_ids_.begin(), category_ids_.end());
  category_ids_.erase(std::unique(category_ids_.begin(), category_ids_.end()), category_ids_.end());
  for (size_t i = 0; i < category_ids_.size(); ++i)
    category_index_[category_ids_[i]] = static_cast<int32_t>(i);
}

Status CocoBoxEvaluator::AddImage(int64_t image_id, const std::vector<Detection>& detections) {
  const uint32_t image_index = gt_->FindImage(image_id);
  if (image_index == annotations::kNoImage) {
    return InvalidArgumentError(gt_->source() + ": detections for image " + std::to_string(image_id) +
                                ", which is not in the ground truth");
  }
  for (size_t i = 0; i < detections.size(); ++i) {
    if (!Finite(detections[i].box) || !std::isfinite(detections[i].score)) {
      return InvalidArgumentError("image " + std::to_string(image_id) + ": detection " + std::to_string(i) +
                                  ": expected a finite box and score");
    }
  }
  if (images_.count(image_id) != 0) return Status::Ok();

  // Group by category in params.catIds order; without categories everything is one group, still
  // concatenated in category order, and anything of a category the ground truth lacks is dropped.
  const size_t num_groups = category_ids_.size();
  std::vector<std::vector<MatchGt>> gts(num_groups);
  std::vector<std::vector<MatchDt>> dts(num_groups);
  const auto& image = gt_->images()[image_index];
  const uint32_t* order = gt_->annotation_order(image.annotations);
  for (uint32_t k = 0; k < image.annotations.size(); ++k) {
    const auto& a = gt_->annotations()[order[k]];
    auto it = category_index_.find(a.category_id);
    if (it == category_index_.end()) continue;
    MatchGt g;
    g.box = {a.bbox[0], a.bbox[1], a.bbox[2], a.bbox[3]};
    g.area = a.area;
    g.id = a.id;
    g.crowd = a.iscrowd != 0;
    gts[it->second].push_back(g);
  }
  for (const Detection& d : detections) {
    auto it = category_index_.find(d.category_id);
    if (it == category_index_.end()) continue;
    MatchDt m;
    m.box = d.box;
    m.area = d.box.w * d.box.h;  // loadRes sets area = w * h
    m.score = d.score;
    dts[it->second].push_back(m);
  }
  if (!options_.use_categories) {
    for (size_t c = 1; c < num_groups; ++c) {
      gts[0].insert(gts[0].end(), gts[c].begin(), gts[c].end());
      dts[0].insert(dts[0].end(), dts[c].begin(), dts[c].end());
    }
    if (num_groups > 1) {
      gts.resize(1);
      dts.resize(1);
    }
  }

  std::vector<CategoryEval>& evals = images_[image_id];
  for (size_t c = 0; c < gts.size(); ++c) {
    if (gts[c].empty() && dts[c].empty()) continue;
    std::vector<MatchDt> sorted;
    for (uint32_t i : ScoreOrder(dts[c])) {
      if (sorted.size() == static_cast<size_t>(kMaxDets[2])) break;
      sorted.push_back(dts[c][i]);
    }
    const std::vector<double> ious = IouMatrix(gts[c], sorted);
    CategoryEval ce;
    ce.category_index = static_cast<int32_t>(c);
    for (int a = 0; a < kNumAreaRanges; ++a) ce.areas[a] = MatchImage(gts[c], sorted, ious, a);
    evals.push_back(std::move(ce));
  }
  return Status::Ok();
}

std::string CocoBoxEvaluator::SerializeState() const {
  ByteWriter w;
  w.U32(kStateMagic);
  w.U32(kStateVersion);
  w.U8(options_.use_categories ? 1 : 0);
  w.I64(static_cast<int64_t>(CategoryFingerprint(category_ids_)));
  w.U32(static_cast<uint32_t>(images_.size()));
  for (const auto& [image_id, evals] : images_) {
    w.I64(image_id);
    w.U32(static_cast<uint32_t>(evals.size()));
    for (const CategoryEval& ce : evals) {
      w.I32(ce.category_index);
      for (const ImageEval& e : ce.areas) {
        w.I32(e.num_gt);
        w.F64s(e.dt_scores);
        w.Bytes(e.dt_matched);
        w.Bytes(e.dt_ignored);
      }
    }
  }
  return w.Take();
}

Status CocoBoxEvaluator::MergeState(std::string_view bytes) {
  ByteReader r(bytes, "COCO evaluator");
  uint32_t magic = 0;
  uint32_t version = 0;
  uint8_t use_categories = 0;
  int64_t fingerprint = 0;
  uint32_t num_images = 0;
  if (!r.U32(&magic) || magic != kStateMagic) return r.Error("expected the COCO evaluator magic number");
  if (!r.U32(&version) || version != kStateVersion)
    return r.Error("expected version " + std::to_string(kStateVersion));
  if (!r.U8(&use_categories) || !r.I64(&fingerprint) || !r.U32(&num_images))
    return r.Error("truncated header");
  if ((use_categories != 0) != options_.use_categories ||
      static_cast<uint64_t>(fingerprint) != CategoryFingerprint(category_ids_)) {
    return InvalidArgumentError("COCO evaluator state: made with other options or another category list");
  }
  const int32_t num_groups = options_.use_categories ? static_cast<int32_t>(category_ids_.size()) : 1;
  std::map<int64_t, std::vector<CategoryEval>> incoming;
  for (uint32_t i = 0; i < num_images; ++i) {
    int64_t image_id = 0;
    uint32_t num_evals = 0;
    // Each category record holds at least its index and four (count, 3 empty arrays) areas.
    if (!r.I64(&image_id) || !r.Count(&num_evals, 4 + kNumAreaRanges * 16)) {
      return r.Error("truncated image record");
    }
    std::vector<CategoryEval> evals(num_evals);
    for (CategoryEval& ce : evals) {
      if (!r.I32(&ce.category_index) || ce.category_index < 0 || ce.category_index >= num_groups) {
        return r.Error("expected a category index below " + std::to_string(num_groups));
      }
      for (ImageEval& e : ce.areas) {
        if (!r.I32(&e.num_gt) || !r.F64s(&e.dt_scores) || !r.Bytes(&e.dt_matched) ||
            !r.Bytes(&e.dt_ignored)) {
          return r.Error("truncated per-image result");
        }
        const size_t cells = e.dt_scores.size() * kNumIouThresholds;
        if (e.dt_matched.size() != cells || e.dt_ignored.size() != cells || e.num_gt < 0) {
          return r.Error("inconsistent per-image result of image " + std::to_string(image_id));
        }
      }
    }
    incoming.emplace(image_id, std::move(evals));
  }
  if (!r.AtEnd()) return r.Error("expected the end of the state");
  for (auto& [image_id, evals] : incoming) images_.emplace(image_id, std::move(evals));  // first one wins
  return Status::Ok();
}

CocoSummary CocoBoxEvaluator::Summarize() const {
  const size_t num_groups = options_.use_categories ? category_ids_.size() : 1;
  // by_category[c][a]: that area range's results, in image id order.
  std::vector<std::array<std::vector<const ImageEval*>, kNumAreaRanges>> by_category(num_groups);
  for (const auto& [image_id, evals] : images_) {
    for (const CategoryEval& ce : evals) {
      for (int a = 0; a < kNumAreaRanges; ++a) by_category[ce.category_index][a].push_back(&ce.areas[a]);
    }
  }
  // [t][c][a][m] is what COCOeval.accumulate fills; the summary only needs these means.
  ValidMean ap_all, ap50, ap75, ap_area[kNumAreaRanges], ar[3], ar_area[kNumAreaRanges];
  std::array<std::array<double, kNumRecallThresholds>, kNumIouThresholds> precision;
  std::array<double, kNumIouThresholds> recall;
  for (size_t c = 0; c < num_groups; ++c) {
    for (int a = 0; a < kNumAreaRanges; ++a) {
      for (int m = 0; m < 3; ++m) {
        const bool ok = Accumulate(by_category[c][a], kMaxDets[m], &precision, &recall);
        for (int t = 0; t < kNumIouThresholds; ++t) {
          for (int r = 0; r < kNumRecallThresholds; ++r) {
            const double p = ok ? precision[t][r] : -1.0;
            if (m == 2) {
              ap_area[a].Add(p);
              if (a == 0) {
                ap_all.Add(p);
                if (t == 0) ap50.Add(p);
                if (t == 5) ap75.Add(p);
              }
            }
          }
          const double rc = ok ? recall[t] : -1.0;
          if (a == 0) ar[m].Add(rc);
          if (m == 2) ar_area[a].Add(rc);
        }
      }
    }
  }
  CocoSummary s;
  s.stats = {ap_all.Get(), ap50.Get(),  ap75.Get(),  ap_area[1].Get(), ap_area[2].Get(), ap_area[3].Get(),
             ar[0].Get(),  ar[1].Get(), ar[2].Get(), ar_area[1].Get(), ar_area[2].Get(), ar_area[3].Get()};
  s.num_images = images_.size();
  return s;
}

}  // namespace mdetr::eval
