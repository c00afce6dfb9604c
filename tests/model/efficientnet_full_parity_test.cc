// Full-size MDETR on EfficientNet-B3/B5 (RoBERTa-base, 6+6 layers, 800 px images) against the
// reference (slow). Runs when the goldens are in the parity cache, made with
//   .venv/bin/python tools/parity/model/make_goldens.py --reference REF --config b5 \
//       --out ~/.cache/mdetr-cluster/parity/b5_goldens.pt          (or --config b3, b3_goldens.pt)
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "common/config/experiment.h"
#include "model/nn/mdetr.h"
#include "model/nn/synthetic_weights.h"
#include "tests/model/golden_file.h"

namespace mdetr::model {
namespace {

using testing::MaxAbsDiff;
using testing::RelativeMaxDiff;

std::string ShapeOf(const torch::Tensor& t) {
  std::ostringstream s;
  s << t.sizes();
  return s.str();
}

class EfficientNetFullParityTest : public ::testing::TestWithParam<const char*> {};

TEST_P(EfficientNetFullParityTest, MatchesTheReference) {
  const std::string tag = GetParam();
  const char* home = std::getenv("HOME");
  const char* cache = std::getenv("MDETR_PARITY_CACHE");
  const std::string dir = cache ? cache : std::string(home ? home : "/root") + "/.cache/mdetr-cluster/parity";
  const std::string path = dir + "/" + tag + "_goldens.pt";
  if (!std::ifstream(path)) {
    GTEST_SKIP() << "no goldens at " << path << " (see tools/parity/model/make_goldens.py)";
  }
  auto g = testing::LoadGoldens(path);
  auto cfg = config::LoadExperiment("configs/models/effnet_" + tag + ".yaml");
  ASSERT_TRUE(cfg.ok()) << cfg.status();
  Mdetr model(cfg->model);
  FillSyntheticWeights(*model);
  model->eval();
  torch::NoGradGuard no_grad;
  auto cache_out = model->Encode({g.at("input.images"), g.at("input.mask")},
                                 {g.at("input.input_ids"), g.at("input.attention_mask")});
  const auto& top = model->last_backbone_output().features.back();
  const double features_diff = RelativeMaxDiff(top.tensors, g.at("backbone.features"));
  EXPECT_TRUE(top.mask.equal(g.at("backbone.mask")));
  EXPECT_LE(features_diff, 1e-4);
  EXPECT_LE(RelativeMaxDiff(cache_out.img_memory, g.at("cache.img_memory")), 1e-4);
  auto out = model->Decode(cache_out);
  const double logits_diff = MaxAbsDiff(out.logits(), g.at("out.pred_logits"));
  const double boxes_diff = MaxAbsDiff(out.boxes(), g.at("out.pred_boxes"));
  std::printf("%s full size, images %s: features rel diff %.3g, max |diff| logits %.3g, boxes %.3g\n",
              tag.c_str(), ShapeOf(g.at("input.images")).c_str(), features_diff, logits_diff, boxes_diff);
  EXPECT_LE(logits_diff, 1e-4);
  EXPECT_LE(boxes_diff, 1e-4);
}

INSTANTIATE_TEST_SUITE_P(Released, EfficientNetFullParityTest, ::testing::Values("b3", "b5"));

}  // namespace
}  // namespace mdetr::model
