// The .pth reader against what PyTorch itself saw in the same files (expected.json).
#include "model/io/torch_checkpoint.h"

#include <gtest/gtest.h>

#include "model/io/load_weights.h"
#include "tests/checkpoint_io/expectations.h"

namespace mdetr::io {
namespace {

using testing::Expected;
using testing::ExpectStateDictMatches;
using testing::FixturePath;

TEST(TorchCheckpointTest, ReferenceShapedCheckpointMatchesTorchLoad) {
  auto checkpoint = LoadTorchCheckpoint(FixturePath("mdetr_like.pth"));
  ASSERT_TRUE(checkpoint.ok()) << checkpoint.status();
  const auto& expected = Expected()["mdetr_like.pth"];
  EXPECT_EQ(checkpoint->archive_name, "mdetr_like");
  EXPECT_EQ(checkpoint->format_version, 3);
  EXPECT_EQ(checkpoint->root.keys(), expected["top_level_keys"].get<std::vector<std::string>>());
  EXPECT_EQ(checkpoint->root["epoch"].ToInt().value(), expected["epoch"].get<int64_t>());

  auto model = StateDictFromDict(checkpoint->root["model"]);
  ASSERT_TRUE(model.ok()) << model.status();
  ExpectStateDictMatches(*model, expected["model"]);
  auto ema = StateDictFromDict(checkpoint->root["model_ema"]);
  ASSERT_TRUE(ema.ok()) << ema.status();
  ExpectStateDictMatches(*ema, expected["model_ema"]);
}

TEST(TorchCheckpointTest, ArgsNamespaceReadsAsConfig) {
  auto checkpoint = LoadTorchCheckpoint(FixturePath("mdetr_like.pth"));
  ASSERT_TRUE(checkpoint.ok()) << checkpoint.status();
  PyValue args = checkpoint->root["args"];
  EXPECT_EQ(args.class_name(), Expected()["mdetr_like.pth"]["args_class"].get<std::string>());
  for (const auto& [name, e] : Expected()["mdetr_like.pth"]["args"].items()) {
    SCOPED_TRACE("args." + name);
    PyValue v = args.attr(name);
    const std::string type = e["type"].get<std::string>();
    if (type == "None") {
      EXPECT_TRUE(v.is_none());
    } else if (type == "bool") {
      EXPECT_EQ(v.ToBool().value(), e["value"].get<bool>());
    } else if (type == "int") {
      EXPECT_EQ(v.ToInt().value(), e["value"].get<int64_t>());
    } else if (type == "float") {
      EXPECT_EQ(v.ToDouble().value(), e["value"].get<double>());
    } else if (type == "str" || type == "path") {
      EXPECT_EQ(v.ToString().value(), e["value"].get<std::string>());
      if (type == "path") EXPECT_EQ(v.class_name(), "pathlib.PosixPath");
    } else {  // list / tuple of ints
      auto values = e["value"].get<std::vector<int64_t>>();
      ASSERT_EQ(v.size(), values.size());
      for (size_t i = 0; i < values.size(); ++i) EXPECT_EQ(v.at(i).ToInt().value(), values[i]);
    }
  }
  // A missing field or a wrong type is an error naming the path, not a crash.
  Result<double> missing = args.attr("no_such_flag").ToDouble();
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(missing.status().message(), "['args'].no_such_flag: not present (expected float)");
  Result<int64_t> wrong = args.attr("text_encoder_type").ToInt();
  EXPECT_EQ(wrong.status().message(), "['args'].text_encoder_type: expected int, got str");
}

TEST(TorchCheckpointTest, OptimizerStateAndStateDictMetadata) {
  auto checkpoint = LoadTorchCheckpoint(FixturePath("mdetr_like.pth"));
  ASSERT_TRUE(checkpoint.ok()) << checkpoint.status();
  const auto& e = Expected()["mdetr_like.pth"]["optimizer"];
  PyValue groups = checkpoint->root["optimizer"]["param_groups"];
  auto lrs = e["param_group_lrs"].get<std::vector<double>>();
  auto params = e["param_group_params"].get<std::vector<std::vector<int64_t>>>();
  ASSERT_EQ(groups.size(), lrs.size());
  for (size_t g = 0; g < lrs.size(); ++g) {
    EXPECT_EQ(groups.at(g)["lr"].ToDouble().value(), lrs[g]);
    ASSERT_EQ(groups.at(g)["params"].size(), params[g].size());
    for (size_t k = 0; k < params[g].size(); ++k)
      EXPECT_EQ(groups.at(g)["params"].at(k).ToInt().value(), params[g][k]);
  }
  PyValue betas = groups.at(0)["betas"];
  EXPECT_EQ(betas.kind(), PyKind::kTuple);
  EXPECT_EQ(betas.at(1).ToDouble().value(), e["betas"][1].get<double>());

  PyValue state = checkpoint->root["optimizer"]["state"];
  EXPECT_EQ(state.size(), e["state_keys"].size());
  for (const auto& [name, stats] : e["state0"].items()) {
    auto tensor = state.item(0)[name].ToTensor();
    ASSERT_TRUE(tensor.ok()) << tensor.status();
    EXPECT_EQ(tensor->shape, stats["shape"].get<std::vector<int64_t>>());
    EXPECT_NEAR(testing::ComputeStats(*tensor).weighted_sum, stats["weighted_sum"].get<double>(), 1e-9);
  }
  // state_dict() attaches _metadata to the OrderedDict; it survives as the dict's attribute.
  EXPECT_EQ(checkpoint->root["model"].attr("_metadata")[""]["version"].ToInt().value(),
            Expected()["mdetr_like.pth"]["metadata_version"].get<int64_t>());
}

TEST(TorchCheckpointTest, SelectionPrefersEmaThenModelThenTheFileItself) {
  std::string chosen;
  auto with_ema = LoadTorchCheckpoint(FixturePath("mdetr_like.pth"));
  ASSERT_TRUE(with_ema.ok());
  auto weights = SelectStateDict(with_ema->root, &chosen);
  ASSERT_TRUE(weights.ok()) << weights.status();
  EXPECT_EQ(chosen, "model_ema");
  ExpectStateDictMatches(*weights, Expected()["mdetr_like.pth"]["model_ema"]);

  auto no_ema = LoadWeights(FixturePath("no_ema.pth"));  // model_ema is None there
  ASSERT_TRUE(no_ema.ok()) << no_ema.status();
  EXPECT_EQ(no_ema->selected, "model");
  ExpectStateDictMatches(no_ema->tensors, Expected()["no_ema.pth"]["model"]);

  auto hf = LoadWeights(FixturePath("hf_roberta/pytorch_model.bin"));
  ASSERT_TRUE(hf.ok()) << hf.status();
  EXPECT_EQ(hf->format, "torch");
  EXPECT_EQ(hf->selected, "");
  ExpectStateDictMatches(hf->tensors, Expected()["hf_roberta/pytorch_model.bin"]["model"]);
}

TEST(TorchCheckpointTest, TensorsAreViewsIntoTheMappedFile) {
  auto checkpoint = LoadTorchCheckpoint(FixturePath("mdetr_like.pth"));
  ASSERT_TRUE(checkpoint.ok());
  auto model = StateDictFromDict(checkpoint->root["model"]);
  ASSERT_TRUE(model.ok());
  const uint8_t* begin = checkpoint->file->data();
  const uint8_t* end = begin + checkpoint->file->size();
  for (const auto& [name, view] : *model) {
    if (view.numel() == 0) continue;
    EXPECT_GE(view.data(), begin) << name;
    EXPECT_LE(view.data() + view.nbytes(), end) << name;
  }
  // The views outlive the checkpoint object: they hold the mapping.
  StateDict kept = std::move(model).value();
  checkpoint = InvalidArgumentError("dropped");
  EXPECT_EQ(kept.Find("views.slice")->ToDoubles().size(), 6u);
}

TEST(TorchCheckpointTest, LegacyFormatIsReportedAsUnsupported) {
  auto result = LoadTorchCheckpoint(FixturePath("legacy.pth"));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kUnimplemented);
  EXPECT_NE(result.status().message().find("legacy.pth: legacy torch.save format"), std::string::npos)
      << result.status();
}

TEST(TorchCheckpointTest, MissingFileAndNonCheckpointAreNamed) {
  auto missing = LoadTorchCheckpoint(FixturePath("does_not_exist.pth"));
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("does_not_exist.pth"), std::string::npos);
  auto json = LoadTorchCheckpoint(FixturePath("expected.json"));
  EXPECT_EQ(json.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(json.status().message().find("expected.json: not a torch checkpoint"), std::string::npos);
}

TEST(TorchCheckpointTest, NonTensorInStateDictIsNamed) {
  auto checkpoint = LoadTorchCheckpoint(FixturePath("mdetr_like.pth"));
  ASSERT_TRUE(checkpoint.ok());
  auto result = StateDictFromDict(checkpoint->root["optimizer"]["param_groups"].at(0));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().message(), "['optimizer']['param_groups'][0]['lr']: expected tensor, got float");
}

TEST(TorchCheckpointTest, Crc32VerificationPassesOnTorchFiles) {
  TorchLoadOptions options;
  options.verify_crc32 = true;
  EXPECT_TRUE(LoadTorchCheckpoint(FixturePath("mdetr_like.pth"), options).ok());
  EXPECT_TRUE(LoadTorchCheckpoint(FixturePath("hf_roberta/pytorch_model.bin"), options).ok());
}

}  // namespace
}  // namespace mdetr::io
