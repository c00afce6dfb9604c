// The `mdetr` front end as a user runs it.
#include <gtest/gtest.h>

#include <fstream>

#include "tests/support/subprocess.h"
#include "tests/support/test_paths.h"

namespace mdetr::testing {
namespace {

std::string Mdetr() { return BuildDir() + "/bin/mdetr"; }

TEST(CliTest, ConfigCheckAcceptsShippedRecipe) {
  const auto r = RunCommand(Mdetr() + " config check configs/tasks/synthetic_tiny.yaml");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("ok (resnet18, custom, finetune)"), std::string::npos) << r.output;
}

TEST(CliTest, ConfigCheckReportsFileLineKeyAndExpectedType) {
  const std::string dir = MakeTempDir("cli");
  const std::string path = dir + "/bad.yaml";
  std::ofstream(path) << "extends: " << SourceDir() << "/configs/models/tiny_cpu.yaml\n"
                      << "optim:\n  epochs: four\n  lrr: 0.1\n";
  const auto r = RunCommand(Mdetr() + " config check " + path);
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find(path + ":3:11: optim.epochs: expected integer, got 'four'"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find(path + ":4:3: optim.lrr: unknown key (did you mean 'lr'?)"), std::string::npos) << r.output;
}

TEST(CliTest, ConfigCheckJsonAndOverrides) {
  const auto r = RunCommand(Mdetr() + " config check configs/tasks/synthetic_tiny.yaml --set model.nheads=3 --json");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("\"ok\": false"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("--set model.nheads=3: model.nheads: hidden_dim must be a positive multiple of nheads"),
            std::string::npos)
      << r.output;
}

TEST(CliTest, UnknownCommandIsAOneLineError) {
  const auto r = RunCommand(Mdetr() + " frobnicate");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("frobnicate"), std::string::npos) << r.output;
}

TEST(CliTest, MlCommandsRunInMdetrMl) {
  const auto r = RunCommand(Mdetr() + " info");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("LibTorch 2."), std::string::npos) << r.output;
}

}  // namespace
}  // namespace mdetr::testing
