// The reference's optimisation recipe: AdamW (computed by the fused kernel of fused_adamw.h) or
// SGD over three parameter groups (everything else / backbone / text encoder, chosen by name)
// with their own learning rates, gradient clipping by global norm, the learning-rate schedules of
// util/optim.py applied AFTER each optimizer step, and an exponential moving average of weights
// and buffers.
#pragma once

#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

#include "common/config/experiment.h"

namespace mdetr::objective {

struct ParameterGroups {
  std::vector<torch::Tensor> rest, backbone, text_encoder;  // only parameters that require grad
};

// Names containing "backbone" -> backbone, "text_encoder" -> text encoder, the rest -> rest.
ParameterGroups SplitParameters(const torch::nn::Module& model);

// Groups in the order rest, backbone, text encoder, with lr, lr_backbone, text_encoder_lr.
std::unique_ptr<torch::optim::Optimizer> MakeOptimizer(const ParameterGroups& groups, const config::OptimConfig& cfg);

// The learning-rate multipliers (rest & backbone, text encoder) for a step of a schedule.
struct LrFactors {
  double gamma = 1;
  double text_encoder_gamma = 1;
};
LrFactors ScheduleFactors(const config::OptimConfig& cfg, int epoch, int64_t step, int64_t total_steps);

// Sets the three groups' learning rates for (epoch, step). The reference calls this after
// optimizer.step(), so the very first step runs at the base learning rates.
void AdjustLearningRate(torch::optim::Optimizer& optimizer, const config::OptimConfig& cfg, int epoch, int64_t step,
                        int64_t total_steps);

// The learning rate of each group now (rest, backbone, text encoder).
std::vector<double> CurrentLearningRates(const torch::optim::Optimizer& optimizer);

// Clips the global L2 norm of all gradients to max_norm (no-op for max_norm <= 0); returns the
// norm before clipping.
double ClipGradNorm(const torch::nn::Module& model, double max_norm);

// w_ema = decay * w_ema + (1 - decay) * w, over every parameter and buffer by name.
class ModelEma {
 public:
  explicit ModelEma(const torch::nn::Module& model);
  void Update(const torch::nn::Module& model, double decay);
  // Name -> averaged tensor (same names as the model's state dict).
  const std::map<std::string, torch::Tensor>& state() const { return state_; }
  std::map<std::string, torch::Tensor>& mutable_state() { return state_; }
  // Copies the averaged weights into `model` (e.g. to evaluate on the EMA weights).
  void CopyTo(torch::nn::Module& model) const;

 private:
  std::map<std::string, torch::Tensor> state_;
};

}  // namespace mdetr::objective
