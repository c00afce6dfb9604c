// `mdetr predict` as a user runs it: one image with a caption, or a whole annotation file (every
// image grounded with its own caption), on a checkpoint in the reference's format; boxes drawn
// into PNGs, results as JSON; bad input named in a one-line error.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "common/config/experiment.h"
#include "model/io/torch_writer.h"
#include "model/nn/mdetr.h"
#include "model/nn/state_dict.h"
#include "model/nn/synthetic_weights.h"
#include "tests/support/subprocess.h"
#include "tests/support/test_paths.h"

namespace mdetr::testing {
namespace {
namespace fs = std::filesystem;

class PredictCommandTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(MakeTempDir("predict"));
    const auto synth = RunCommand(BuildDir() + "/bin/mdetr data synth --out " + *dir_ + "/data --images 5 --seed 5");
    ASSERT_EQ(synth.exit_code, 0) << synth.output;
    // The tiny CPU architecture with formula weights, saved as the reference saves its models.
    auto cfg = config::LoadExperiment(SourceDir() + "/configs/models/tiny_cpu.yaml");
    ASSERT_TRUE(cfg.ok()) << cfg.status();
    model::Mdetr net(cfg->model);
    model::FillSyntheticWeights(*net);
    std::vector<std::shared_ptr<torch::Tensor>> keep;
    io::StateDict views;
    for (const auto& [name, t] : model::NamedStateDict(*net)) {
      keep.push_back(std::make_shared<torch::Tensor>(t.contiguous()));
      ASSERT_TRUE(views.Add(name, io::TensorView::Contiguous(io::DType::kFloat32, t.sizes().vec(),
                                                             keep.back()->data_ptr(), keep.back())).ok());
    }
    io::TorchSaveOptions o;
    o.top_level_key = "model";
    ASSERT_TRUE(io::SaveTorchStateDict(*dir_ + "/tiny.pth", views, o).ok());
  }
  static void TearDownTestSuite() { delete dir_; }

  static CommandResult Predict(const std::string& args) {
    return RunCommand(BuildDir() + "/bin/mdetr predict --checkpoint " + *dir_ + "/tiny.pth --threads 1 --size 128 " +
                      "--max-size 160 --tokenizer " + SharedDataDir() + "/tokenizer/roberta-base " + args);
  }
  static nlohmann::json JsonOf(const CommandResult& r) {
    const auto start = r.output.find("\n[");
    return nlohmann::json::parse(start == std::string::npos ? r.output : r.output.substr(start + 1), nullptr, false);
  }
  static std::string* dir_;
};
std::string* PredictCommandTest::dir_ = nullptr;

TEST_F(PredictCommandTest, AnnotationFileGroundsEveryImageWithItsOwnCaption) {
  const std::string out = *dir_ + "/out-ann";
  const auto r = Predict("--annotations " + *dir_ + "/data/val.json --images " + *dir_ + "/data/images --out " + out +
                         " --threshold 0 --json");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto results = JsonOf(r);
  ASSERT_TRUE(results.is_array()) << r.output;
  const auto truth = nlohmann::json::parse(std::ifstream(*dir_ + "/data/val.json"));
  std::set<int64_t> ids, seen;
  for (const auto& img : truth["images"]) ids.insert(img["id"].get<int64_t>());
  for (const auto& det : results) {
    const int64_t id = det.at("image_id");
    seen.insert(id);
    // The caption reported is that image's caption from the file.
    for (const auto& img : truth["images"]) {
      if (img["id"] == id) EXPECT_EQ(det.at("caption"), img.at("caption"));
    }
  }
  EXPECT_EQ(seen, ids);  // threshold 0: every image has boxes
  size_t pngs = 0;
  for (const auto& e : fs::directory_iterator(out)) pngs += e.path().extension() == ".png";
  EXPECT_EQ(pngs, ids.size());
  EXPECT_TRUE(fs::exists(out + "/results.json"));
}

TEST_F(PredictCommandTest, OneImageWithACaption) {
  const std::string image = *dir_ + "/data/images/val_000000.png";
  ASSERT_TRUE(fs::exists(image));
  const auto r = Predict("--image " + image + " --caption 'the red square' --out " + *dir_ + "/out-one --threshold 0 --json");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto results = JsonOf(r);
  ASSERT_TRUE(results.is_array() && !results.empty()) << r.output;
  EXPECT_EQ(results[0].at("caption"), "the red square");
  EXPECT_TRUE(fs::exists(*dir_ + "/out-one/val_000000_pred.png"));
}

TEST_F(PredictCommandTest, BadInputIsNamed) {
  auto r = Predict("--annotations " + *dir_ + "/missing.json --images " + *dir_);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("missing.json"), std::string::npos) << r.output;
  r = Predict("--image x.png --annotations y.json --caption c");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("either --image"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace mdetr::testing
