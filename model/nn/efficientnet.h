// EfficientNet feature extractor in the layout of timm 0.4.x `tf_efficientnet_b{3,5}_ns` created
// with features_only=True, out_indices=(1,2,3,4): registered names conv_stem, bn1,
// blocks.<stage>.<block>.{conv_pw,conv_dw,conv_pwl,bn1..bn3,se.conv_reduce,se.conv_expand}, so the
// state-dict keys are those of the released MDETR EfficientNet checkpoints. conv_head/bn2 are not
// built (timm drops them in features mode). Batch norms are frozen with eps 1e-5, as the reference
// replaces timm's BatchNorm2d (eps 1e-3) after creation; the checkpoints were trained that way.
#pragma once

#include <torch/torch.h>

#include <string>
#include <vector>

#include "model/nn/backbone_batch_norm.h"

namespace mdetr::model {

// A bias-free convolution with TensorFlow "SAME" padding, registered as a bare `weight` (timm's
// Conv2dSame subclasses nn.Conv2d, so the key has no extra level). Stride-1 convs with an odd
// kernel pad k/2 on every side; the others pad at run time from the input size, the extra pixel
// going right/bottom, so the result depends on the input size exactly as in TF and timm.
class TfSameConv2dImpl : public torch::nn::Module {
 public:
  TfSameConv2dImpl(int64_t in_channels, int64_t out_channels, int64_t kernel, int64_t stride, int64_t groups);
  torch::Tensor forward(const torch::Tensor& x);

  torch::Tensor weight;

 private:
  int64_t kernel_, stride_, groups_;
};
TORCH_MODULE(TfSameConv2d);

// Squeeze-and-excitation: global mean -> 1x1 conv_reduce -> SiLU -> 1x1 conv_expand -> sigmoid gate.
class SqueezeExciteImpl : public torch::nn::Module {
 public:
  SqueezeExciteImpl(int64_t channels, int64_t reduced_channels);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  torch::nn::Conv2d conv_reduce_{nullptr}, conv_expand_{nullptr};
};
TORCH_MODULE(SqueezeExcite);

// Stage 0 block: depthwise k x k -> BN -> SiLU -> SE -> 1x1 -> BN (no activation), residual when
// the shape is kept.
class DepthwiseSeparableImpl : public torch::nn::Module {
 public:
  DepthwiseSeparableImpl(int64_t in_channels, int64_t out_channels, int64_t kernel, int64_t stride,
                         int64_t se_channels);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  bool residual_;
  TfSameConv2d conv_dw_{nullptr}, conv_pw_{nullptr};
  BackboneBatchNorm2d bn1_{nullptr}, bn2_{nullptr};
  SqueezeExcite se_{nullptr};
};
TORCH_MODULE(DepthwiseSeparable);

// MBConv: 1x1 expand -> BN -> SiLU -> depthwise k x k -> BN -> SiLU -> SE -> 1x1 project -> BN,
// residual when the shape is kept. No drop-path: the reference builds timm with rate 0.
class InvertedResidualImpl : public torch::nn::Module {
 public:
  InvertedResidualImpl(int64_t in_channels, int64_t mid_channels, int64_t out_channels, int64_t kernel,
                       int64_t stride, int64_t se_channels);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  bool residual_;
  TfSameConv2d conv_pw_{nullptr}, conv_dw_{nullptr}, conv_pwl_{nullptr};
  BackboneBatchNorm2d bn1_{nullptr}, bn2_{nullptr}, bn3_{nullptr};
  SqueezeExcite se_{nullptr};
};
TORCH_MODULE(InvertedResidual);

struct EfficientNetSpec {
  double channel_multiplier;
  double depth_multiplier;
};
// True for the names MDETR accepts for a timm backbone ("timm_tf_efficientnet_b3_ns", ...).
bool IsEfficientNetName(const std::string& name);
// tf_efficientnet_b3_ns and tf_efficientnet_b5_ns, with or without the "timm_" prefix of
// MDETR's --backbone; anything else is an error.
EfficientNetSpec EfficientNetSpecFor(const std::string& name);

class EfficientNetImpl : public torch::nn::Module {
 public:
  explicit EfficientNetImpl(const EfficientNetSpec& spec);
  // timm's feature levels 1..4 (strides 4, 8, 16, 32: the outputs of stages 1, 2, 4 and 6), or
  // only the last one unless `all_levels`.
  std::vector<torch::Tensor> forward(const torch::Tensor& x, bool all_levels);
  // Channels of the four levels ([32, 48, 136, 384] for B3, [40, 64, 176, 512] for B5).
  std::vector<int64_t> channels() const { return channels_; }

 private:
  TfSameConv2d conv_stem_{nullptr};
  BackboneBatchNorm2d bn1_{nullptr};
  std::vector<torch::nn::Sequential> stages_;
  std::vector<size_t> tap_stages_;  // stage whose output is each returned level
  std::vector<int64_t> channels_;
};
TORCH_MODULE(EfficientNet);

}  // namespace mdetr::model
