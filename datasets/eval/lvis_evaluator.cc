#include "datasets/eval/lvis_evaluator.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <unordered_set>

#include "datasets/eval/byte_io.h"

namespace mdetr::eval {
namespace {

constexpr uint32_t kStateMagic = 0x53564c45;  // "ELVS"
constexpr uint32_t kStateVersion = 1;

}  // namespace

Result<LvisEvaluator> LvisEvaluator::Create(const annotations::CocoDataset& gt, LvisEvalOptions options) {
  for (size_t i = 0; i < gt.categories().size(); ++i) {
    const char f = gt.categories()[i].frequency;
    if (f != 'r' && f != 'c' && f != 'f') {
      return InvalidArgumentError(gt.source() + ": categories[" + std::to_string(i) +
                                  "].frequency: expected \"r\", \"c\" or \"f\" (an LVIS file)");
    }
  }
  if (options.top_k_per_category <= 0 || options.max_dets_per_image <= 0) {
    return InvalidArgumentError("LVIS evaluator: detection limits must be positive");
  }
  return LvisEvaluator(gt, options);
}

void LvisEvaluator::Prune(std::vector<Kept>* list, size_t limit) {
  std::stable_sort(list->begin(), list->end(),
                   [](const Kept& a, const Kept& b) { return a.score > b.score; });
  if (list->size() > limit) list->resize(limit);
}

Status LvisEvaluator::AddImage(int64_t image_id, const std::vector<Detection>& detections) {
  if (gt_->FindImage(image_id) == annotations::kNoImage) {
    return InvalidArgumentError(gt_->source() + ": detections for image " + std::to_string(image_id) +
                                ", which is not in the ground truth");
  }
  for (size_t i = 0; i < detections.size(); ++i) {
    const Detection& d = detections[i];
    if (!std::isfinite(d.box.x) || !std::isfinite(d.box.y) || !std::isfinite(d.box.w) ||
        !std::isfinite(d.box.h) || !std::isfinite(d.score)) {
      return InvalidArgumentError("image " + std::to_string(image_id) + ": detection " + std::to_string(i) +
                                  ": expected a finite box and score");
    }
  }
  const bool fixed = options_.limit == LvisLimit::kFixedAp;
  if (fixed) {
    // The reference sorts each update's detections per category and merges them into the kept
    // list; keeping insertion order among equal scores gives the same lists.
    std::map<int32_t, std::vector<Kept>> by_category;
    std::vector<int32_t> first_seen;
    for (const Detection& d : detections) {
      auto [it, inserted] = by_category.try_emplace(d.category_id);
      if (inserted) first_seen.push_back(d.category_id);
      it->second.push_back({image_id, d.category_id, d.box, d.score});
    }
    const size_t k = static_cast<size_t>(options_.top_k_per_category);
    for (int32_t c : first_seen) {
      auto [it, inserted] = lists_.try_emplace(c);
      if (inserted) keys_.push_back(c);
      std::vector<Kept>& list = it->second;
      std::vector<Kept>& add = by_category[c];
      Prune(&add, k);
      list.insert(list.end(), add.begin(), add.end());
      if (list.size() > 2 * k) Prune(&list, k);
    }
  } else {
    auto [it, inserted] = lists_.try_emplace(image_id);
    if (inserted) keys_.push_back(image_id);
    for (const Detection& d : detections) it->second.push_back({image_id, d.category_id, d.box, d.score});
    Prune(&it->second, static_cast<size_t>(options_.max_dets_per_image));
  }
  return Status::Ok();
}

std::string LvisEvaluator::SerializeState() const {
  ByteWriter w;
  w.U32(kStateMagic);
  w.U32(kStateVersion);
  w.U8(static_cast<uint8_t>(options_.limit));
  w.U32(static_cast<uint32_t>(keys_.size()));
  for (int64_t key : keys_) {
    const std::vector<Kept>& list = lists_.at(key);
    w.I64(key);
    w.U32(static_cast<uint32_t>(list.size()));
    for (const Kept& k : list) {
      w.I64(k.image_id);
      w.I32(k.category_id);
      w.F64(k.box.x);
      w.F64(k.box.y);
      w.F64(k.box.w);
      w.F64(k.box.h);
      w.F64(k.score);
    }
  }
  return w.Take();
}

Status LvisEvaluator::MergeState(std::string_view bytes) {
  ByteReader r(bytes, "LVIS evaluator");
  uint32_t magic = 0;
  uint32_t version = 0;
  uint8_t limit = 0;
  uint32_t num_keys = 0;
  if (!r.U32(&magic) || magic != kStateMagic) return r.Error("expected the LVIS evaluator magic number");
  if (!r.U32(&version) || version != kStateVersion)
    return r.Error("expected version " + std::to_string(kStateVersion));
  if (!r.U8(&limit) || !r.Count(&num_keys, 12)) return r.Error("truncated header");
  if (limit != static_cast<uint8_t>(options_.limit)) {
    return InvalidArgumentError("LVIS evaluator state: made with the other detection limit");
  }
  std::vector<std::pair<int64_t, std::vector<Kept>>> incoming(num_keys);
  for (auto& [key, list] : incoming) {
    uint32_t n = 0;
    if (!r.I64(&key) || !r.Count(&n, 52)) return r.Error("truncated list header");
    list.resize(n);
    for (Kept& k : list) {
      if (!r.I64(&k.image_id) || !r.I32(&k.category_id) || !r.F64(&k.box.x) || !r.F64(&k.box.y) ||
          !r.F64(&k.box.w) || !r.F64(&k.box.h) || !r.F64(&k.score)) {
        return r.Error("truncated detection");
      }
      if (gt_->FindImage(k.image_id) == annotations::kNoImage) {
        return r.Error("detection of image " + std::to_string(k.image_id) +
                       ", which is not in the ground truth");
      }
    }
  }
  if (!r.AtEnd()) return r.Error("expected the end of the state");
  const size_t limit_n = options_.limit == LvisLimit::kFixedAp
                             ? static_cast<size_t>(options_.top_k_per_category)
                             : static_cast<size_t>(options_.max_dets_per_image);
  for (auto& [key, list] : incoming) {
    auto [it, inserted] = lists_.try_emplace(key);
    if (inserted) keys_.push_back(key);
    it->second.insert(it->second.end(), list.begin(), list.end());
    if (it->second.size() > 2 * limit_n) Prune(&it->second, limit_n);
  }
  return Status::Ok();
}

std::vector<LvisEvaluator::Kept> LvisEvaluator::FinalDetections(size_t* categories_below_top_k) const {
  std::vector<Kept> out;
  *categories_below_top_k = 0;
  const bool fixed = options_.limit == LvisLimit::kFixedAp;
  const size_t limit = fixed ? static_cast<size_t>(options_.top_k_per_category)
                             : static_cast<size_t>(options_.max_dets_per_image);
  for (int64_t key : keys_) {
    std::vector<Kept> list = lists_.at(key);
    if (fixed && list.size() < limit) ++*categories_below_top_k;
    std::stable_sort(list.begin(), list.end(),
                     [](const Kept& a, const Kept& b) { return a.score > b.score; });
    if (list.size() > limit) list.resize(limit);
    out.insert(out.end(), list.begin(), list.end());
  }
  return out;
}

LvisSummary LvisEvaluator::Summarize() const {
  LvisSummary summary;
  const std::vector<Kept> detections = FinalDetections(&summary.categories_below_top_k);
  summary.num_detections = detections.size();

  // Sorted ids, as params.img_ids and params.cat_ids.
  std::vector<int64_t> image_ids;
  for (const auto& im : gt_->images()) image_ids.push_back(im.id);
  std::sort(image_ids.begin(), image_ids.end());
  std::vector<int32_t> cat_ids;
  for (const auto& c : gt_->categories()) cat_ids.push_back(c.id);
  std::sort(cat_ids.begin(), cat_ids.end());
  std::unordered_map<int32_t, int32_t> cat_index;
  for (size_t i = 0; i < cat_ids.size(); ++i) cat_index[cat_ids[i]] = static_cast<int32_t>(i);
  std::vector<int> frequency_group(cat_ids.size());
  for (const auto& c : gt_->categories()) {
    frequency_group[cat_index[c.id]] = c.frequency == 'r' ? 0 : (c.frequency == 'c' ? 1 : 2);
  }

  // get_ann_ids keeps only 0 < area < inf, for ground truth and detections alike.
  auto area_ok = [](double area) { return area > 0 && area < std::numeric_limits<double>::infinity(); };
  struct Cell {
    std::vector<MatchGt> gts;
    std::vector<MatchDt> dts;
  };
  // (image position, category index) -> cell
  std::map<std::pair<size_t, int32_t>, Cell> cells;
  std::unordered_map<int64_t, size_t> image_pos;
  for (size_t i = 0; i < image_ids.size(); ++i) image_pos[image_ids[i]] = i;

  std::vector<std::unordered_set<int32_t>> positive(image_ids.size());
  std::vector<std::unordered_set<int32_t>> negative(image_ids.size());
  std::vector<std::unordered_set<int32_t>> not_exhaustive(image_ids.size());
  for (size_t pos = 0; pos < image_ids.size(); ++pos) {
    const uint32_t index = gt_->FindImage(image_ids[pos]);
    const auto& im = gt_->images()[index];
    const int64_t* neg = gt_->ints(im.negative_category_ids);
    negative[pos].insert(neg, neg + im.negative_category_ids.size());
    const int64_t* nel = gt_->ints(im.not_exhaustive_category_ids);
    not_exhaustive[pos].insert(nel, nel + im.not_exhaustive_category_ids.size());
    const uint32_t* order = gt_->annotation_order(im.annotations);
    for (uint32_t k = 0; k < im.annotations.size(); ++k) {
      const auto& a = gt_->annotations()[order[k]];
      auto c = cat_index.find(a.category_id);
      if (c == cat_index.end() || !area_ok(a.area)) continue;
      MatchGt g;
      g.box = {a.bbox[0], a.bbox[1], a.bbox[2], a.bbox[3]};
      g.area = a.area;
      g.id = a.id;
      cells[{pos, c->second}].gts.push_back(g);
      positive[pos].insert(a.category_id);
    }
  }
  // Detections are grouped per image in image order, keeping the results order inside a cell.
  for (const Kept& k : detections) {
    auto c = cat_index.find(k.category_id);
    const double area = k.box.w * k.box.h;
    if (c == cat_index.end() || !area_ok(area)) continue;
    const size_t pos = image_pos.at(k.image_id);
    if (negative[pos].count(k.category_id) == 0 && positive[pos].count(k.category_id) == 0) continue;
    MatchDt d;
    d.box = k.box;
    d.area = area;
    d.score = k.score;
    d.ignore_unmatched = not_exhaustive[pos].count(k.category_id) != 0;
    cells[{pos, c->second}].dts.push_back(d);
  }

  // Per category and area range, the evaluations in image order (cells are keyed image-first, so
  // collect per category).
  std::vector<std::array<std::vector<ImageEval>, kNumAreaRanges>> evals(cat_ids.size());
  for (auto& [key, cell] : cells) {
    std::vector<MatchDt> sorted;
    for (uint32_t i : ScoreOrder(cell.dts)) sorted.push_back(cell.dts[i]);
    const std::vector<double> ious = IouMatrix(cell.gts, sorted);
    for (int a = 0; a < kNumAreaRanges; ++a)
      evals[key.second][a].push_back(MatchImage(cell.gts, sorted, ious, a));
  }

  ValidMean ap, ap50, ap75, ap_area[kNumAreaRanges], ap_freq[3], ar_area[kNumAreaRanges];
  std::array<std::array<double, kNumRecallThresholds>, kNumIouThresholds> precision;
  std::array<double, kNumIouThresholds> recall;
  for (size_t c = 0; c < cat_ids.size(); ++c) {
    for (int a = 0; a < kNumAreaRanges; ++a) {
      std::vector<const ImageEval*> list;
      for (const ImageEval& e : evals[c][a]) list.push_back(&e);
      const bool ok = Accumulate(list, -1, &precision, &recall);
      for (int t = 0; t < kNumIouThresholds; ++t) {
        for (int r = 0; r < kNumRecallThresholds; ++r) {
          const double p = ok ? precision[t][r] : -1.0;
          ap_area[a].Add(p);
          if (a == 0) {
            ap.Add(p);
            ap_freq[frequency_group[c]].Add(p);
            if (t == 0) ap50.Add(p);
            if (t == 5) ap75.Add(p);
          }
        }
        ar_area[a].Add(ok ? recall[t] : -1.0);
      }
    }
  }
  summary.ap = ap.Get();
  summary.ap50 = ap50.Get();
  summary.ap75 = ap75.Get();
  summary.aps = ap_area[1].Get();
  summary.apm = ap_area[2].Get();
  summary.apl = ap_area[3].Get();
  summary.apr = ap_freq[0].Get();
  summary.apc = ap_freq[1].Get();
  summary.apf = ap_freq[2].Get();
  summary.ar = ar_area[0].Get();
  summary.ars = ar_area[1].Get();
  summary.arm = ar_area[2].Get();
  summary.arl = ar_area[3].Get();
  return summary;
}

}  // namespace mdetr::eval
