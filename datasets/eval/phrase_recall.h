// Phrase-grounding Recall@k (the Flickr30k Entities protocol of the reference's flickr_eval.py):
// for each phrase of a caption the model ranks its boxes; Recall@k counts the phrases for which
// one of the top k boxes has IoU >= 0.5 with one of the phrase's ground-truth boxes ("any box"),
// or with the one box enclosing them all under the merged-box protocol (MergedBox).
// k = -1 is the upper bound (any box). Partial results merge across ranks.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace mdetr::eval {

using BoxXyxy = std::array<double, 4>;

class PhraseRecall {
 public:
  explicit PhraseRecall(std::vector<int> topk = {1, 5, 10, -1}, double iou_threshold = 0.5);
  // One phrase: the model's boxes best first, and the phrase's ground-truth boxes.
  void AddPhrase(const std::vector<BoxXyxy>& ranked, const std::vector<BoxXyxy>& truth,
                 const std::string& category = "all");
  // The same, counted under "all" and under each of the phrase's categories (a Flickr30k phrase
  // may have several types, e.g. "people" and "other").
  void AddPhrase(const std::vector<BoxXyxy>& ranked, const std::vector<BoxXyxy>& truth,
                 const std::vector<std::string>& categories);
  // Adds another evaluator's counts (same topk).
  void Merge(const PhraseRecall& other);
  // "R@1" -> recall in [0,1] (and "R@1/<category>" per category); "Upper" for k = -1.
  std::map<std::string, double> Summary() const;
  int64_t phrases() const;
  // Counts as a flat vector (for an all-reduce), and back.
  std::vector<double> ToCounts() const;
  void AddCounts(const std::vector<double>& counts);

 private:
  std::vector<int> topk_;
  double iou_threshold_;
  std::map<std::string, std::vector<int64_t>> hits_;   // category -> per k
  std::map<std::string, int64_t> totals_;
};

double BoxIou(const BoxXyxy& a, const BoxXyxy& b);
// The smallest box enclosing all of `boxes` (the reference's _merge_boxes); one box is unchanged.
std::vector<BoxXyxy> MergedBox(const std::vector<BoxXyxy>& boxes);

}  // namespace mdetr::eval
