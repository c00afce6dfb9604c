#include "common/ids.h"

#include <gtest/gtest.h>

#include <set>

namespace mdetr {
namespace {

TEST(IdsTest, NewIdHasPrefixDateAndIsUnique) {
  FakeClock clock(1'764'028'800'000);  // 2025-11-25T00:00:00Z
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    const std::string id = NewId("job", clock);
    EXPECT_EQ(id.rfind("job-20251125-", 0), 0u) << id;
    EXPECT_TRUE(IsValidId(id)) << id;
    seen.insert(id);
  }
  EXPECT_GT(seen.size(), 990u);  // 24 random bits: collisions in 1000 draws are rare
}

TEST(IdsTest, StableIdDependsOnlyOnContent) {
  EXPECT_EQ(StableId("trial", "lr=1e-4,seed=1"), StableId("trial", "lr=1e-4,seed=1"));
  EXPECT_NE(StableId("trial", "lr=1e-4,seed=1"), StableId("trial", "lr=1e-4,seed=2"));
  // Pinned: stored ids must not change between releases.
  EXPECT_EQ(StableHash64(""), 0xcbf29ce484222325ULL);
  EXPECT_EQ(StableHash64("a"), 0xaf63dc4c8601ec8cULL);
  EXPECT_TRUE(IsValidId(StableId("trial", "x")));
}

TEST(IdsTest, RejectsIdsUnsafeForFilesAndUrls) {
  EXPECT_FALSE(IsValidId(""));
  EXPECT_FALSE(IsValidId("ab"));
  EXPECT_FALSE(IsValidId("Job-1"));
  EXPECT_FALSE(IsValidId("job/../../etc"));
  EXPECT_FALSE(IsValidId("1job"));
  EXPECT_FALSE(IsValidId(std::string(65, 'a')));
  EXPECT_TRUE(IsValidId("worker-3"));
}

}  // namespace
}  // namespace mdetr
