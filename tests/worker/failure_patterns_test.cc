// Node failures recognised from a rank's output, so that they are retried elsewhere without
// spending the user's retry budget; ordinary errors stay the user's.
#include <gtest/gtest.h>

#include <fstream>

#include "tests/support/test_paths.h"
#include "worker/daemon/failure_patterns.h"

namespace mdetr::worker {
namespace {

TEST(FailurePatternsTest, NodeFailuresAreRecognised) {
  const auto nccl = FindInfrastructureFailure(
      "step 120 loss 3.2\nterminate called after throwing an instance of 'c10::DistBackendError'\n"
      "  what():  NCCL error in: ProcessGroupNCCL.cpp:1970, unhandled system error, NCCL version 2.28.9\n");
  ASSERT_TRUE(nccl.has_value());
  EXPECT_EQ(nccl->pattern, "NCCL error");
  EXPECT_TRUE(FindInfrastructureFailure("OSError: [Errno 28] No space left on device: 'checkpoints/tmp'").has_value());
  EXPECT_TRUE(FindInfrastructureFailure("RuntimeError: CUDA error: uncorrectable ECC error encountered").has_value());
}

TEST(FailurePatternsTest, UserErrorsAreNot) {
  EXPECT_FALSE(FindInfrastructureFailure("configs/x.yaml:3:5: optim.lr: expected a number, got 'fast'").has_value());
  EXPECT_FALSE(FindInfrastructureFailure("loss is nan at step 12").has_value());
  EXPECT_FALSE(FindInfrastructureFailure("").has_value());
}

TEST(FailurePatternsTest, OnlyTheEndOfALongLogIsRead) {
  const std::string path = testing::MakeTempDir("tail") + "/rank0.log";
  {
    std::ofstream out(path);
    out << "NCCL error long ago, recovered\n" << std::string(100000, 'x') << "\nthe end\n";
  }
  const std::string tail = ReadTail(path, 4096);
  EXPECT_EQ(tail.size(), 4096u);
  EXPECT_EQ(tail.substr(tail.size() - 8), "the end\n");
  EXPECT_FALSE(FindInfrastructureFailure(tail).has_value());
  EXPECT_EQ(ReadTail(path + ".missing"), "");
}

}  // namespace
}  // namespace mdetr::worker
