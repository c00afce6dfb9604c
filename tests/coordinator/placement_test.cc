#include "coordinator/scheduler/placement.h"

#include <gtest/gtest.h>

namespace mdetr::scheduler {
namespace {

TEST(UnitsPerNodeOptionsTest, WholeGangFirstThenEvenSplitsOfWholeRanks) {
  EXPECT_EQ(UnitsPerNodeOptions(16, 1), (std::vector<int>{16, 8, 4, 2, 1}));
  EXPECT_EQ(UnitsPerNodeOptions(4, 4), (std::vector<int>{16, 8, 4}));
  EXPECT_EQ(UnitsPerNodeOptions(2, 8), (std::vector<int>{16, 8}));
  // 3 ranks cannot split evenly into 2 nodes: only 1 or 3 nodes.
  EXPECT_EQ(UnitsPerNodeOptions(3, 2), (std::vector<int>{6, 2}));
  EXPECT_EQ(UnitsPerNodeOptions(1, 5), (std::vector<int>{5}));
}

TEST(GangFitterTest, PacksOnTheTightestNodeThatFits) {
  GangFitter fitter;
  std::vector<NodeShare> out;
  const std::vector<int> avail = {8, 3, 5, 4};
  ASSERT_TRUE(fitter.Fit(UnitsPerNodeOptions(4, 1), 4, {0, 1, 2, 3}, avail, &out));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].node, 3);  // 4 free: best fit, the 8-GPU node stays whole
  EXPECT_EQ(out[0].units, 4);
}

TEST(GangFitterTest, SpreadsEvenlyNeverUnevenly) {
  GangFitter fitter;
  std::vector<NodeShare> out;
  // 16 GPUs with 8+4+4 free: an uneven split is the only way to place it now, so it must wait.
  EXPECT_FALSE(fitter.Fit(UnitsPerNodeOptions(16, 1), 16, {0, 1, 2}, {8, 4, 4}, &out));
  // With 4 nodes of 4 it goes 4x4.
  ASSERT_TRUE(fitter.Fit(UnitsPerNodeOptions(16, 1), 16, {0, 1, 2, 3, 4}, {8, 4, 4, 4, 4}, &out));
  EXPECT_EQ(out.size(), 4u);
  for (const NodeShare& s : out) EXPECT_EQ(s.units, 4);
  // Ranks of 8 GPUs cannot be split: 2 ranks x 8 need two nodes with 8.
  EXPECT_FALSE(fitter.Fit(UnitsPerNodeOptions(2, 8), 16, {0, 1, 2, 3, 4}, {8, 4, 4, 4, 4}, &out));
}

TEST(GangFitterTest, ReservesWhereMostIsFreeAndOnlyWithinRoom) {
  GangFitter fitter;
  std::vector<NodeShare> out;
  // Room 8 everywhere; node 2 has most free now, then node 0.
  ASSERT_TRUE(fitter.Reserve(UnitsPerNodeOptions(2, 8), 16, {0, 1, 2}, {8, 8, 8}, {3, 1, 6}, &out));
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].node, 2);
  EXPECT_EQ(out[1].node, 0);
  // Room already promised to others: no reservation possible.
  EXPECT_FALSE(fitter.Reserve(UnitsPerNodeOptions(2, 8), 16, {0, 1, 2}, {8, 7, 7}, {8, 8, 8}, &out));
}

TEST(GangFitterTest, EverFitsLooksAtCapacity) {
  GangFitter fitter;
  EXPECT_TRUE(fitter.EverFits(UnitsPerNodeOptions(4, 8), 32, {0, 1, 2, 3}, {8, 8, 8, 8}));
  EXPECT_FALSE(fitter.EverFits(UnitsPerNodeOptions(5, 8), 40, {0, 1, 2, 3}, {8, 8, 8, 8}));
  EXPECT_FALSE(fitter.EverFits(UnitsPerNodeOptions(1, 16), 16, {0, 1}, {8, 8}));
}

}  // namespace
}  // namespace mdetr::scheduler
