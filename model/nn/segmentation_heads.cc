#include "model/nn/segmentation_heads.h"

#include <cmath>
#include <limits>

namespace mdetr::model {
namespace {

namespace F = torch::nn::functional;

torch::nn::Conv2d Conv(int64_t in, int64_t out, int64_t kernel) {
  return torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, kernel).padding(kernel / 2));
}

// Repeats each batch item `times` times along the batch: [B,...] -> [B*times,...], item-major,
// so row b*times+q pairs image b with query q.
torch::Tensor RepeatPerQuery(const torch::Tensor& t, int64_t times) {
  return t.unsqueeze(1).expand({t.size(0), times, t.size(1), t.size(2), t.size(3)}).flatten(0, 1);
}

torch::Tensor Upsample(const torch::Tensor& x, const torch::Tensor& like) {
  return F::interpolate(x, F::InterpolateFuncOptions()
                               .size(std::vector<int64_t>{like.size(-2), like.size(-1)})
                               .mode(torch::kNearest));
}

}  // namespace

AttentionMapImpl::AttentionMapImpl(int64_t query_dim, int64_t hidden_dim, int64_t num_heads)
    : num_heads_(num_heads),
      hidden_dim_(hidden_dim),
      normalize_fact_(1.0 / std::sqrt(static_cast<double>(hidden_dim) / static_cast<double>(num_heads))) {
  TORCH_CHECK(hidden_dim % num_heads == 0, "attention map: hidden_dim ", hidden_dim, " is not a multiple of ",
              num_heads, " heads");
  q_linear_ = register_module("q_linear", torch::nn::Linear(query_dim, hidden_dim));
  k_linear_ = register_module("k_linear", torch::nn::Linear(query_dim, hidden_dim));
  // The reference's initialisation (matters when the head trains from scratch).
  torch::NoGradGuard no_grad;
  for (auto* lin : {&q_linear_, &k_linear_}) {
    torch::nn::init::xavier_uniform_((*lin)->weight);
    torch::nn::init::zeros_((*lin)->bias);
  }
}

torch::Tensor AttentionMapImpl::forward(const torch::Tensor& q_in, const torch::Tensor& k_in,
                                        const torch::Tensor& mask) {
  const int64_t head_dim = hidden_dim_ / num_heads_;
  const auto q = q_linear_(q_in);
  // k_linear applied per pixel: a 1x1 convolution with the linear layer's weights.
  const auto k = F::conv2d(k_in, k_linear_->weight.unsqueeze(-1).unsqueeze(-1),
                           F::Conv2dFuncOptions().bias(k_linear_->bias));
  const auto qh = q.view({q.size(0), q.size(1), num_heads_, head_dim});
  const auto kh = k.view({k.size(0), num_heads_, head_dim, k.size(-2), k.size(-1)});
  auto weights = torch::einsum("bqnc,bnchw->bqnhw", {qh * normalize_fact_, kh});
  if (mask.defined()) {
    weights = weights.masked_fill(mask.unsqueeze(1).unsqueeze(1), -std::numeric_limits<float>::infinity());
  }
  return torch::softmax(weights.flatten(3), -1).view_as(weights);
}

MaskHeadSmallConvImpl::MaskHeadSmallConvImpl(int64_t dim, const std::vector<int64_t>& fpn_dims,
                                             int64_t context_dim) {
  TORCH_CHECK(fpn_dims.size() == 3, "mask head: needs the channels of 3 backbone levels, got ",
              fpn_dims.size());
  const std::vector<int64_t> inter = {dim, context_dim / 2, context_dim / 4, context_dim / 8,
                                      context_dim / 16};
  auto gn = [](int64_t channels) { return torch::nn::GroupNorm(torch::nn::GroupNormOptions(8, channels)); };
  lay1_ = register_module("lay1", Conv(dim, dim, 3));
  gn1_ = register_module("gn1", gn(dim));
  lay2_ = register_module("lay2", Conv(dim, inter[1], 3));
  gn2_ = register_module("gn2", gn(inter[1]));
  lay3_ = register_module("lay3", Conv(inter[1], inter[2], 3));
  gn3_ = register_module("gn3", gn(inter[2]));
  lay4_ = register_module("lay4", Conv(inter[2], inter[3], 3));
  gn4_ = register_module("gn4", gn(inter[3]));
  lay5_ = register_module("lay5", Conv(inter[3], inter[4], 3));
  gn5_ = register_module("gn5", gn(inter[4]));
  out_lay_ = register_module("out_lay", Conv(inter[4], 1, 3));
  adapter1_ = register_module("adapter1", Conv(fpn_dims[0], inter[1], 1));
  adapter2_ = register_module("adapter2", Conv(fpn_dims[1], inter[2], 1));
  adapter3_ = register_module("adapter3", Conv(fpn_dims[2], inter[3], 1));
  torch::NoGradGuard no_grad;
  for (auto* conv : {&lay1_, &lay2_, &lay3_, &lay4_, &lay5_, &out_lay_, &adapter1_, &adapter2_, &adapter3_}) {
    torch::nn::init::kaiming_uniform_((*conv)->weight, /*a=*/1);
    torch::nn::init::zeros_((*conv)->bias);
  }
}

torch::Tensor MaskHeadSmallConvImpl::forward(const torch::Tensor& x_in, const torch::Tensor& bbox_mask,
                                             const std::vector<torch::Tensor>& fpns) {
  TORCH_CHECK(fpns.size() == 3, "mask head: needs 3 backbone feature maps, got ", fpns.size());
  const int64_t queries = bbox_mask.size(1);
  auto x = torch::cat({RepeatPerQuery(x_in, queries), bbox_mask.flatten(0, 1)}, 1);
  x = torch::relu(gn1_(lay1_(x)));
  x = torch::relu(gn2_(lay2_(x)));
  const std::vector<std::pair<torch::nn::Conv2d*, std::pair<torch::nn::Conv2d*, torch::nn::GroupNorm*>>>
      stages = {{&adapter1_, {&lay3_, &gn3_}}, {&adapter2_, {&lay4_, &gn4_}}, {&adapter3_, {&lay5_, &gn5_}}};
  for (size_t i = 0; i < stages.size(); ++i) {
    auto fpn = (*stages[i].first)(fpns[i]);
    if (fpn.size(0) != x.size(0)) fpn = RepeatPerQuery(fpn, x.size(0) / fpn.size(0));
    x = fpn + Upsample(x, fpn);
    x = torch::relu((*stages[i].second.second)((*stages[i].second.first)(x)));
  }
  return out_lay_(x);
}

}  // namespace mdetr::model
