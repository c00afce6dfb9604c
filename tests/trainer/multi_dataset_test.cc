// Training on several datasets at once (the reference's pre-training concatenates Flickr30k and
// the mixed COCO/VG set): `mdetr train` with two data.train entries trains over their
// concatenation, one epoch being the combined size divided by the batch.
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/support/child_process.h"
#include "tests/support/test_paths.h"
#include "tests/trainer/training_run.h"

namespace mdetr::testing {
namespace {

int64_t ImagesIn(const std::string& ann_file) {
  std::ifstream in(ann_file);
  return static_cast<int64_t>(nlohmann::json::parse(in).at("images").size());
}

nlohmann::json FirstEvent(const std::string& events, const std::string& type) {
  std::istringstream lines(events);
  std::string line;
  while (std::getline(lines, line)) {
    auto ev = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (ev.is_object() && ev.value("type", "") == type) return ev;
  }
  return {};
}

TEST(MultiDatasetTest, TwoTrainingDatasetsTrainOverTheirConcatenation) {
  const std::string a = SyntheticDataDir(), b = FixedSizeSyntheticDataDir();
  const int64_t n_a = ImagesIn(a + "/train.json"), n_b = ImagesIn(b + "/train.json");
  const int64_t batch = 4;
  ASSERT_GT(n_a, batch);
  ASSERT_GT(n_b, batch);
  const std::string dir = MakeTempDir("multi");
  const std::string train = "data.train=[{name: synthetic, ann_file: " + a + "/train.json, images: " + a +
                            "/images}, {name: synthetic, ann_file: " + b + "/train.json, images: " + b +
                            "/images}]";
  ChildProcess run(TrainCommand(dir + "/run", {train, "optim.batch_size=4", "optim.epochs=1",
                                               "run.eval_every_epochs=0", "run.max_steps=3"}),
                   dir + "/run.log");
  ASSERT_EQ(run.Wait(), 0) << ReadFile(dir + "/run.log");
  const std::string events = ReadFile(dir + "/run/events.jsonl");
  const auto started = FirstEvent(events, "started");
  ASSERT_TRUE(started.is_object()) << events;
  // drop_last batches over the concatenation, not over either dataset alone.
  EXPECT_EQ(started.at("steps_per_epoch").get<int64_t>(), (n_a + n_b) / batch);
  EXPECT_EQ(started.at("total_steps").get<int64_t>(), (n_a + n_b) / batch);
  const auto finished = FirstEvent(events, "finished");
  ASSERT_TRUE(finished.is_object()) << events;
  EXPECT_EQ(finished.at("step").get<int64_t>(), 3);  // run.max_steps keeps the test short
}

TEST(MultiDatasetTest, AMissingSecondDatasetIsNamedWithItsEntry) {
  const std::string a = SyntheticDataDir();
  const std::string dir = MakeTempDir("multi-bad");
  const std::string train = "data.train=[{name: synthetic, ann_file: " + a + "/train.json, images: " + a +
                            "/images}, {name: synthetic, ann_file: " + dir + "/missing.json, images: " + a +
                            "/images}]";
  ChildProcess run(TrainCommand(dir + "/run", {train}), dir + "/run.log");
  EXPECT_NE(run.Wait(), 0);
  const std::string log = ReadFile(dir + "/run.log") + ReadFile(dir + "/run/events.jsonl");
  EXPECT_NE(log.find("data.train[1]"), std::string::npos) << log;
  EXPECT_NE(log.find("missing.json"), std::string::npos) << log;
}

}  // namespace
}  // namespace mdetr::testing
