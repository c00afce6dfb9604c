// Learning-rate schedules of the reference's util/optim.py.
#include <gtest/gtest.h>

#include "model/objective/optim_recipe.h"

namespace mdetr::objective {
namespace {

TEST(ScheduleTest, LinearWithWarmupRampsTheTextEncoderOnly) {
  config::OptimConfig c;
  c.schedule = "linear_with_warmup";
  c.fraction_warmup_steps = 0.1;
  c.lr_drop = 2;
  EXPECT_DOUBLE_EQ(ScheduleFactors(c, 0, 0, 100).text_encoder_gamma, 0.0);
  EXPECT_DOUBLE_EQ(ScheduleFactors(c, 0, 5, 100).text_encoder_gamma, 0.5);
  EXPECT_DOUBLE_EQ(ScheduleFactors(c, 0, 10, 100).text_encoder_gamma, 1.0);
  EXPECT_DOUBLE_EQ(ScheduleFactors(c, 0, 55, 100).text_encoder_gamma, 0.5);
  EXPECT_DOUBLE_EQ(ScheduleFactors(c, 0, 55, 100).gamma, 1.0);
  EXPECT_DOUBLE_EQ(ScheduleFactors(c, 2, 55, 100).gamma, 0.1);  // lr_drop epochs later
}

TEST(ScheduleTest, StepMultistepAndAllLinear) {
  config::OptimConfig c;
  c.schedule = "step";
  c.lr_drop = 35;
  EXPECT_DOUBLE_EQ(ScheduleFactors(c, 34, 0, 10).gamma, 1.0);
  EXPECT_NEAR(ScheduleFactors(c, 35, 0, 10).text_encoder_gamma, 0.1, 1e-15);
  c.schedule = "multistep";
  c.epochs = 200;
  EXPECT_DOUBLE_EQ(ScheduleFactors(c, 34, 0, 10).gamma, 1.0);
  EXPECT_DOUBLE_EQ(ScheduleFactors(c, 35, 0, 10).gamma, 0.5);
  EXPECT_DOUBLE_EQ(ScheduleFactors(c, 85, 0, 10).gamma, 0.25);
  c.schedule = "all_linear_with_warmup";
  c.fraction_warmup_steps = 0.0;
  EXPECT_DOUBLE_EQ(ScheduleFactors(c, 0, 25, 100).gamma, 0.75);
}

}  // namespace
}  // namespace mdetr::objective
