// What the objective needs to know about one image's ground truth.
#pragma once

#include <torch/torch.h>

#include <vector>

#include "model/text/encoding.h"

namespace mdetr::objective {

struct Target {
  torch::Tensor boxes;         // [n,4] cx,cy,w,h normalised by the un-padded image size
  torch::Tensor positive_map;  // [n,256] each row a distribution over the caption's tokens
  // Per box, the caption character spans that name it (MDETR's tokens_positive).
  std::vector<std::vector<text::CharSpan>> tokens_positive;
  torch::Tensor isfinal;       // [n] float, CLEVR-Ref+ only
  torch::Tensor masks;         // [n,H,W] 0/1 at the un-padded image size, segmentation (PhraseCut) only
  int64_t size() const { return boxes.defined() ? boxes.size(0) : 0; }
};

}  // namespace mdetr::objective
