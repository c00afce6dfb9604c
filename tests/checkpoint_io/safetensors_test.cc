// The safetensors reader and writer against files written by the safetensors library, and the
// header checks a corrupt file must fail.
#include "model/io/safetensors.h"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "model/io/little_endian.h"
#include "model/io/load_weights.h"
#include "model/io/torch_checkpoint.h"
#include "tests/checkpoint_io/expectations.h"
#include "tests/support/test_paths.h"

namespace mdetr::io {
namespace {

using testing::Expected;
using testing::ExpectStateDictMatches;
using testing::FixturePath;

TEST(SafetensorsTest, ReadsFilesWrittenByTheSafetensorsLibrary) {
  auto small = ReadSafetensors(FixturePath("small.safetensors"));
  ASSERT_TRUE(small.ok()) << small.status();
  ExpectStateDictMatches(small->tensors, Expected()["small.safetensors"]["model"]);
  EXPECT_EQ(small->metadata,
            (Expected()["small.safetensors"]["metadata"].get<std::map<std::string, std::string>>()));

  auto hf = LoadWeights(FixturePath("hf_roberta/model.safetensors"));
  ASSERT_TRUE(hf.ok()) << hf.status();
  EXPECT_EQ(hf->format, "safetensors");
  ExpectStateDictMatches(hf->tensors, Expected()["hf_roberta/model.safetensors"]["model"]);
}

TEST(SafetensorsTest, HuggingFaceBinAndSafetensorsHoldTheSameWeights) {
  auto bin = LoadWeights(FixturePath("hf_roberta/pytorch_model.bin"));
  auto st = LoadWeights(FixturePath("hf_roberta/model.safetensors"));
  ASSERT_TRUE(bin.ok() && st.ok());
  ASSERT_EQ(bin->tensors.size(), st->tensors.size());
  for (const auto& [name, view] : bin->tensors) {
    const TensorView* other = st->tensors.Find(name);
    ASSERT_NE(other, nullptr) << name;
    EXPECT_EQ(view.shape, other->shape) << name;
    EXPECT_EQ(view.ContiguousBytes(), other->ContiguousBytes()) << name;
  }
}

TEST(SafetensorsTest, WriteThenReadGathersViewsAndKeepsMetadata) {
  auto checkpoint = LoadTorchCheckpoint(FixturePath("mdetr_like.pth"));
  ASSERT_TRUE(checkpoint.ok());
  auto model = StateDictFromDict(checkpoint->root["model"]);
  ASSERT_TRUE(model.ok());
  std::string path = mdetr::testing::MakeTempDir("st-write") + "/model.safetensors";
  ASSERT_TRUE(WriteSafetensors(path, *model, {{"format", "pt"}}).ok());

  auto back = ReadSafetensors(path);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->metadata.at("format"), "pt");
  const auto& expected = Expected()["mdetr_like.pth"]["model"];
  ASSERT_EQ(back->tensors.size(), expected.size());
  size_t i = 0;
  for (const auto& [name, view] : back->tensors) {
    const auto& e = expected[i++];
    EXPECT_EQ(name, e["name"].get<std::string>());
    EXPECT_TRUE(view.is_contiguous()) << name;
    EXPECT_EQ(view.shape, e["shape"].get<std::vector<int64_t>>()) << name;
    EXPECT_NEAR(testing::ComputeStats(view).weighted_sum, e["weighted_sum"].get<double>(), 1e-9) << name;
  }
  // Nothing but the target is left in the folder (the temporary file was renamed).
  size_t files = 0;
  for ([[maybe_unused]] const auto& entry :
       std::filesystem::directory_iterator(std::filesystem::path(path).parent_path())) {
    ++files;
  }
  EXPECT_EQ(files, 1u);
}

TEST(SafetensorsTest, WriteFailureNamesThePathAndKeepsTheOldFile) {
  std::string dir = mdetr::testing::MakeTempDir("st-fail");
  StateDict tensors;
  float data[4] = {1, 2, 3, 4};
  ASSERT_TRUE(tensors.Add("w", TensorView::Contiguous(DType::kFloat32, {4}, data)).ok());
  Status missing_dir = WriteSafetensors(dir + "/no/such/dir/x.safetensors", tensors);
  EXPECT_FALSE(missing_dir.ok());
  EXPECT_NE(missing_dir.message().find(dir + "/no/such/dir/x.safetensors"), std::string::npos) << missing_dir;

  std::string path = dir + "/x.safetensors";
  ASSERT_TRUE(WriteSafetensors(path, tensors).ok());
  StateDict bad;
  TensorView out_of_bounds = TensorView::Contiguous(DType::kFloat32, {4}, data);
  out_of_bounds.storage_offset = 2;  // reaches past the 4-element buffer
  ASSERT_TRUE(bad.Add("w", out_of_bounds).ok());
  Status status = WriteSafetensors(path, bad);
  EXPECT_EQ(status.code(), StatusCode::kDataLoss);
  EXPECT_NE(status.message().find("tensor 'w'"), std::string::npos) << status;
  auto still = ReadSafetensors(path);
  ASSERT_TRUE(still.ok());
  EXPECT_EQ(still->tensors.Find("w")->ToDoubles(), (std::vector<double>{1, 2, 3, 4}));
}

// A safetensors file from a header text and a data section, to corrupt one thing at a time.
std::string WriteRaw(const std::string& header, const std::string& data, uint64_t header_length) {
  static int counter = 0;
  static const std::string dir = mdetr::testing::MakeTempDir("st-raw");
  std::string path = dir + "/f" + std::to_string(counter++) + ".safetensors";
  std::string bytes;
  AppendLE(&bytes, header_length, 8);
  bytes += header + data;
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}
std::string WriteRaw(const std::string& header, const std::string& data) {
  return WriteRaw(header, data, header.size());
}

Status ReadStatus(const std::string& path) { return ReadSafetensors(path).status(); }

TEST(SafetensorsTest, CorruptHeadersAreDataLossNamingFileAndProblem) {
  const std::string eight(8, '\0');
  struct Case {
    std::string path;
    std::string message;
  };
  const Case cases[] = {
      {WriteRaw(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", eight, 1000),
       "runs past the end"},
      {WriteRaw(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", eight, uint64_t{1} << 40),
       "is implausible"},
      {WriteRaw(R"({"a":{"dtype":"F32",)", eight), "not valid JSON"},
      {WriteRaw(R"([1,2])", eight), "not a JSON object"},
      {WriteRaw(R"({"a":{"dtype":"Q7","shape":[2],"data_offsets":[0,8]}})", eight), "unsupported dtype 'Q7'"},
      {WriteRaw(R"({"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", eight), "non-negative"},
      {WriteRaw(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,16]}})", eight), "outside the 8-byte"},
      {WriteRaw(R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", eight),
       "do not match its shape"},
      {WriteRaw(
           R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})",
           eight),
       "overlapping"},
      {WriteRaw(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", eight), "leaving a gap"},
      {WriteRaw(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})", eight), "cover 4 bytes"},
      {WriteRaw(R"({"__metadata__":{"k":1}})", ""), "is not a string"},
      {WriteRaw(R"({"a":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,8]}})", eight),
       "shape overflows"},
  };
  for (const Case& c : cases) {
    Status status = ReadStatus(c.path);
    EXPECT_EQ(status.code(), StatusCode::kDataLoss) << c.path << ": " << status;
    EXPECT_NE(status.message().find(c.path + ": bad safetensors file"), std::string::npos) << status;
    EXPECT_NE(status.message().find(c.message), std::string::npos) << status;
  }
  // The well-formed version of the same file reads.
  auto good = ReadSafetensors(WriteRaw(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", eight));
  EXPECT_TRUE(good.ok()) << good.status();
}

}  // namespace
}  // namespace mdetr::io
