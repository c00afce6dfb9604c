// A reference-layout checkpoint of an EfficientNet MDETR loads for inference: the backbone is told
// from the weights (no args in the file), every key loads strictly, and the loaded backbone gives
// the reference's features (goldens of tools/parity/model/make_goldens.py --config b3_tiny).
#include <gtest/gtest.h>

#include <cstdio>
#include <memory>

#include "common/config/experiment.h"
#include "model/io/torch_writer.h"
#include "model/nn/mdetr.h"
#include "model/nn/synthetic_weights.h"
#include "tests/model/golden_file.h"
#include "worker/inference/checkpoint_model.h"

namespace mdetr::model {
namespace {

// Writes `net`'s weights as {"model": state_dict}, the layout of the reference's checkpoints.
void SaveAsReference(Mdetr& net, const std::string& path) {
  io::StateDict views;
  for (const auto& [name, t] : NamedStateDict(*net)) {
    auto owner = std::make_shared<torch::Tensor>(t.contiguous());
    ASSERT_EQ(owner->scalar_type(), torch::kFloat32) << name;
    ASSERT_TRUE(views.Add(name, io::TensorView::Contiguous(io::DType::kFloat32, owner->sizes().vec(),
                                                             owner->data_ptr(), owner))
                    .ok());
  }
  io::TorchSaveOptions save;
  save.top_level_key = "model";
  ASSERT_TRUE(io::SaveTorchStateDict(path, views, save).ok());
}

TEST(EfficientNetCheckpointTest, B3CheckpointLoadsAndMatchesTheReference) {
  auto g = testing::LoadGoldens("tests/data/model/b3_tiny_goldens.pt");
  auto cfg = config::LoadExperiment("configs/models/tiny_cpu.yaml");
  ASSERT_TRUE(cfg.ok()) << cfg.status();
  cfg->model.backbone = "timm_tf_efficientnet_b3_ns";
  Mdetr net(cfg->model);
  FillSyntheticWeights(*net);
  const std::string path = ::testing::TempDir() + "/effnet_b3_tiny.pth";
  SaveAsReference(net, path);

  auto loaded = inference::LoadModelFromCheckpoint(path, "../shared/data/tokenizer/roberta-base");
  std::remove(path.c_str());
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->config.backbone, "timm_tf_efficientnet_b3_ns");
  EXPECT_EQ(loaded->report.loaded, NamedStateDict(*net).size());

  torch::NoGradGuard no_grad;
  auto features = loaded->model->backbone()->forward({g.at("input.images"), g.at("input.mask")}).features;
  EXPECT_LE(testing::RelativeMaxDiff(features.back().tensors, g.at("backbone.features")), 1e-4);
  EXPECT_TRUE(features.back().mask.equal(g.at("backbone.mask")));
}

}  // namespace
}  // namespace mdetr::model
