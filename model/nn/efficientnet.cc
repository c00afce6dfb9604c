#include "model/nn/efficientnet.h"

#include <cmath>

namespace mdetr::model {
namespace {

// timm's make_divisible: round to a multiple of `divisor`, never more than 10% below the value.
int64_t MakeDivisible(double value, int64_t divisor = 8) {
  const double d = static_cast<double>(divisor);
  int64_t rounded = std::max(divisor, static_cast<int64_t>(value + d / 2) / divisor * divisor);
  if (static_cast<double>(rounded) < 0.9 * value) rounded += divisor;
  return rounded;
}

// One stage of the EfficientNet-B0 definition that the multipliers scale (timm's arch_def).
struct StageDef {
  bool depthwise_separable;  // "ds" block (stage 0) or inverted residual ("ir")
  int64_t repeats, kernel, stride, expansion, channels;
};
constexpr StageDef kB0Stages[] = {
    {true, 1, 3, 1, 1, 16},   {false, 2, 3, 2, 6, 24},  {false, 2, 5, 2, 6, 40},  {false, 3, 3, 2, 6, 80},
    {false, 3, 5, 1, 6, 112}, {false, 4, 5, 2, 6, 192}, {false, 1, 3, 1, 6, 320},
};
constexpr double kSeRatio = 0.25;  // of the block's input channels
constexpr int64_t kStemChannels = 32;

// timm's efficientnet_init_weights for a fresh model: N(0, sqrt(2 / fan_out)), fan_out per group.
torch::Tensor GoogleInit(torch::Tensor w, int64_t groups) {
  const int64_t fan_out = w.size(0) * w.size(2) * w.size(3) / groups;
  torch::NoGradGuard no_grad;
  return w.normal_(0.0, std::sqrt(2.0 / static_cast<double>(fan_out)));
}

torch::nn::Conv2d SeConv(int64_t in, int64_t out) {
  torch::nn::Conv2d conv(torch::nn::Conv2dOptions(in, out, 1).bias(true));
  GoogleInit(conv->weight, 1);
  torch::NoGradGuard no_grad;
  conv->bias.zero_();
  return conv;
}

// TF "SAME" total padding along one axis.
int64_t SamePadding(int64_t size, int64_t kernel, int64_t stride) {
  const int64_t out = (size + stride - 1) / stride;
  return std::max<int64_t>((out - 1) * stride + kernel - size, 0);
}

}  // namespace

TfSameConv2dImpl::TfSameConv2dImpl(int64_t in, int64_t out, int64_t kernel, int64_t stride, int64_t groups)
    : kernel_(kernel), stride_(stride), groups_(groups) {
  weight = register_parameter("weight", GoogleInit(torch::empty({out, in / groups, kernel, kernel}), groups));
}

torch::Tensor TfSameConv2dImpl::forward(const torch::Tensor& x) {
  namespace F = torch::nn::functional;
  if (stride_ == 1 && kernel_ % 2 == 1) {
    // timm's static case: symmetric k/2, identical to SAME for stride 1.
    return F::conv2d(x, weight, F::Conv2dFuncOptions().padding(kernel_ / 2).groups(groups_));
  }
  const int64_t ph = SamePadding(x.size(2), kernel_, stride_);
  const int64_t pw = SamePadding(x.size(3), kernel_, stride_);
  auto padded = x;
  if (ph > 0 || pw > 0) padded = F::pad(x, F::PadFuncOptions({pw / 2, pw - pw / 2, ph / 2, ph - ph / 2}));
  return F::conv2d(padded, weight, F::Conv2dFuncOptions().stride(stride_).groups(groups_));
}

SqueezeExciteImpl::SqueezeExciteImpl(int64_t channels, int64_t reduced) {
  conv_reduce_ = register_module("conv_reduce", SeConv(channels, reduced));
  conv_expand_ = register_module("conv_expand", SeConv(reduced, channels));
}

torch::Tensor SqueezeExciteImpl::forward(const torch::Tensor& x) {
  auto s = x.mean({2, 3}, /*keepdim=*/true);
  s = conv_expand_(torch::silu(conv_reduce_(s)));
  return x * torch::sigmoid(s);
}

DepthwiseSeparableImpl::DepthwiseSeparableImpl(int64_t in, int64_t out, int64_t kernel, int64_t stride,
                                               int64_t se_channels)
    : residual_(stride == 1 && in == out) {
  conv_dw_ = register_module("conv_dw", TfSameConv2d(in, in, kernel, stride, in));
  bn1_ = register_module("bn1", BackboneBatchNorm2d(in));
  se_ = register_module("se", SqueezeExcite(in, se_channels));
  conv_pw_ = register_module("conv_pw", TfSameConv2d(in, out, 1, 1, 1));
  bn2_ = register_module("bn2", BackboneBatchNorm2d(out));
}

torch::Tensor DepthwiseSeparableImpl::forward(const torch::Tensor& x) {
  auto out = se_(torch::silu(bn1_(conv_dw_(x))));
  out = bn2_(conv_pw_(out));
  return residual_ ? out + x : out;
}

InvertedResidualImpl::InvertedResidualImpl(int64_t in, int64_t mid, int64_t out, int64_t kernel,
                                           int64_t stride, int64_t se_channels)
    : residual_(stride == 1 && in == out) {
  conv_pw_ = register_module("conv_pw", TfSameConv2d(in, mid, 1, 1, 1));
  bn1_ = register_module("bn1", BackboneBatchNorm2d(mid));
  conv_dw_ = register_module("conv_dw", TfSameConv2d(mid, mid, kernel, stride, mid));
  bn2_ = register_module("bn2", BackboneBatchNorm2d(mid));
  se_ = register_module("se", SqueezeExcite(mid, se_channels));
  conv_pwl_ = register_module("conv_pwl", TfSameConv2d(mid, out, 1, 1, 1));
  bn3_ = register_module("bn3", BackboneBatchNorm2d(out));
}

torch::Tensor InvertedResidualImpl::forward(const torch::Tensor& x) {
  auto out = torch::silu(bn1_(conv_pw_(x)));
  out = se_(torch::silu(bn2_(conv_dw_(out))));
  out = bn3_(conv_pwl_(out));
  return residual_ ? out + x : out;
}

bool IsEfficientNetName(const std::string& name) { return name.rfind("timm_", 0) == 0; }

EfficientNetSpec EfficientNetSpecFor(const std::string& name) {
  const std::string bare = IsEfficientNetName(name) ? name.substr(5) : name;
  if (bare == "tf_efficientnet_b3_ns") return {1.2, 1.4};
  if (bare == "tf_efficientnet_b5_ns") return {1.6, 2.2};
  TORCH_CHECK(false, "unknown timm backbone '", name,
              "' (expected timm_tf_efficientnet_b3_ns or timm_tf_efficientnet_b5_ns)");
}

EfficientNetImpl::EfficientNetImpl(const EfficientNetSpec& spec) {
  const auto round_channels = [&](int64_t c) {
    return MakeDivisible(static_cast<double>(c) * spec.channel_multiplier);
  };
  int64_t in = round_channels(kStemChannels);
  conv_stem_ = register_module("conv_stem", TfSameConv2d(3, in, 3, 2, 1));
  bn1_ = register_module("bn1", BackboneBatchNorm2d(in));
  torch::nn::ModuleList blocks;  // timm's nn.Sequential of stages: keys blocks.<stage>.<block>
  const size_t num_stages = std::size(kB0Stages);
  std::vector<size_t> stage_taps;
  std::vector<int64_t> stage_channels;
  for (size_t s = 0; s < num_stages; ++s) {
    const StageDef& def = kB0Stages[s];
    const int64_t out = round_channels(def.channels);
    const auto repeats =
        static_cast<int64_t>(std::ceil(static_cast<double>(def.repeats) * spec.depth_multiplier));
    torch::nn::Sequential stage;
    for (int64_t b = 0; b < repeats; ++b) {
      const int64_t stride = b == 0 ? def.stride : 1;
      if (def.depthwise_separable) {
        // The SE width is rounded from the block's input (Python round(): half to even).
        const auto se = static_cast<int64_t>(std::nearbyint(static_cast<double>(in) * kSeRatio));
        stage->push_back(DepthwiseSeparable(in, out, def.kernel, stride, se));
      } else {
        const int64_t mid = MakeDivisible(static_cast<double>(in * def.expansion));
        const double ratio = kSeRatio / static_cast<double>(def.expansion);
        const auto se = static_cast<int64_t>(std::nearbyint(static_cast<double>(mid) * ratio));
        stage->push_back(InvertedResidual(in, mid, out, def.kernel, stride, se));
      }
      in = out;
    }
    blocks->push_back(stage);
    stages_.push_back(stage);
    // timm returns a stage's output when the next stage reduces the resolution (or it is the last).
    if (s + 1 == num_stages || kB0Stages[s + 1].stride > 1) {
      stage_taps.push_back(s);
      stage_channels.push_back(out);
    }
  }
  register_module("blocks", blocks);
  // out_indices (1, 2, 3, 4): every tap but the stride-2 one after stage 0.
  tap_stages_.assign(stage_taps.begin() + 1, stage_taps.end());
  channels_.assign(stage_channels.begin() + 1, stage_channels.end());
}

std::vector<torch::Tensor> EfficientNetImpl::forward(const torch::Tensor& x, bool all_levels) {
  auto out = torch::silu(bn1_(conv_stem_(x)));
  std::vector<torch::Tensor> levels;
  size_t next_tap = 0;
  for (size_t s = 0; s < stages_.size(); ++s) {
    out = stages_[s]->forward(out);
    if (next_tap < tap_stages_.size() && tap_stages_[next_tap] == s) {
      if (all_levels || next_tap + 1 == tap_stages_.size()) levels.push_back(out);
      ++next_tap;
    }
  }
  return levels;
}

}  // namespace mdetr::model
