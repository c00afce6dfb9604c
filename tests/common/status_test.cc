#include "common/status.h"

#include <gtest/gtest.h>

namespace mdetr {
namespace {

Result<int> ParsePositive(int v) {
  if (v <= 0) return InvalidArgumentError("value must be positive, got " + std::to_string(v));
  return v;
}

Result<int> Doubled(int v) {
  MDETR_ASSIGN_OR_RETURN(int x, ParsePositive(v));
  return 2 * x;
}

Status CheckBoth(int a, int b) {
  MDETR_RETURN_IF_ERROR(ParsePositive(a).status());
  MDETR_RETURN_IF_ERROR(ParsePositive(b).status().WithContext("second"));
  return Status::Ok();
}

TEST(StatusTest, OkIsCheapAndPrintsOk) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kOk);
  EXPECT_EQ(s.ToString(), "OK");
  EXPECT_EQ(s.message(), "");
}

TEST(StatusTest, ActionsFollowWhatTheCallerShouldDo) {
  EXPECT_EQ(InvalidArgumentError("x").action(), Action::kFixInput);
  EXPECT_EQ(NotFoundError("x").action(), Action::kFixInput);
  EXPECT_TRUE(UnavailableError("x").retryable());
  EXPECT_TRUE(DeadlineExceededError("x").retryable());
  EXPECT_TRUE(AbortedError("x").retryable());
  EXPECT_EQ(DataLossError("x").action(), Action::kGiveUp);
  EXPECT_EQ(InternalError("x").action(), Action::kGiveUp);
  EXPECT_FALSE(InternalError("x").retryable());
}

TEST(StatusTest, ContextPrefixesMessageAndKeepsCode) {
  Status s = NotFoundError("no such file").WithContext("loading ckpt.pth");
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_EQ(s.ToString(), "NOT_FOUND: loading ckpt.pth: no such file");
  EXPECT_TRUE(Status().WithContext("ignored").ok());
}

TEST(ResultTest, CarriesValueOrStatus) {
  EXPECT_EQ(Doubled(4).value(), 8);
  Result<int> bad = Doubled(-1);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.status().message(), "value must be positive, got -1");
  EXPECT_EQ(bad.value_or(7), 7);
}

TEST(ResultTest, ReturnIfErrorPropagatesFirstFailureWithContext) {
  EXPECT_TRUE(CheckBoth(1, 2).ok());
  EXPECT_EQ(CheckBoth(-1, 2).message(), "value must be positive, got -1");
  EXPECT_EQ(CheckBoth(1, -2).message(), "second: value must be positive, got -2");
}

TEST(ResultTest, OkStatusWithoutValueBecomesInternalError) {
  Result<int> r = Status::Ok();
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInternal);
}

TEST(ResultDeathTest, ValueOfErrorAborts) {
  Result<int> r = InvalidArgumentError("boom");
  EXPECT_DEATH((void)r.value(), "value\\(\\) called on a failed Result: INVALID_ARGUMENT: boom");
}

}  // namespace
}  // namespace mdetr
