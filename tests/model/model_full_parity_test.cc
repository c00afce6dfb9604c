// Full-size parity of the C++ MDETR against the reference (slow: about a minute on 2 cores).
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "model/nn/mdetr.h"
#include "model/nn/synthetic_weights.h"
#include "tests/model/golden_file.h"

namespace mdetr::model {
namespace {

using testing::MaxAbsDiff;
using testing::RelativeMaxDiff;

// Full-size ResNet-101 + RoBERTa-base model at 800 px (slow): runs when the goldens are in the parity
// cache, made with
//   .venv/bin/python tools/parity/model/make_goldens.py --reference REF --config r101 \
//       --out ~/.cache/mdetr-cluster/parity/r101_goldens.pt
TEST(FullSizeParityTest, ResNet101MatchesTheReference) {
  const char* home = std::getenv("HOME");
  const char* cache = std::getenv("MDETR_PARITY_CACHE");
  const std::string dir = cache ? cache : std::string(home ? home : "/root") + "/.cache/mdetr-cluster/parity";
  const std::string path = dir + "/r101_goldens.pt";
  if (!std::ifstream(path)) GTEST_SKIP() << "no goldens at " << path << " (see tools/parity/model/make_goldens.py)";
  auto g = testing::LoadGoldens(path);
  config::ModelConfig cfg;  // the reference defaults: R101, RoBERTa-base, 6+6 layers, 100 queries
  Mdetr model(cfg);
  FillSyntheticWeights(*model);
  model->eval();
  torch::NoGradGuard no_grad;
  auto cache_out = model->Encode({g.at("input.images"), g.at("input.mask")},
                                 {g.at("input.input_ids"), g.at("input.attention_mask")});
  EXPECT_LE(RelativeMaxDiff(model->last_backbone_output().features.back().tensors, g.at("backbone.features")), 1e-4);
  EXPECT_LE(RelativeMaxDiff(cache_out.text_hidden, g.at("text.hidden")), 1e-4);
  EXPECT_LE(RelativeMaxDiff(cache_out.img_memory, g.at("cache.img_memory")), 1e-4);
  auto out = model->Decode(cache_out);
  const double logits_diff = MaxAbsDiff(out.logits(), g.at("out.pred_logits"));
  const double boxes_diff = MaxAbsDiff(out.boxes(), g.at("out.pred_boxes"));
  std::printf("R101 full size: max |diff| logits %.3g, boxes %.3g\n", logits_diff, boxes_diff);
  EXPECT_LE(logits_diff, 1e-4);
  EXPECT_LE(boxes_diff, 1e-4);
  EXPECT_LE(RelativeMaxDiff(out.proj_tokens, g.at("out.proj_tokens")), 1e-4);
}

}  // namespace
}  // namespace mdetr::model
