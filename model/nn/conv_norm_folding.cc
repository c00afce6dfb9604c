#include "model/nn/conv_norm_folding.h"

namespace mdetr::model {
namespace {

// What the cached folding was computed from: each tensor's storage and in-place version.
bool SameSource(const torch::Tensor& t, int64_t version, const void* data) {
  return t.data_ptr() == data && t._version() == version;
}

}  // namespace

torch::Tensor ConvNormFolding::operator()(torch::nn::Conv2dImpl& conv, BackboneBatchNorm2dImpl& norm,
                                          const torch::Tensor& x) {
  // Folded only where torch::conv2d computes what the module does: zero padding given as sizes.
  if (torch::GradMode::is_enabled() || !norm.Frozen() || conv.options.groups() != 1 ||
      !std::holds_alternative<torch::ExpandingArray<2>>(conv.options.padding()) ||
      !std::holds_alternative<torch::enumtype::kZeros>(conv.options.padding_mode())) {
    return norm.forward(conv.forward(x));
  }
  torch::Tensor weight, bias;
  {
    std::lock_guard<std::mutex> lock(mu_);
    const std::array<const torch::Tensor*, 5> tensors = {&conv.weight, &norm.weight, &norm.bias, &norm.running_mean,
                                                         &norm.running_var};
    bool fresh = weight_.defined();
    for (size_t i = 0; i < tensors.size() && fresh; ++i) {
      fresh = SameSource(*tensors[i], sources_[i].version, sources_[i].data);
    }
    if (!fresh) {
      const auto [scale, shift] = norm.ScaleShift();
      // Channels-last, the layout the no-gradient activations have (resnet.cc).
      weight_ = (conv.weight * scale.reshape({-1, 1, 1, 1})).contiguous(torch::MemoryFormat::ChannelsLast);
      bias_ = conv.bias.defined() ? conv.bias * scale + shift : shift;
      for (size_t i = 0; i < tensors.size(); ++i) sources_[i] = {tensors[i]->data_ptr(), tensors[i]->_version()};
    }
    weight = weight_;
    bias = bias_;
  }
  const auto& o = conv.options;
  return torch::conv2d(x, weight, bias, o.stride(), std::get<torch::ExpandingArray<2>>(o.padding()), o.dilation());
}

}  // namespace mdetr::model
