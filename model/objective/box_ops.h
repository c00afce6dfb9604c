// Box conversions and (generalised) IoU, as DETR defines them. Boxes are [N,4] tensors.
#pragma once

#include <torch/torch.h>

#include <utility>

namespace mdetr::objective {

torch::Tensor BoxCxcywhToXyxy(const torch::Tensor& boxes);
torch::Tensor BoxXyxyToCxcywh(const torch::Tensor& boxes);
// Pairwise IoU [N,M] and union [N,M] of xyxy boxes.
std::pair<torch::Tensor, torch::Tensor> BoxIou(const torch::Tensor& a, const torch::Tensor& b);
// Pairwise generalised IoU [N,M] of xyxy boxes (https://giou.stanford.edu).
torch::Tensor GeneralizedBoxIou(const torch::Tensor& a, const torch::Tensor& b);

}  // namespace mdetr::objective
