#include "model/objective/fused_adamw.h"

#include <ATen/ops/_fused_adamw.h>
#include <torch/utils.h>

#include <map>
#include <memory>
#include <tuple>

namespace mdetr::objective {
namespace {

// The tensors of one fused call: the kernel wants one device and one dtype per list.
struct FusedBatch {
  std::vector<torch::Tensor> params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, steps;
};

}  // namespace

torch::Tensor FusedAdamW::step(LossClosure closure) {
  torch::NoGradGuard no_grad;
  torch::Tensor loss;
  if (closure) {
    at::AutoGradMode enable_grad(true);
    loss = closure();
  }
  for (auto& group : param_groups_) {
    const auto& options = static_cast<const torch::optim::AdamWOptions&>(group.options());
    std::map<std::tuple<int, int, torch::ScalarType>, FusedBatch> batches;
    for (auto& p : group.params()) {
      if (!p.grad().defined()) continue;
      TORCH_CHECK(!p.grad().is_sparse(), "FusedAdamW does not support sparse gradients");
      auto& slot = state_[p.unsafeGetTensorImpl()];
      if (!slot) {
        auto fresh = std::make_unique<torch::optim::AdamWParamState>();
        fresh->step(0);
        fresh->exp_avg(torch::zeros_like(p, torch::MemoryFormat::Preserve));
        fresh->exp_avg_sq(torch::zeros_like(p, torch::MemoryFormat::Preserve));
        if (options.amsgrad()) fresh->max_exp_avg_sq(torch::zeros_like(p, torch::MemoryFormat::Preserve));
        slot = std::move(fresh);
      }
      auto& state = static_cast<torch::optim::AdamWParamState&>(*slot);
      state.step(state.step() + 1);
      auto& b = batches[{static_cast<int>(p.device().type()), p.device().index(), p.scalar_type()}];
      b.params.push_back(p);
      b.grads.push_back(p.grad());
      b.exp_avgs.push_back(state.exp_avg());
      b.exp_avg_sqs.push_back(state.exp_avg_sq());
      if (options.amsgrad()) b.max_exp_avg_sqs.push_back(state.max_exp_avg_sq());
      // The kernel reads the step count (after this step's increment) from a float scalar on the
      // parameter's device, as torch.optim.AdamW(fused=True) keeps it.
      b.steps.push_back(torch::full({}, static_cast<double>(state.step()),
                                    torch::TensorOptions().dtype(torch::kFloat32).device(p.device())));
    }
    const auto [beta1, beta2] = options.betas();
    for (auto& [key, b] : batches) {
      at::_fused_adamw_(b.params, b.grads, b.exp_avgs, b.exp_avg_sqs, b.max_exp_avg_sqs, b.steps, options.lr(), beta1,
                        beta2, options.weight_decay(), options.eps(), options.amsgrad(), /*maximize=*/false);
    }
  }
  return loss;
}

}  // namespace mdetr::objective
