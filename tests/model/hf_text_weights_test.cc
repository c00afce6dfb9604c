// Loading Hugging Face RoBERTa weights into the text encoder: the masked-LM layout with its
// "roberta." prefix and LM head, a model folder, and files that do not fit, named in the error.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "common/config/experiment.h"
#include "model/io/safetensors.h"
#include "model/nn/hf_text_weights.h"
#include "model/nn/synthetic_weights.h"

namespace mdetr::model {
namespace {

config::TextEncoderConfig TinyText(int hidden = 64) {
  config::TextEncoderConfig t;
  t.type = "custom";
  t.hidden_size = hidden;
  t.num_layers = 2;
  t.num_heads = 4;
  t.intermediate_size = 128;
  return t;
}

std::string TempDir() {
  char tmpl[] = "/tmp/hf-weights-XXXXXX";
  return mkdtemp(tmpl);
}

// Writes `encoder`'s weights as a Hugging Face RobertaForMaskedLM model.safetensors would hold them.
void WriteMaskedLmFile(RobertaModel& encoder, const std::string& path) {
  StateDict named = NamedStateDict(*encoder);
  named["lm_head.dense.weight"] = torch::ones({4, 4});
  named["embeddings.position_ids"] = torch::arange(514, torch::kInt64).unsqueeze(0);
  io::StateDict views;
  for (auto& [name, t] : named) {
    auto c = std::make_shared<torch::Tensor>(t.contiguous());
    const io::DType dtype = c->scalar_type() == torch::kInt64 ? io::DType::kInt64 : io::DType::kFloat32;
    const std::string key = name.rfind("lm_head.", 0) == 0 ? name : "roberta." + name;
    ASSERT_TRUE(views.Add(key, io::TensorView::Contiguous(dtype, c->sizes().vec(), c->data_ptr(), c)).ok());
  }
  ASSERT_TRUE(io::WriteSafetensors(path, views).ok());
}

TEST(HfTextWeightsTest, MaskedLmFolderLoadsEveryEncoderTensor) {
  RobertaModel source(TinyText(), 0.0);
  FillSyntheticWeights(*source);
  const std::string dir = TempDir();
  WriteMaskedLmFile(source, dir + "/model.safetensors");

  RobertaModel target(TinyText(), 0.0);
  auto report = LoadHfTextEncoderWeights(target, dir);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  const auto want = NamedStateDict(*source), got = NamedStateDict(*target);
  EXPECT_EQ(report->loaded, want.size());
  for (const auto& [name, t] : want) EXPECT_TRUE(got.at(name).equal(t)) << name;
  // And so the encoder computes what the source computes.
  const auto ids = torch::tensor({{0, 713, 16, 10, 2}}, torch::kInt64);
  const auto mask = torch::ones({1, 5}, torch::kInt64);
  source->eval();
  target->eval();
  EXPECT_TRUE(torch::allclose(target->forward(ids, mask).last_hidden_state,
                              source->forward(ids, mask).last_hidden_state));
}

TEST(HfTextWeightsTest, FolderWithoutWeightsIsNotFound) {
  RobertaModel target(TinyText(), 0.0);
  const std::string dir = TempDir();
  auto report = LoadHfTextEncoderWeights(target, dir);
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.status().code(), StatusCode::kNotFound);
  EXPECT_NE(report.status().message().find(dir), std::string::npos);
}

TEST(HfTextWeightsTest, WeightsOfAnotherSizeAreRefusedAndLeaveTheEncoderUnchanged) {
  RobertaModel source(TinyText(128), 0.0);
  FillSyntheticWeights(*source);
  const std::string file = TempDir() + "/model.safetensors";
  WriteMaskedLmFile(source, file);
  RobertaModel target(TinyText(64), 0.0);
  const auto before = NamedStateDict(*target);
  const auto before_word = before.at("embeddings.word_embeddings.weight").clone();
  auto report = LoadHfTextEncoderWeights(target, file);
  ASSERT_FALSE(report.ok());
  EXPECT_NE(report.status().message().find(file), std::string::npos);
  EXPECT_NE(report.status().message().find("wrong shape"), std::string::npos) << report.status().ToString();
  EXPECT_TRUE(NamedStateDict(*target).at("embeddings.word_embeddings.weight").equal(before_word));
}

}  // namespace
}  // namespace mdetr::model
