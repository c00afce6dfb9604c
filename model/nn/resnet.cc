#include "model/nn/resnet.h"

namespace mdetr::model {
namespace {

torch::nn::Conv2d Conv(int64_t in, int64_t out, int64_t k, int64_t stride, int64_t pad, int64_t dilation = 1) {
  return torch::nn::Conv2d(
      torch::nn::Conv2dOptions(in, out, k).stride(stride).padding(pad).dilation(dilation).bias(false));
}

}  // namespace

ResNetBlockImpl::ResNetBlockImpl(bool bottleneck, int64_t in, int64_t planes, int64_t stride, int64_t dilation,
                                 bool downsample, bool batch_statistics)
    : bottleneck_(bottleneck) {
  for (auto& f : folded_) f = std::make_shared<ConvNormFolding>();
  auto Norm = [&](int64_t channels) { return BackboneBatchNorm2d(channels, batch_statistics); };
  const int64_t expansion = bottleneck ? 4 : 1;
  if (bottleneck) {
    conv1_ = register_module("conv1", Conv(in, planes, 1, 1, 0));
    bn1_ = register_module("bn1", Norm(planes));
    conv2_ = register_module("conv2", Conv(planes, planes, 3, stride, dilation, dilation));
    bn2_ = register_module("bn2", Norm(planes));
    conv3_ = register_module("conv3", Conv(planes, planes * expansion, 1, 1, 0));
    bn3_ = register_module("bn3", Norm(planes * expansion));
  } else {
    conv1_ = register_module("conv1", Conv(in, planes, 3, stride, dilation, dilation));
    bn1_ = register_module("bn1", Norm(planes));
    conv2_ = register_module("conv2", Conv(planes, planes, 3, 1, dilation, dilation));
    bn2_ = register_module("bn2", Norm(planes));
  }
  if (downsample) {
    downsample_ = register_module(
        "downsample", torch::nn::Sequential(Conv(in, planes * expansion, 1, stride, 0),
                                            Norm(planes * expansion)));
  }
}

// ReLU and the residual sum work in place, as torchvision's blocks do: at 800 x 1066 each
// out-of-place op allocates (and first-touches) another 50 MB activation. ResNet-101 MDETR, batch 1,
// 2 threads: a training step took 17.5 s out of place, 9.2-10.7 s in place. Every tensor changed
// in place is a norm's fresh output that no backward formula reads.
// Each conv + norm pair runs folded into one convolution when no gradient is wanted
// (conv_norm_folding.h).
torch::Tensor ResNetBlockImpl::forward(const torch::Tensor& x) {
  auto out = (*folded_[0])(*conv1_, *bn1_, x).relu_();
  out = (*folded_[1])(*conv2_, *bn2_, out);
  if (bottleneck_) out = (*folded_[2])(*conv3_, *bn3_, out.relu_());
  if (downsample_) {
    out.add_((*folded_[3])(*downsample_[0]->as<torch::nn::Conv2dImpl>(),
                           *downsample_[1]->as<BackboneBatchNorm2dImpl>(), x));
  } else {
    out.add_(x);
  }
  return out.relu_();
}

ResNetSpec ResNetSpecFor(const std::string& name) {
  if (name == "resnet18") return {false, {2, 2, 2, 2}};
  if (name == "resnet34") return {false, {3, 4, 6, 3}};
  if (name == "resnet50") return {true, {3, 4, 6, 3}};
  if (name == "resnet101") return {true, {3, 4, 23, 3}};
  TORCH_CHECK(false, "unknown ResNet '", name, "' (expected resnet18, resnet34, resnet50 or resnet101)");
}

ResNetImpl::ResNetImpl(const ResNetSpec& spec, bool dilation_in_layer4, bool batch_statistics) {
  conv1_ = register_module("conv1", Conv(3, 64, 7, 2, 3));
  bn1_ = register_module("bn1", BackboneBatchNorm2d(64, batch_statistics));
  const int64_t expansion = spec.bottleneck ? 4 : 1;
  int64_t in = 64;
  int64_t dilation = 1;
  const int64_t planes_per_layer[4] = {64, 128, 256, 512};
  for (int layer = 0; layer < 4; ++layer) {
    const int64_t planes = planes_per_layer[layer];
    int64_t stride = layer == 0 ? 1 : 2;
    int64_t block_dilation = dilation;
    if (layer == 3 && dilation_in_layer4) {
      dilation *= stride;  // torchvision's replace_stride_with_dilation: first block keeps the old dilation
      stride = 1;
    }
    torch::nn::Sequential seq;
    for (int b = 0; b < spec.blocks[static_cast<size_t>(layer)]; ++b) {
      const bool first = b == 0;
      const bool down = first && (stride != 1 || in != planes * expansion);
      seq->push_back(ResNetBlock(spec.bottleneck, in, planes, first ? stride : 1, first ? block_dilation : dilation,
                                 down, batch_statistics));
      in = planes * expansion;
    }
    layers_.push_back(register_module("layer" + std::to_string(layer + 1), seq));
    channels_.push_back(in);
  }
  // torchvision's initialisation (He-normal, fan-out). With LibTorch's default conv init a ResNet-18's
  // last stage puts out about 1/25 of the activation scale torchvision's gives (std 0.08 vs 1.96 on a
  // 128 px input), and a backbone trained from scratch (synthetic data, tests) has no batch norm
  // statistics to compensate because the norm layers are frozen.
  for (auto& module : modules(/*include_self=*/false)) {
    if (auto* conv = module->as<torch::nn::Conv2dImpl>()) {
      torch::nn::init::kaiming_normal_(conv->weight, /*a=*/0, torch::kFanOut, torch::kReLU);
    }
  }
}

// Without gradients (inference, evaluation) the activations are channels-last: oneDNN convolves
// them in that layout directly, where a contiguous NCHW tensor is reordered before and after every
// convolution. ResNet-101 at 800 x 1066, 2 threads: backbone 1.40 s -> 1.08 s. The levels handed on
// are contiguous again, so the code after the backbone sees the layout it always sees. Training
// keeps the reference's layout (and its rounding).
std::vector<torch::Tensor> ResNetImpl::forward(const torch::Tensor& x, bool all_levels) {
  const bool channels_last = !torch::GradMode::is_enabled();
  const auto in = channels_last ? x.contiguous(torch::MemoryFormat::ChannelsLast) : x;
  auto out = torch::max_pool2d((*stem_folded_)(*conv1_, *bn1_, in).relu_(), 3, 2, 1);
  std::vector<torch::Tensor> levels;
  for (size_t i = 0; i < layers_.size(); ++i) {
    out = layers_[i]->forward(out);
    if (all_levels || i + 1 == layers_.size()) levels.push_back(channels_last ? out.contiguous() : out);
  }
  return levels;
}

}  // namespace mdetr::model
