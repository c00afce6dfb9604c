// Files our writers produce, read by Python's own libraries: torch.load(weights_only=True) and
// safetensors must see exactly what PyTorch saw in the original fixture. Needs .venv with torch
// (skips otherwise); slow-ish because every check starts Python.
#include <filesystem>
#include <map>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "model/io/safetensors.h"
#include "model/io/torch_checkpoint.h"
#include "model/io/torch_writer.h"
#include "tests/checkpoint_io/expectations.h"
#include "tests/support/subprocess.h"
#include "tests/support/test_paths.h"

namespace mdetr::io {
namespace {

using testing::Expected;
using testing::FixturePath;

StateDict FixtureModel() {
  auto checkpoint = LoadTorchCheckpoint(FixturePath("mdetr_like.pth"));
  EXPECT_TRUE(checkpoint.ok()) << checkpoint.status();
  auto model = StateDictFromDict(checkpoint->root["model"]);
  EXPECT_TRUE(model.ok()) << model.status();
  return std::move(model).value();
}

// The repository's Python (.venv) if it can import `modules`, else "": these checks skip without it.
std::string Python(const std::string& modules) {
  std::string python = mdetr::testing::SourceDir() + "/.venv/bin/python";
  if (!std::filesystem::exists(python)) return "";
  auto probe = mdetr::testing::RunCommand(python + " -c 'import " + modules + "' 2>&1");
  return probe.exit_code == 0 ? python : "";
}

nlohmann::json RunVerifier(const std::string& python, const std::string& args) {
  auto result =
      mdetr::testing::RunCommand(python + " " + mdetr::testing::SourceDir() +
                                 "/tools/parity/checkpoint/verify_export.py " + args + " 2>/dev/null");
  EXPECT_EQ(result.exit_code, 0) << result.output;
  return nlohmann::json::parse(result.output, nullptr, false);
}

TEST(PythonParityTest, TorchLoadReadsOurExport) {
  std::string python = Python("torch");
  if (python.empty()) GTEST_SKIP() << "no .venv with torch";
  const auto& expected = Expected()["mdetr_like.pth"]["model"];
  for (bool zip64 : {false, true}) {
    SCOPED_TRACE(zip64 ? "ZIP64" : "zip");
    std::string path = mdetr::testing::MakeTempDir("pth-py") + "/checkpoint.pth";
    TorchSaveOptions options;
    options.top_level_key = "model";
    options.force_zip64 = zip64;
    ASSERT_TRUE(SaveTorchStateDict(path, FixtureModel(), options).ok());
    nlohmann::json seen = RunVerifier(python, "torch " + path + " --key model");
    ASSERT_FALSE(seen.is_discarded());
    EXPECT_TRUE(seen["zip_bad_entry"].is_null()) << "CRC mismatch in " << seen["zip_bad_entry"];
    EXPECT_EQ(seen["top_level_keys"], nlohmann::json::array({"model"}));
    EXPECT_EQ(seen["type"], "OrderedDict");
    ASSERT_EQ(seen["model"].size(), expected.size());
    for (size_t i = 0; i < expected.size(); ++i) {
      const auto& a = seen["model"][i];
      const auto& e = expected[i];
      SCOPED_TRACE(e["name"].get<std::string>());
      for (const char* field :
           {"name", "dtype", "shape", "stride", "storage_offset", "shares_storage_with", "first"}) {
        EXPECT_EQ(a[field], e[field]) << field;
      }
      EXPECT_EQ(a["weighted_sum"].get<double>(), e["weighted_sum"].get<double>());
    }
  }
}

TEST(PythonParityTest, SafetensorsReadsOurExport) {
  std::string python = Python("torch, safetensors");
  if (python.empty()) GTEST_SKIP() << "no .venv with torch and safetensors";
  std::string path = mdetr::testing::MakeTempDir("st-py") + "/model.safetensors";
  ASSERT_TRUE(WriteSafetensors(path, FixtureModel(), {{"format", "pt"}}).ok());
  nlohmann::json seen = RunVerifier(python, "safetensors " + path);
  ASSERT_FALSE(seen.is_discarded());
  EXPECT_EQ(seen["metadata"]["format"], "pt");
  const auto& expected = Expected()["mdetr_like.pth"]["model"];
  ASSERT_EQ(seen["model"].size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    // safetensors stores every tensor contiguous; names, dtypes, shapes and values must survive.
    std::map<std::string, nlohmann::json> a = seen["model"][i], e = expected[i];
    for (const char* field : {"name", "dtype", "shape", "first", "weighted_sum"})
      EXPECT_EQ(a[field], e[field]) << field;
  }
}

}  // namespace
}  // namespace mdetr::io
