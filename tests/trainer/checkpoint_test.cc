#include "worker/trainer/checkpoint.h"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>

#include "tests/support/test_paths.h"

namespace mdetr::trainer {
namespace {

TrainingState MakeState(int64_t step) {
  TrainingState s;
  s.at = {step, 1, 3};
  s.model["w"] = torch::full({4, 4}, static_cast<float>(step));
  s.ema["w"] = torch::full({4, 4}, 0.5f);
  s.optimizer = "opaque-optimizer-bytes";
  s.rank_rng_states = at::detail::getDefaultCPUGenerator().get_state().unsqueeze(0);
  s.config_yaml = "run: {seed: 1}";
  s.metrics = {{"R@1", 0.25}};
  return s;
}

TEST(CheckpointTest, RoundTripsEveryField) {
  const std::string dir = testing::MakeTempDir("ckpt");
  auto rec = SaveCheckpoint(dir, MakeState(7));
  ASSERT_TRUE(rec.ok()) << rec.status();
  auto st = LoadCheckpoint(*rec);
  ASSERT_TRUE(st.ok()) << st.status();
  EXPECT_EQ(st->at.step, 7);
  EXPECT_EQ(st->at.epoch, 1);
  EXPECT_EQ(st->at.position, 3);
  EXPECT_TRUE(st->model.at("w").equal(torch::full({4, 4}, 7.f)));
  EXPECT_TRUE(st->ema.at("w").equal(torch::full({4, 4}, 0.5f)));
  EXPECT_EQ(st->optimizer, "opaque-optimizer-bytes");
  EXPECT_EQ(st->config_yaml, "run: {seed: 1}");
  EXPECT_DOUBLE_EQ(st->metrics.at("R@1"), 0.25);
  EXPECT_TRUE(st->rank_rng_states.equal(at::detail::getDefaultCPUGenerator().get_state().unsqueeze(0)));
}

// A disk that fills up mid-checkpoint (here a 64 KiB file-size limit in a child process) is an
// error the trainer can report, not the end of the process, and leaves no partial file behind.
TEST(CheckpointTest, AFailedWriteIsAnErrorAndLeavesNoFile) {
  const std::string dir = testing::MakeTempDir("ckpt");
  TrainingState state = MakeState(5);
  state.model["big"] = torch::ones({256, 1024});  // 1 MiB: far past the limit
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    std::signal(SIGXFSZ, SIG_IGN);  // the write fails with EFBIG instead of killing the process
    const rlimit limit{64 << 10, 64 << 10};
    setrlimit(RLIMIT_FSIZE, &limit);
    auto rec = SaveCheckpoint(dir, state);
    _exit(rec.ok() ? 2 : 0);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status)) << "the save ended the process (signal " << WTERMSIG(status) << ")";
  EXPECT_EQ(WEXITSTATUS(status), 0) << "the save did not report the failed write";
  EXPECT_TRUE(std::filesystem::is_empty(dir)) << "a partial checkpoint was left behind";
}

TEST(CheckpointTest, CorruptedLatestFallsBackToThePreviousWithAWarning) {
  const std::string dir = testing::MakeTempDir("ckpt");
  ASSERT_TRUE(SaveCheckpoint(dir, MakeState(1)).ok());
  auto last = SaveCheckpoint(dir, MakeState(2));
  ASSERT_TRUE(last.ok());
  std::filesystem::resize_file(last->path, last->bytes / 2);  // truncated, as by a crash mid-copy
  std::vector<std::string> warnings;
  CheckpointRecord chosen;
  auto st = LoadLatestCheckpoint(dir, &warnings, &chosen);
  ASSERT_TRUE(st.ok()) << st.status();
  EXPECT_EQ(st->at.step, 1);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("checksum mismatch"), std::string::npos) << warnings[0];

  // A flipped byte of the same length is caught too.
  auto again = SaveCheckpoint(dir, MakeState(3));
  ASSERT_TRUE(again.ok());
  {
    std::fstream f(again->path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(again->bytes / 3));
    f.put('\x5a');
  }
  EXPECT_EQ(LoadCheckpoint(*again).status().code(), StatusCode::kDataLoss);
}

TEST(CheckpointTest, RetentionKeepsTheLastKAndTheBest) {
  const std::string dir = testing::MakeTempDir("ckpt");
  std::string best;
  for (int s = 1; s <= 5; ++s) {
    auto r = SaveCheckpoint(dir, MakeState(s));
    ASSERT_TRUE(r.ok());
    if (s == 2) best = r->path;
  }
  PruneCheckpoints(dir, 2, best);
  auto left = ListCheckpoints(dir);
  ASSERT_EQ(left.size(), 3u);
  EXPECT_EQ(left[0].at.step, 2);
  EXPECT_EQ(left[1].at.step, 4);
  EXPECT_EQ(left[2].at.step, 5);
}

TEST(CheckpointTest, MissingFolderIsNotFound) {
  EXPECT_EQ(LoadLatestCheckpoint("/nonexistent/ckpts", nullptr).status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace mdetr::trainer
