// The model on a GPU gives the CPU's numbers (skipped, and reported as skipped, without a GPU).
#include <gtest/gtest.h>

#include "common/config/experiment.h"
#include "model/nn/mdetr.h"
#include "model/nn/synthetic_weights.h"
#include "tests/model/golden_file.h"

namespace mdetr::model {
namespace {

TEST(GpuTest, TinyModelOnCudaMatchesTheReferenceGoldens) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  auto g = testing::LoadGoldens("tests/data/model/tiny_goldens.pt");
  auto cfg = config::LoadExperiment("configs/models/tiny_cpu.yaml");
  ASSERT_TRUE(cfg.ok());
  Mdetr model(cfg->model);
  FillSyntheticWeights(*model);
  model->eval();
  model->to(torch::kCUDA);
  torch::NoGradGuard no_grad;
  auto out = model->forward({g.at("input.images").cuda(), g.at("input.mask").cuda()},
                            {g.at("input.input_ids").cuda(), g.at("input.attention_mask").cuda()});
  // TF32 and different kernels: a looser bound than the CPU's 1e-4.
  EXPECT_LE(testing::MaxAbsDiff(out.logits().cpu(), g.at("out.pred_logits")), 1e-2);
  EXPECT_LE(testing::MaxAbsDiff(out.boxes().cpu(), g.at("out.pred_boxes")), 1e-3);
}

}  // namespace
}  // namespace mdetr::model
