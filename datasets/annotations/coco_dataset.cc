#include "datasets/annotations/coco_dataset.h"

#include <algorithm>
#include <numeric>

namespace mdetr::annotations {

std::vector<uint32_t> CocoDataset::AnnotationsOf(uint32_t image_index) const {
  const Range r = images_.at(image_index).annotations;
  return {annotation_order(r), annotation_order(r) + r.size()};
}

std::vector<std::vector<Span>> CocoDataset::EvalPhrases(uint32_t image_index) const {
  const Range phrases = images_.at(image_index).phrases;
  std::vector<std::vector<Span>> out;
  for (uint32_t p = phrases.begin; p < phrases.end; ++p) out.push_back(SpanList(phrase_spans_[p]));
  return out;
}

uint32_t CocoDataset::FindImage(int64_t id) const {
  auto it = image_by_id_.find(id);
  return it == image_by_id_.end() ? kNoImage : it->second;
}

const CategoryRecord* CocoDataset::FindCategory(int32_t id) const {
  auto it = category_by_id_.find(id);
  return it == category_by_id_.end() ? nullptr : &categories_[it->second];
}

std::vector<uint32_t> CocoDataset::ImagesSortedById() const {
  std::vector<uint32_t> order(images_.size());
  std::iota(order.begin(), order.end(), 0u);
  std::sort(order.begin(), order.end(),
            [this](uint32_t a, uint32_t b) { return images_[a].id < images_[b].id; });
  return order;
}

}  // namespace mdetr::annotations
