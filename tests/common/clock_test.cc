#include "common/clock.h"

#include <gtest/gtest.h>

#include <thread>

namespace mdetr {
namespace {

TEST(ClockTest, FakeClockMovesOnlyWhenAdvanced) {
  FakeClock clock(1000);
  const MonoTime t0 = clock.Now();
  EXPECT_EQ(clock.Now(), t0);
  clock.Advance(std::chrono::milliseconds(1500));
  EXPECT_EQ(clock.Now() - t0, std::chrono::milliseconds(1500));
  EXPECT_EQ(clock.WallMillis(), 2500);
}

TEST(ClockTest, SystemClockIsMonotonicAndNearWallTime) {
  const auto& clock = SystemClock::Instance();
  const MonoTime a = clock.Now();
  std::this_thread::sleep_for(std::chrono::milliseconds(2));
  EXPECT_GE(clock.Now() - a, std::chrono::milliseconds(2));
  EXPECT_GT(clock.WallMillis(), 1'700'000'000'000);  // after Nov 2023
}

}  // namespace
}  // namespace mdetr
