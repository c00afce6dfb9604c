#include "model/nn/backbone.h"

namespace mdetr::model {

BackboneImpl::BackboneImpl(const std::string& name, bool train_backbone, bool return_interm_layers, bool dilation,
                           bool batch_statistics)
    : return_interm_layers_(return_interm_layers) {
  if (IsEfficientNetName(name)) {
    // The reference's TimmBackbone trains every parameter (train_backbone and dilation are not
    // used); gradients of the whole backbone also count in the clipped gradient norm.
    TORCH_CHECK(!batch_statistics, "backbone_norm: batch is for the ResNet backbones; ", name, " has frozen norms only");
    effnet_ = register_module("body", EfficientNet(EfficientNetSpecFor(name)));
    num_channels_ = effnet_->channels().back();
    return;
  }
  body_ = register_module("body", ResNet(ResNetSpecFor(name), dilation, batch_statistics));
  num_channels_ = body_->channels().back();
  // The reference trains only layer2..layer4 of a ResNet (and nothing when lr_backbone is 0).
  for (auto& named : body_->named_parameters()) {
    const std::string& key = named.key();
    const bool trainable = train_backbone && (key.find("layer2") != std::string::npos ||
                                              key.find("layer3") != std::string::npos ||
                                              key.find("layer4") != std::string::npos);
    named.value().set_requires_grad(trainable);
  }
}

std::vector<NestedTensor> BackboneImpl::forward(const NestedTensor& input) {
  std::vector<NestedTensor> out;
  auto features = body_ ? body_->forward(input.tensors, return_interm_layers_)
                       : effnet_->forward(input.tensors, return_interm_layers_);
  for (auto& feature : features) {
    auto mask = torch::nn::functional::interpolate(
                    input.mask.unsqueeze(0).to(torch::kFloat32),
                    torch::nn::functional::InterpolateFuncOptions()
                        .size(std::vector<int64_t>{feature.size(2), feature.size(3)})
                        .mode(torch::kNearest))
                    .to(torch::kBool)[0];
    out.push_back({feature, mask});
  }
  return out;
}

JoinerImpl::JoinerImpl(Backbone backbone, PositionEmbeddingSine position) {
  backbone_ = register_module("0", std::move(backbone));
  position_ = register_module("1", std::move(position));
}

BackboneOutput JoinerImpl::forward(const NestedTensor& input) {
  BackboneOutput out;
  out.features = backbone_->forward(input);
  for (const auto& level : out.features) {
    out.pos.push_back(position_->forward(level.mask).to(level.tensors.scalar_type()));
  }
  return out;
}

}  // namespace mdetr::model
