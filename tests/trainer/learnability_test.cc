// What a small MDETR learns of the synthetic grounding data on a CPU: the tiny model, from random
// weights, trained on the refexp-style captions (configs/tasks/synthetic_refexp_tiny.yaml). In the
// recipe's 4 epochs it learns to box the shapes of held-out pictures and to pick the referred one
// well above the untrained model; learnability_slow_test.cc trains longer.
#include <gtest/gtest.h>

#include "tests/trainer/learnability_run.h"

namespace mdetr::testing {
namespace {

TEST(LearnabilityTest, TinyModelLearnsToBoxAndPickTheShapesWithinMinutes) {
  const Figures f = TrainAndEvaluate("learn", {});
  EXPECT_GE(f.boxed_after, kMinBoxed);
  EXPECT_GE(f.boxed_after, kMinBoxedGain * f.boxed_before);
  EXPECT_GE(f.p1_after, kMinPrecisionAt1);
}

}  // namespace
}  // namespace mdetr::testing
