// The C++ MDETR against numbers produced by the reference implementation
// (tools/parity/model/make_goldens.py --config tiny): same synthetic weights, same real images
// and captions; every intermediate must agree to 1e-4 relative, logits and boxes to 1e-4 absolute.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "common/config/experiment.h"
#include "model/nn/mdetr.h"
#include "model/nn/synthetic_weights.h"
#include "tests/model/golden_file.h"

namespace mdetr::model {
namespace {

using testing::MaxAbsDiff;
using testing::RelativeMaxDiff;

class TinyParityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    torch::manual_seed(0);
    goldens_ = testing::LoadGoldens("tests/data/model/tiny_goldens.pt");
    auto cfg = config::LoadExperiment("configs/models/tiny_cpu.yaml");
    ASSERT_TRUE(cfg.ok()) << cfg.status();
    model_ = Mdetr(cfg->model);
    FillSyntheticWeights(*model_);
    model_->eval();
  }
  const torch::Tensor& G(const std::string& name) {
    auto it = goldens_.find(name);
    if (it == goldens_.end()) throw std::runtime_error("golden missing: " + name);
    return it->second;
  }
  std::map<std::string, torch::Tensor> goldens_;
  Mdetr model_{nullptr};
};

TEST_F(TinyParityTest, EveryIntermediateMatchesTheReference) {
  torch::NoGradGuard no_grad;
  NestedTensor images{G("input.images"), G("input.mask")};
  TextBatch text{G("input.input_ids"), G("input.attention_mask")};
  auto cache = model_->Encode(images, text);
  const auto& bb = model_->last_backbone_output();

  EXPECT_TRUE(bb.features.back().mask.equal(G("backbone.mask")));
  EXPECT_LE(RelativeMaxDiff(bb.features.back().tensors, G("backbone.features")), 1e-4);
  EXPECT_LE(RelativeMaxDiff(bb.pos.back(), G("backbone.pos")), 1e-4);
  EXPECT_LE(RelativeMaxDiff(cache.text_hidden, G("text.hidden")), 1e-4);
  EXPECT_LE(RelativeMaxDiff(cache.text_memory_resized, G("cache.text_memory_resized")), 1e-4);
  EXPECT_TRUE(cache.mask.equal(G("cache.mask")));
  EXPECT_LE(RelativeMaxDiff(cache.img_memory, G("cache.img_memory")), 1e-4);
  EXPECT_LE(RelativeMaxDiff(cache.text_memory, G("cache.text_memory")), 1e-4);

  auto out = model_->Decode(cache);
  EXPECT_LE(MaxAbsDiff(out.logits(), G("out.pred_logits")), 1e-4);
  EXPECT_LE(MaxAbsDiff(out.boxes(), G("out.pred_boxes")), 1e-4);
  EXPECT_LE(RelativeMaxDiff(out.proj_queries[-1], G("out.proj_queries")), 1e-4);
  EXPECT_LE(RelativeMaxDiff(out.proj_tokens, G("out.proj_tokens")), 1e-4);
  const int64_t layers = out.pred_logits.size(0);
  for (int64_t i = 0; i + 1 < layers; ++i) {
    const std::string p = "aux." + std::to_string(i) + ".";
    EXPECT_LE(MaxAbsDiff(out.pred_logits[i], G(p + "pred_logits")), 1e-4) << p;
    EXPECT_LE(MaxAbsDiff(out.pred_boxes[i], G(p + "pred_boxes")), 1e-4) << p;
    EXPECT_LE(RelativeMaxDiff(out.proj_queries[i], G(p + "proj_queries")), 1e-4) << p;
  }
}

TEST_F(TinyParityTest, WrongWeightsAreDetected) {
  // The comparison must be able to fail: perturb one decoder weight and the logits move.
  torch::NoGradGuard no_grad;
  for (auto& p : model_->named_parameters()) {
    if (p.key() == "class_embed.bias") p.value().add_(0.01);
  }
  auto out = model_->forward({G("input.images"), G("input.mask")}, {G("input.input_ids"), G("input.attention_mask")});
  EXPECT_GT(MaxAbsDiff(out.logits(), G("out.pred_logits")), 5e-3);
}

}  // namespace
}  // namespace mdetr::model
