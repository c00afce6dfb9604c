#include "model/objective/optim_recipe.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>

#include "model/nn/state_dict.h"
#include "model/objective/fused_adamw.h"

namespace mdetr::objective {

ParameterGroups SplitParameters(const torch::nn::Module& model) {
  ParameterGroups g;
  for (const auto& p : model.named_parameters(true)) {
    if (!p.value().requires_grad()) continue;
    const std::string& n = p.key();
    if (n.find("backbone") != std::string::npos) g.backbone.push_back(p.value());
    else if (n.find("text_encoder") != std::string::npos) g.text_encoder.push_back(p.value());
    else g.rest.push_back(p.value());
  }
  return g;
}

std::unique_ptr<torch::optim::Optimizer> MakeOptimizer(const ParameterGroups& groups, const config::OptimConfig& cfg) {
  const double lrs[3] = {cfg.lr, cfg.lr_backbone, cfg.text_encoder_lr};
  const std::vector<torch::Tensor>* params[3] = {&groups.rest, &groups.backbone, &groups.text_encoder};
  if (cfg.optimizer == "sgd") {
    std::vector<torch::optim::OptimizerParamGroup> pg;
    for (int i = 0; i < 3; ++i) {
      pg.emplace_back(*params[i], std::make_unique<torch::optim::SGDOptions>(
                                      torch::optim::SGDOptions(lrs[i]).momentum(0.9).weight_decay(cfg.weight_decay)));
    }
    return std::make_unique<torch::optim::SGD>(pg, torch::optim::SGDOptions(cfg.lr));
  }
  std::vector<torch::optim::OptimizerParamGroup> pg;
  for (int i = 0; i < 3; ++i) {
    pg.emplace_back(*params[i], std::make_unique<torch::optim::AdamWOptions>(
                                    torch::optim::AdamWOptions(lrs[i]).weight_decay(cfg.weight_decay)));
  }
  return std::make_unique<FusedAdamW>(pg, torch::optim::AdamWOptions(cfg.lr).weight_decay(cfg.weight_decay));
}

LrFactors ScheduleFactors(const config::OptimConfig& cfg, int epoch, int64_t step, int64_t total_steps) {
  const int64_t warmup = static_cast<int64_t>(std::llround(cfg.fraction_warmup_steps * static_cast<double>(total_steps)));
  auto linear = [&] {
    if (step < warmup) return static_cast<double>(step) / static_cast<double>(std::max<int64_t>(1, warmup));
    return std::max(0.0, static_cast<double>(total_steps - step) /
                             static_cast<double>(std::max<int64_t>(1, total_steps - warmup)));
  };
  LrFactors f;
  if (cfg.schedule == "step") {
    f.gamma = f.text_encoder_gamma = std::pow(0.1, epoch / cfg.lr_drop);
  } else if (cfg.schedule == "multistep") {
    int drops = 0;
    for (int m = cfg.lr_drop; m < cfg.epochs; m += 50) drops += epoch >= m ? 1 : 0;
    f.gamma = f.text_encoder_gamma = std::pow(0.5, drops);
  } else if (cfg.schedule == "linear_with_warmup") {
    f.gamma = std::pow(0.1, epoch / cfg.lr_drop);
    f.text_encoder_gamma = linear();
  } else {  // all_linear_with_warmup
    f.gamma = f.text_encoder_gamma = linear();
  }
  return f;
}

namespace {
void SetLr(torch::optim::OptimizerParamGroup& group, double lr) {
  auto& options = group.options();
  if (auto* adamw = dynamic_cast<torch::optim::AdamWOptions*>(&options)) adamw->lr(lr);
  else if (auto* sgd = dynamic_cast<torch::optim::SGDOptions*>(&options)) sgd->lr(lr);
}
double GetLr(const torch::optim::OptimizerParamGroup& group) {
  const auto& options = group.options();
  if (auto* adamw = dynamic_cast<const torch::optim::AdamWOptions*>(&options)) return adamw->lr();
  if (auto* sgd = dynamic_cast<const torch::optim::SGDOptions*>(&options)) return sgd->lr();
  return 0;
}
}  // namespace

void AdjustLearningRate(torch::optim::Optimizer& optimizer, const config::OptimConfig& cfg, int epoch, int64_t step,
                        int64_t total_steps) {
  const auto f = ScheduleFactors(cfg, epoch, step, total_steps);
  const double base[3] = {cfg.lr, cfg.lr_backbone, cfg.text_encoder_lr};
  const double gammas[3] = {f.gamma, f.gamma, f.text_encoder_gamma};
  auto& groups = optimizer.param_groups();
  for (size_t i = 0; i < groups.size() && i < 3; ++i) SetLr(groups[i], base[i] * gammas[i]);
}

std::vector<double> CurrentLearningRates(const torch::optim::Optimizer& optimizer) {
  std::vector<double> out;
  for (const auto& g : optimizer.param_groups()) out.push_back(GetLr(g));
  return out;
}

double ClipGradNorm(const torch::nn::Module& model, double max_norm) {
  std::vector<torch::Tensor> params;
  for (const auto& p : model.parameters(true)) {
    if (p.grad().defined()) params.push_back(p);
  }
  if (params.empty()) return 0;
  if (max_norm <= 0) {
    double sq = 0;
    for (const auto& p : params) sq += p.grad().pow(2).sum().item<double>();
    return std::sqrt(sq);
  }
  return torch::nn::utils::clip_grad_norm_(params, max_norm);
}

ModelEma::ModelEma(const torch::nn::Module& model) {
  for (const auto& [k, v] : model::NamedStateDict(model)) state_[k] = v.detach().clone();
}

namespace {

// average = average * decay + (1 - decay) * value. On CPU float tensors of one layout this is one
// pass instead of three full-size temporaries, rounded as the reference's tensor expression is
// (each product rounded to float, then their sum), so the averages stay bit-identical to it.
void Average(torch::Tensor& average, const torch::Tensor& value, double decay) {
  const bool one_pass = average.device().is_cpu() && value.device().is_cpu() &&
                        average.scalar_type() == torch::kFloat32 && value.scalar_type() == torch::kFloat32 &&
                        average.sizes() == value.sizes() && average.strides() == value.strides() &&
                        average.is_non_overlapping_and_dense();
  if (!one_pass) {
    average.copy_(average * decay + (1.0 - decay) * value);
    return;
  }
  const float keep = static_cast<float>(decay);
  const float take = static_cast<float>(1.0 - decay);
  float* a = average.data_ptr<float>();
  const float* v = value.const_data_ptr<float>();
  at::parallel_for(0, average.numel(), 1 << 15, [&](int64_t begin, int64_t end) {
#if defined(__clang__)
#pragma clang fp contract(off)  // two roundings, as the reference's separate tensor operations
#endif
    for (int64_t i = begin; i < end; ++i) {
      const float kept = a[i] * keep;
      const float taken = take * v[i];
      a[i] = kept + taken;
    }
  });
}

}  // namespace

void ModelEma::Update(const torch::nn::Module& model, double decay) {
  torch::NoGradGuard no_grad;
  for (const auto& [k, v] : model::NamedStateDict(model)) {
    auto it = state_.find(k);
    if (it == state_.end()) continue;
    Average(it->second, v.detach(), decay);
  }
}

void ModelEma::CopyTo(torch::nn::Module& model) const {
  torch::NoGradGuard no_grad;
  for (auto& [k, v] : model::NamedStateDict(model)) {
    auto it = state_.find(k);
    if (it != state_.end()) v.copy_(it->second);
  }
}

}  // namespace mdetr::objective
