// The image side of MDETR: the CNN wrapped as `backbone.0.body`, joined with the position encoding
// (`backbone.1`) exactly as the reference's Joiner, so keys read backbone.0.body.layer1.0.conv1.weight
// (torchvision ResNet) or backbone.0.body.blocks.0.0.conv_dw.weight (timm EfficientNet, "timm_*").
#pragma once

#include <torch/torch.h>

#include <string>
#include <vector>

#include "model/nn/efficientnet.h"
#include "model/nn/nested_tensor.h"
#include "model/nn/position_encoding.h"
#include "model/nn/resnet.h"

namespace mdetr::model {

class BackboneImpl : public torch::nn::Module {
 public:
  // batch_statistics: the ResNet's norms normalise with batch statistics in training (see
  // BackboneBatchNorm2d); EfficientNets have frozen norms only.
  BackboneImpl(const std::string& name, bool train_backbone, bool return_interm_layers, bool dilation,
               bool batch_statistics = false);
  // One (feature, mask) per returned level; masks are the image mask resized (nearest) to each level.
  std::vector<NestedTensor> forward(const NestedTensor& input);
  int64_t num_channels() const { return num_channels_; }
  std::vector<int64_t> level_channels() const { return body_ ? body_->channels() : effnet_->channels(); }

 private:
  ResNet body_{nullptr};             // set for a ResNet
  EfficientNet effnet_{nullptr};     // set for a timm EfficientNet (also registered as "body")
  bool return_interm_layers_;
  int64_t num_channels_;
};
TORCH_MODULE(Backbone);

struct BackboneOutput {
  std::vector<NestedTensor> features;  // per level, lowest stride first
  std::vector<torch::Tensor> pos;      // position encoding per level
};

class JoinerImpl : public torch::nn::Module {
 public:
  JoinerImpl(Backbone backbone, PositionEmbeddingSine position);
  BackboneOutput forward(const NestedTensor& input);
  int64_t num_channels() const { return backbone_->num_channels(); }
  Backbone backbone() const { return backbone_; }

 private:
  Backbone backbone_{nullptr};
  PositionEmbeddingSine position_{nullptr};
};
TORCH_MODULE(Joiner);

}  // namespace mdetr::model
