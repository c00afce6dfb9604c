#include "datasets/eval/phrase_recall.h"

#include <algorithm>

namespace mdetr::eval {

double BoxIou(const BoxXyxy& a, const BoxXyxy& b) {
  const double iw = std::max(0.0, std::min(a[2], b[2]) - std::max(a[0], b[0]));
  const double ih = std::max(0.0, std::min(a[3], b[3]) - std::max(a[1], b[1]));
  const double inter = iw * ih;
  const double uni = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter;
  return uni > 0 ? inter / uni : 0.0;
}

PhraseRecall::PhraseRecall(std::vector<int> topk, double iou_threshold)
    : topk_(std::move(topk)), iou_threshold_(iou_threshold) {}

std::vector<BoxXyxy> MergedBox(const std::vector<BoxXyxy>& boxes) {
  if (boxes.size() <= 1) return boxes;
  BoxXyxy m = boxes[0];
  for (const auto& b : boxes) {
    m[0] = std::min(m[0], b[0]);
    m[1] = std::min(m[1], b[1]);
    m[2] = std::max(m[2], b[2]);
    m[3] = std::max(m[3], b[3]);
  }
  return {m};
}

void PhraseRecall::AddPhrase(const std::vector<BoxXyxy>& ranked, const std::vector<BoxXyxy>& truth,
                             const std::string& category) {
  std::vector<std::string> cats;
  if (category != "all") cats.push_back(category);
  AddPhrase(ranked, truth, cats);
}

void PhraseRecall::AddPhrase(const std::vector<BoxXyxy>& ranked, const std::vector<BoxXyxy>& truth,
                             const std::vector<std::string>& categories) {
  std::vector<std::string> cats = {"all"};
  // The reference counts a phrase once per listed type, so a repeated type counts twice.
  for (const auto& c : categories) {
    if (c != "all") cats.push_back(c);
  }
  for (const auto& c : cats) {
    auto& hits = hits_[c];
    hits.resize(topk_.size(), 0);
    totals_[c] += 1;
    for (size_t ki = 0; ki < topk_.size(); ++ki) {
      const size_t k = topk_[ki] < 0 ? ranked.size() : std::min(ranked.size(), static_cast<size_t>(topk_[ki]));
      double best = 0;
      for (size_t i = 0; i < k; ++i) {
        for (const auto& t : truth) best = std::max(best, BoxIou(ranked[i], t));
      }
      if (best >= iou_threshold_) hits[ki] += 1;
    }
  }
}

void PhraseRecall::Merge(const PhraseRecall& other) {
  for (const auto& [c, n] : other.totals_) totals_[c] += n;
  for (const auto& [c, h] : other.hits_) {
    auto& mine = hits_[c];
    mine.resize(topk_.size(), 0);
    for (size_t i = 0; i < h.size() && i < mine.size(); ++i) mine[i] += h[i];
  }
}

std::map<std::string, double> PhraseRecall::Summary() const {
  std::map<std::string, double> out;
  for (const auto& [c, total] : totals_) {
    const auto& h = hits_.at(c);
    for (size_t ki = 0; ki < topk_.size(); ++ki) {
      std::string name = topk_[ki] < 0 ? "Upper" : "R@" + std::to_string(topk_[ki]);
      if (c != "all") name += "/" + c;
      out[name] = total > 0 ? static_cast<double>(h[ki]) / static_cast<double>(total) : 0.0;
    }
  }
  return out;
}

int64_t PhraseRecall::phrases() const {
  auto it = totals_.find("all");
  return it == totals_.end() ? 0 : it->second;
}

std::vector<double> PhraseRecall::ToCounts() const {
  std::vector<double> v;
  auto it = totals_.find("all");
  v.push_back(it == totals_.end() ? 0.0 : static_cast<double>(it->second));
  auto h = hits_.find("all");
  for (size_t ki = 0; ki < topk_.size(); ++ki) {
    v.push_back(h == hits_.end() ? 0.0 : static_cast<double>(h->second[ki]));
  }
  return v;
}

void PhraseRecall::AddCounts(const std::vector<double>& counts) {
  if (counts.size() != topk_.size() + 1) return;
  totals_["all"] += static_cast<int64_t>(counts[0]);
  auto& h = hits_["all"];
  h.resize(topk_.size(), 0);
  for (size_t ki = 0; ki < topk_.size(); ++ki) h[ki] += static_cast<int64_t>(counts[ki + 1]);
}

}  // namespace mdetr::eval
