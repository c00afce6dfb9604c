// run.deterministic: on a GPU device it switches cuDNN and cuBLAS to deterministic algorithms; on
// the CPU it leaves everything as it is.
#include "worker/trainer/determinism.h"

#include <ATen/Context.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

namespace mdetr::trainer {
namespace {

struct Flags {
  bool cudnn_deterministic, cudnn_benchmark, algorithms, warn_only;
  static Flags Now() {
    auto& c = at::globalContext();
    return {c.deterministicCuDNN(), c.benchmarkCuDNN(), c.deterministicAlgorithms(),
            c.deterministicAlgorithmsWarnOnly()};
  }
};

class DeterminismTest : public ::testing::Test {
 protected:
  void SetUp() override {
    saved_ = Flags::Now();
    unsetenv("CUBLAS_WORKSPACE_CONFIG");
  }
  void TearDown() override {
    auto& c = at::globalContext();
    c.setDeterministicCuDNN(saved_.cudnn_deterministic);
    c.setBenchmarkCuDNN(saved_.cudnn_benchmark);
    c.setDeterministicAlgorithms(saved_.algorithms, saved_.warn_only);
    unsetenv("CUBLAS_WORKSPACE_CONFIG");
  }
  Flags saved_{};
};

TEST_F(DeterminismTest, OnAGpuCudnnAndCublasAreAskedForDeterministicAlgorithms) {
  at::globalContext().setBenchmarkCuDNN(true);  // as a user's earlier setting might have left it
  ApplyDeterminism(torch::Device(torch::kCUDA, 0), true);
  const auto f = Flags::Now();
  EXPECT_TRUE(f.cudnn_deterministic);
  EXPECT_FALSE(f.cudnn_benchmark) << "autotuning picks algorithms by timing, run to run";
  EXPECT_FALSE(f.algorithms) << "LibTorch's deterministic mode would flag the mask loss's backward on every call";
  ASSERT_NE(std::getenv("CUBLAS_WORKSPACE_CONFIG"), nullptr);
  EXPECT_EQ(std::string(std::getenv("CUBLAS_WORKSPACE_CONFIG")), ":4096:8");
}

TEST_F(DeterminismTest, TheUsersCublasSettingIsKept) {
  setenv("CUBLAS_WORKSPACE_CONFIG", ":16:8", 1);
  ApplyDeterminism(torch::Device(torch::kCUDA, 0), true);
  EXPECT_EQ(std::string(std::getenv("CUBLAS_WORKSPACE_CONFIG")), ":16:8");
}

TEST_F(DeterminismTest, OffOnAGpuLeavesCudnnFreeToChoose) {
  at::globalContext().setDeterministicCuDNN(true);
  ApplyDeterminism(torch::Device(torch::kCUDA, 0), false);
  const auto f = Flags::Now();
  EXPECT_FALSE(f.cudnn_deterministic);
  EXPECT_EQ(std::getenv("CUBLAS_WORKSPACE_CONFIG"), nullptr);
}

TEST_F(DeterminismTest, TheCpuIsLeftAsItIs) {
  const auto before = Flags::Now();
  ApplyDeterminism(torch::Device(torch::kCPU), true);
  const auto after = Flags::Now();
  EXPECT_EQ(after.cudnn_deterministic, before.cudnn_deterministic);
  EXPECT_EQ(after.cudnn_benchmark, before.cudnn_benchmark);
  EXPECT_EQ(std::getenv("CUBLAS_WORKSPACE_CONFIG"), nullptr);
}

}  // namespace
}  // namespace mdetr::trainer
