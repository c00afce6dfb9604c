// FusedAdamW against LibTorch's own AdamW: same trajectory over several groups and steps, the same
// state (so checkpoints move between them), and the parameters without a gradient left alone.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <sstream>

#include "model/objective/fused_adamw.h"

namespace mdetr::objective {
namespace {

// Two groups with their own learning rates, a 4-d weight stored channels-last (as run.channels_last
// keeps the convolutions), a vector, and a parameter that never gets a gradient.
struct Params {
  std::vector<torch::Tensor> all;
  explicit Params(uint64_t seed) {
    torch::manual_seed(seed);
    all.push_back(torch::randn({64, 32}).requires_grad_());
    all.push_back(torch::randn({16, 8, 3, 3}).contiguous(torch::MemoryFormat::ChannelsLast).requires_grad_());
    all.push_back(torch::randn({1000}).requires_grad_());
    all.push_back(torch::randn({7}).requires_grad_());  // frozen in practice: no gradient ever
  }
  std::vector<torch::optim::OptimizerParamGroup> Groups() const {
    std::vector<torch::optim::OptimizerParamGroup> g;
    g.emplace_back(std::vector<torch::Tensor>{all[0], all[3]},
                   std::make_unique<torch::optim::AdamWOptions>(torch::optim::AdamWOptions(1e-3).weight_decay(1e-4)));
    g.emplace_back(std::vector<torch::Tensor>{all[1], all[2]},
                   std::make_unique<torch::optim::AdamWOptions>(torch::optim::AdamWOptions(3e-2).weight_decay(0.05)));
    return g;
  }
  // A gradient that depends on the step, so the moments see changing inputs.
  void SetGradients(int step) {
    torch::NoGradGuard ng;
    for (size_t i = 0; i + 1 < all.size(); ++i) {
      auto g = torch::sin(all[i] * (step + 1) + static_cast<double>(i)) * 0.1;
      all[i].mutable_grad() = g.contiguous(all[i].suggest_memory_format());
    }
  }
};

void ExpectClose(const std::vector<torch::Tensor>& a, const std::vector<torch::Tensor>& b, double tol) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    const double diff = (a[i] - b[i]).abs().max().item<double>();
    const double scale = b[i].abs().max().item<double>();
    EXPECT_LE(diff, tol * scale) << "parameter " << i;
  }
}

TEST(FusedAdamWTest, FollowsLibTorchAdamWOverStepsAndGroups) {
  Params fused_params(3), plain_params(3);
  FusedAdamW fused(fused_params.Groups(), torch::optim::AdamWOptions(1e-3));
  torch::optim::AdamW plain(plain_params.Groups(), torch::optim::AdamWOptions(1e-3));
  const auto untouched = fused_params.all[3].clone();
  for (int step = 0; step < 25; ++step) {
    fused_params.SetGradients(step);
    plain_params.SetGradients(step);
    fused.step();
    plain.step();
  }
  ExpectClose(fused_params.all, plain_params.all, 2e-6);
  // The parameters moved (the comparison above is not between two unchanged sets).
  Params start(3);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_GT((fused_params.all[i] - start.all[i]).abs().max().item<double>(), 1e-3) << i;
  }
  EXPECT_TRUE(torch::equal(fused_params.all[3], untouched));
  EXPECT_TRUE(fused_params.all[1].is_contiguous(torch::MemoryFormat::ChannelsLast));
}

TEST(FusedAdamWTest, StateMovesBetweenFusedAndLibTorchAdamW) {
  // Five steps with FusedAdamW, saved; loaded into LibTorch's AdamW for five more. The reverse
  // direction too. Both end where ten LibTorch steps end.
  Params reference(5);
  torch::optim::AdamW ref_opt(reference.Groups());
  for (int step = 0; step < 10; ++step) {
    reference.SetGradients(step);
    ref_opt.step();
  }
  for (bool fused_first : {true, false}) {
    Params p(5);
    std::unique_ptr<torch::optim::Optimizer> first, second;
    if (fused_first) {
      first = std::make_unique<FusedAdamW>(p.Groups());
      second = std::make_unique<torch::optim::AdamW>(p.Groups());
    } else {
      first = std::make_unique<torch::optim::AdamW>(p.Groups());
      second = std::make_unique<FusedAdamW>(p.Groups());
    }
    for (int step = 0; step < 5; ++step) {
      p.SetGradients(step);
      first->step();
    }
    std::stringstream bytes;
    {
      torch::serialize::OutputArchive out;
      first->save(out);
      out.save_to(bytes);
    }
    torch::serialize::InputArchive in;
    in.load_from(bytes);
    second->load(in);
    for (int step = 5; step < 10; ++step) {
      p.SetGradients(step);
      second->step();
    }
    SCOPED_TRACE(fused_first ? "fused, then LibTorch" : "LibTorch, then fused");
    ExpectClose(p.all, reference.all, 2e-6);
  }
}

}  // namespace
}  // namespace mdetr::objective
