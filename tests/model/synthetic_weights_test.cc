// The synthetic weights that both sides of the parity tests fill their models with: the scrambled
// pattern must give full-rank matrices at the sine pattern's scale, and the same values as the
// Python twin in tools/parity/model/make_goldens.py (figures printed by that twin).
#include <gtest/gtest.h>

#include "model/nn/synthetic_weights.h"

namespace mdetr::model {
namespace {

const char* const kName = "transformer.decoder.layers.0.linear1.weight";

double ThirdOverFirstSingularValue(const torch::Tensor& m) {
  const auto s = torch::linalg_svdvals(m.to(torch::kFloat64));
  return (s[2] / s[0]).item<double>();
}

TEST(SyntheticWeightsTest, SineMatricesHaveRankTwoAndScrambledOnesFullRank) {
  const auto sine = SyntheticTensor(kName, {40, 64}, SyntheticPattern::kSine);
  const auto scrambled = SyntheticTensor(kName, {40, 64}, SyntheticPattern::kScrambled);
  EXPECT_LT(ThirdOverFirstSingularValue(sine), 1e-6);
  EXPECT_GT(ThirdOverFirstSingularValue(scrambled), 0.5);
  const auto s = torch::linalg_svdvals(scrambled.to(torch::kFloat64));
  EXPECT_GT(s[39].item<double>(), 1e-3) << "the smallest singular value";
}

TEST(SyntheticWeightsTest, ScrambledValuesKeepTheScaleAndMatchThePythonTwin) {
  const auto scrambled = SyntheticTensor(kName, {40, 64}, SyntheticPattern::kScrambled);
  const auto sine = SyntheticTensor(kName, {40, 64}, SyntheticPattern::kSine);
  EXPECT_NEAR(scrambled.std().item<double>(), sine.std().item<double>(), 0.1 * sine.std().item<double>());
  EXPECT_FLOAT_EQ(scrambled[0][0].item<float>(), 0.09725195169448853f);
  EXPECT_FLOAT_EQ(scrambled[3][17].item<float>(), 0.08745484054088593f);
  EXPECT_FLOAT_EQ(scrambled[39][63].item<float>(), 0.10033994913101196f);
  const auto var = SyntheticTensor("backbone.0.body.bn1.running_var", {64}, SyntheticPattern::kScrambled);
  EXPECT_GT(var.min().item<double>(), 0.7);
}

}  // namespace
}  // namespace mdetr::model
