#include "model/objective/box_ops.h"

#include <gtest/gtest.h>

namespace mdetr::objective {
namespace {

TEST(BoxOpsTest, ConversionsRoundTrip) {
  auto b = torch::tensor({{0.5f, 0.5f, 0.2f, 0.4f}, {0.1f, 0.2f, 0.1f, 0.1f}});
  auto xyxy = BoxCxcywhToXyxy(b);
  EXPECT_TRUE(xyxy[0].allclose(torch::tensor({0.4f, 0.3f, 0.6f, 0.7f})));
  EXPECT_TRUE(BoxXyxyToCxcywh(xyxy).allclose(b));
}

TEST(BoxOpsTest, GiouOfKnownBoxes) {
  auto a = torch::tensor({{0.f, 0.f, 2.f, 2.f}});
  auto b = torch::tensor({{1.f, 1.f, 3.f, 3.f}, {0.f, 0.f, 2.f, 2.f}, {4.f, 0.f, 5.f, 1.f}});
  auto giou = GeneralizedBoxIou(a, b);
  // Overlap 1, union 7, hull 9: 1/7 - 2/9. Identical: 1. Disjoint: 0 - (10 - 5) / 10.
  EXPECT_NEAR(giou[0][0].item<float>(), 1.0 / 7 - 2.0 / 9, 1e-6);
  EXPECT_NEAR(giou[0][1].item<float>(), 1.0, 1e-6);
  EXPECT_NEAR(giou[0][2].item<float>(), -0.5, 1e-6);
}

}  // namespace
}  // namespace mdetr::objective
