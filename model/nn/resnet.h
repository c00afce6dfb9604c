// ResNet in the torchvision layout (v1.5: stride on the 3x3 conv) with frozen batch norm (or batch
// statistics, for training from random weights), up to
// layer4: registered names conv1, bn1, layer1..layer4, <block>.conv1/bn1/..., downsample.0/1, so
// state-dict keys are torchvision's. avgpool and fc are not built (MDETR drops them).
#pragma once

#include <torch/torch.h>

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "model/nn/backbone_batch_norm.h"
#include "model/nn/conv_norm_folding.h"

namespace mdetr::model {

class ResNetBlockImpl : public torch::nn::Module {
 public:
  // bottleneck: 1x1 -> 3x3 -> 1x1 (expansion 4); otherwise basic: 3x3 -> 3x3 (expansion 1).
  ResNetBlockImpl(bool bottleneck, int64_t in_channels, int64_t planes, int64_t stride, int64_t dilation,
                  bool downsample, bool batch_statistics);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  bool bottleneck_;
  torch::nn::Conv2d conv1_{nullptr}, conv2_{nullptr}, conv3_{nullptr};
  BackboneBatchNorm2d bn1_{nullptr}, bn2_{nullptr}, bn3_{nullptr};
  torch::nn::Sequential downsample_{nullptr};
  // conv1+bn1, conv2+bn2, conv3+bn3, downsample.0+downsample.1
  std::array<std::shared_ptr<ConvNormFolding>, 4> folded_;
};
TORCH_MODULE(ResNetBlock);

struct ResNetSpec {
  bool bottleneck;
  std::vector<int> blocks;  // per layer
};
// resnet18, resnet34, resnet50, resnet101; anything else is an error.
ResNetSpec ResNetSpecFor(const std::string& name);

class ResNetImpl : public torch::nn::Module {
 public:
  // batch_statistics: see BackboneBatchNorm2d (false: the reference's frozen norms).
  ResNetImpl(const ResNetSpec& spec, bool dilation_in_layer4, bool batch_statistics = false);
  // Returns the outputs of layer1..layer4 (strides 4, 8, 16, 32); `levels` selects which are kept.
  std::vector<torch::Tensor> forward(const torch::Tensor& x, bool all_levels);
  // Channels of layer1..layer4.
  std::vector<int64_t> channels() const { return channels_; }

 private:
  torch::nn::Conv2d conv1_{nullptr};
  BackboneBatchNorm2d bn1_{nullptr};
  std::shared_ptr<ConvNormFolding> stem_folded_ = std::make_shared<ConvNormFolding>();
  std::vector<torch::nn::Sequential> layers_;
  std::vector<int64_t> channels_;
};
TORCH_MODULE(ResNet);

}  // namespace mdetr::model
