// Sweep files as users write them: a random search space read into the coordinator's request, and
// every mistake reported with the file, line, key path and what was expected.
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "cli/sweep_file.h"
#include "tests/support/test_paths.h"

namespace mdetr::cli {
namespace {

class SweepFileTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = testing::MakeTempDir("sweep_file"); }

  // A sweep file over the tiny synthetic task with `body` after name/base.
  std::string Write(const std::string& body) {
    const std::string path = dir_ + "/sweep.yaml";
    std::ofstream(path) << "name: search\nbase: " << testing::SourceDir() << "/configs/tasks/synthetic_tiny.yaml\n"
                        << body;
    return path;
  }
  std::string ErrorOf(const std::string& body) {
    auto req = ReadSweepFile(Write(body));
    return req.ok() ? "no error" : req.status().message();
  }

  std::string dir_;
};

constexpr const char* kSpace =
    "random:\n"
    "  samples: 8\n"
    "  seed: 17\n"
    "  space:\n"
    "    optim.lr: {log_uniform: [1.0e-5, 1.0e-3]}\n"
    "    optim.weight_decay: {uniform: [0.0, 0.1]}\n"
    "    model.num_queries: {choice: [50, 100]}\n"
    "    run.seed: {int_uniform: [0, 1000]}\n";

TEST_F(SweepFileTest, ReadsARandomSpaceAndItsTrialsPassTheExperimentSchema) {
  auto req = ReadSweepFile(Write(std::string("set: [optim.epochs=1]\n") + kSpace + "max_concurrent: 2\n"));
  ASSERT_TRUE(req.ok()) << req.status();
  EXPECT_EQ(req->search, "random");
  EXPECT_EQ(req->random_samples, 8);
  EXPECT_EQ(req->random_seed, 17u);
  EXPECT_EQ(req->max_concurrent, 2);
  ASSERT_EQ(req->random_space.size(), 4u);
  EXPECT_EQ(req->random_space[0], (wire::RandomParam{"optim.lr", "log_uniform", 1e-5, 1e-3, {}}));
  EXPECT_EQ(req->random_space[2], (wire::RandomParam{"model.num_queries", "choice", 0, 0, {"50", "100"}}));
  EXPECT_NE(req->config_yaml.find("synthetic-tiny"), std::string::npos);  // the base config, loaded
  auto plan = coordinator::PlanSweep(*req);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->trials.size(), 8u);
  EXPECT_TRUE(CheckTrialConfigs(*req, *plan).ok()) << CheckTrialConfigs(*req, *plan);
}

TEST_F(SweepFileTest, GridAndRandomTogetherAreCrossed) {
  auto req = ReadSweepFile(Write(std::string("grid:\n  optim.epochs: [1, 2]\n") + kSpace));
  ASSERT_TRUE(req.ok()) << req.status();
  EXPECT_EQ(req->search, "grid+random");
  auto plan = coordinator::PlanSweep(*req);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->trials.size(), 16u);
}

TEST_F(SweepFileTest, InvertedBoundsNameTheFileLineAndKey) {
  const std::string err = ErrorOf("random:\n  samples: 4\n  space:\n    optim.lr: {uniform: [0.1, 0.001]}\n");
  EXPECT_NE(err.find("sweep.yaml:6:16: random.space.optim.lr: uniform: expected low < high, got [0.1, 0.001] (bounds "
                     "inverted)"),
            std::string::npos)
      << err;
}

TEST_F(SweepFileTest, EveryInvalidSpaceIsReportedAtOnce) {
  const std::string err = ErrorOf(
      "random:\n"
      "  samples: 0\n"
      "  space:\n"
      "    optim.lr: {log_uniform: [0, 1.0e-3]}\n"
      "    model.num_queries: {choice: []}\n"
      "    optim.weight_decay: {gaussian: [0, 1]}\n"
      "    run.seed: {int_uniform: [0.5, 10]}\n"
      "    optim.epochs: 3\n");
  EXPECT_NE(err.find("sweep.yaml:4:12: random.samples: expected at least 1, got 0"), std::string::npos) << err;
  EXPECT_NE(err.find("sweep.yaml:6:16: random.space.optim.lr: log_uniform: expected bounds > 0"), std::string::npos)
      << err;
  EXPECT_NE(err.find("random.space.model.num_queries: choice: expected a non-empty list of values"),
            std::string::npos)
      << err;
  EXPECT_NE(err.find("random.space.optim.weight_decay: unknown distribution 'gaussian'; expected one of uniform, "
                     "log_uniform, int_uniform, choice"),
            std::string::npos)
      << err;
  EXPECT_NE(err.find("random.space.run.seed: int_uniform: expected integer bounds"), std::string::npos) << err;
  EXPECT_NE(err.find("sweep.yaml:10:19: random.space.optim.epochs: expected one distribution"), std::string::npos)
      << err;
}

TEST_F(SweepFileTest, RefusesOversizedSweepsAndKeysSweptTwice) {
  std::string err = ErrorOf("grid:\n  optim.epochs: [1, 2, 3]\nrandom:\n  samples: 4000\n  space:\n"
                            "    optim.lr: {log_uniform: [1.0e-5, 1.0e-3]}\n");
  EXPECT_NE(err.find("sweep.yaml:6:12: random.samples: the sweep would have 12000 trials (3 grid points x 4000 "
                     "samples); at most 10000 per sweep"),
            std::string::npos)
      << err;
  err = ErrorOf("random:\n  samples: 20000\n  space:\n    optim.lr: {uniform: [0, 1]}\n");
  EXPECT_NE(err.find("random.samples: expected at most 10000 trials, got 20000"), std::string::npos) << err;
  err = ErrorOf("grid:\n  optim.lr: [0.1]\nrandom:\n  samples: 2\n  space:\n    optim.lr: {uniform: [0, 1]}\n");
  EXPECT_NE(err.find("random.space.optim.lr: the key is swept twice"), std::string::npos) << err;
  err = ErrorOf("random:\n  samples: 2\n  seed: -4\n  speace: {}\n");
  EXPECT_NE(err.find("random.seed: expected a non-negative integer"), std::string::npos) << err;
  EXPECT_NE(err.find("random.speace: unknown key"), std::string::npos) << err;
  EXPECT_NE(err.find("random.space: missing"), std::string::npos) << err;
  EXPECT_NE(ErrorOf("max_concurrent: 2\n").find("a sweep needs a grid"), std::string::npos);
}

TEST_F(SweepFileTest, AValueTheSchemaRejectsNamesTheTrial) {
  auto req = ReadSweepFile(Write("random:\n  samples: 3\n  space:\n    model.num_queries: {choice: [many]}\n"));
  ASSERT_TRUE(req.ok()) << req.status();
  auto plan = coordinator::PlanSweep(*req);
  ASSERT_TRUE(plan.ok());
  const Status s = CheckTrialConfigs(*req, *plan);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("trial " + plan->trials[0].id + " (model.num_queries=many)"), std::string::npos)
      << s.message();
  EXPECT_NE(s.message().find("model.num_queries"), std::string::npos);
}

}  // namespace
}  // namespace mdetr::cli
