// The slow scenario of learnability_test.cc: 16 epochs of the synthetic refexp recipe, after which
// the model's pick among the shapes it boxes follows the caption, not a guess between them.
#include <gtest/gtest.h>

#include "tests/trainer/learnability_run.h"

namespace mdetr::testing {
namespace {

TEST(LearnabilitySlowTest, LongerTrainingGroundsTheCaption) {
  const Figures f = TrainAndEvaluate("learn-long", {"optim.epochs=16", "run.eval_every_epochs=16"});
  EXPECT_GE(f.p1_after, kLongMinPrecisionAt1);
  ASSERT_GT(f.boxed_after, 0.0);
  EXPECT_GE(f.p1_after / f.boxed_after, kLongMinGroundedShare)
      << "precision@1 is no more than a guess between the boxed shapes";
}

}  // namespace
}  // namespace mdetr::testing
