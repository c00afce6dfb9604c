// Recall@k on Flickr30k Entities exactly as the reference's Flickr30kEntitiesRecallEvaluator
// (datasets/flickr_eval.py) scores a sentence: the phrases scored are those whose entity has boxes
// in the image's annotation (not "nobox"/"scene"-only entities, not the unannotated "0" ones), in
// sentence order; the model gives one ranked box list per scored phrase; a phrase counts under
// "all" and under each of its types. merge_boxes selects the merged-box protocol.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"
#include "datasets/annotations/flickr_entities.h"
#include "datasets/eval/phrase_recall.h"

namespace mdetr::eval {

class FlickrRecall {
 public:
  explicit FlickrRecall(bool merge_boxes, std::vector<int> topk = {1, 5, 10, -1}, double iou_threshold = 0.5)
      : merge_boxes_(merge_boxes), recall_(std::move(topk), iou_threshold) {}

  // The phrases of `sentence` that are scored, in order.
  static std::vector<const annotations::FlickrPhrase*> ScoredPhrases(const annotations::FlickrSentence& sentence,
                                                                    const annotations::FlickrImageAnnotation& image);

  // Scores one sentence. `ranked[i]` are the boxes (best first) for the i-th scored phrase; a count
  // that differs from the scored phrases is an error naming `source` (e.g. "4945942737 sentence 2").
  Status AddSentence(const std::string& source, const annotations::FlickrSentence& sentence,
                     const annotations::FlickrImageAnnotation& image, const std::vector<std::vector<BoxXyxy>>& ranked);

  const PhraseRecall& recall() const { return recall_; }

 private:
  bool merge_boxes_;
  PhraseRecall recall_;
};

}  // namespace mdetr::eval
