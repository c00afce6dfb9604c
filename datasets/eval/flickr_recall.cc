#include "datasets/eval/flickr_recall.h"

namespace mdetr::eval {

std::vector<const annotations::FlickrPhrase*> FlickrRecall::ScoredPhrases(
    const annotations::FlickrSentence& sentence, const annotations::FlickrImageAnnotation& image) {
  std::vector<const annotations::FlickrPhrase*> out;
  for (const auto& p : sentence.phrases) {
    if (image.Find(p.entity_id) != nullptr) out.push_back(&p);
  }
  return out;
}

Status FlickrRecall::AddSentence(const std::string& source, const annotations::FlickrSentence& sentence,
                                 const annotations::FlickrImageAnnotation& image,
                                 const std::vector<std::vector<BoxXyxy>>& ranked) {
  const auto phrases = ScoredPhrases(sentence, image);
  if (ranked.size() != phrases.size()) {
    return InvalidArgumentError(source + ": got box lists for " + std::to_string(ranked.size()) +
                                " phrases, expected " + std::to_string(phrases.size()) +
                                " (the phrases whose entity has boxes)");
  }
  for (size_t i = 0; i < phrases.size(); ++i) {
    if (ranked[i].empty()) {
      return InvalidArgumentError(source + ": phrase \"" + phrases[i]->text + "\" has no predicted box");
    }
    std::vector<BoxXyxy> truth;
    for (const auto& b : image.Find(phrases[i]->entity_id)->boxes) {
      truth.push_back({static_cast<double>(b[0]), static_cast<double>(b[1]), static_cast<double>(b[2]),
                       static_cast<double>(b[3])});
    }
    if (merge_boxes_) truth = MergedBox(truth);
    recall_.AddPhrase(ranked[i], truth, phrases[i]->types);
  }
  return Status::Ok();
}

}  // namespace mdetr::eval
