// The .pth writer: what it writes reads back identically with our reader, and Python's
// torch.load (weights_only) reads it as PyTorch wrote the original.
#include "model/io/torch_writer.h"

#include <filesystem>

#include <gtest/gtest.h>

#include "model/io/load_weights.h"
#include "model/io/mapped_file.h"
#include "model/io/torch_checkpoint.h"
#include "model/io/zip_reader.h"
#include "tests/checkpoint_io/expectations.h"
#include "tests/support/test_paths.h"

namespace mdetr::io {
namespace {

using testing::Expected;
using testing::ExpectStateDictMatches;
using testing::FixturePath;

StateDict FixtureModel() {
  auto checkpoint = LoadTorchCheckpoint(FixturePath("mdetr_like.pth"));
  EXPECT_TRUE(checkpoint.ok()) << checkpoint.status();
  auto model = StateDictFromDict(checkpoint->root["model"]);
  EXPECT_TRUE(model.ok()) << model.status();
  return std::move(model).value();
}

TEST(TorchWriterTest, ExportReadsBackWithViewsAndSharedStorages) {
  for (bool zip64 : {false, true}) {
    SCOPED_TRACE(zip64 ? "ZIP64" : "zip");
    std::string path = mdetr::testing::MakeTempDir("pth-write") + "/export.pth";
    TorchSaveOptions options;
    options.top_level_key = "model";
    options.force_zip64 = zip64;
    ASSERT_TRUE(SaveTorchStateDict(path, FixtureModel(), options).ok());

    TorchLoadOptions load;
    load.verify_crc32 = true;
    auto back = LoadTorchCheckpoint(path, load);
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(back->archive_name, "export");
    auto weights = SelectStateDict(back->root);
    ASSERT_TRUE(weights.ok()) << weights.status();
    ExpectStateDictMatches(*weights, Expected()["mdetr_like.pth"]["model"]);

    // Every storage record starts on a 64-byte boundary, as torch aligns them.
    auto file = MappedFile::Open(path);
    ASSERT_TRUE(file.ok());
    auto zip = ZipArchive::Open(*file);
    ASSERT_TRUE(zip.ok()) << zip.status();
    for (const ZipEntry& entry : zip->entries()) {
      if (entry.name.find("/data/") != std::string::npos) EXPECT_EQ(entry.data_offset % 64, 0u) << entry.name;
    }
  }
}

TEST(TorchWriterTest, RejectsViewsOutsideTheirStorage) {
  StateDict tensors;
  float data[2] = {1, 2};
  TensorView view = TensorView::Contiguous(DType::kFloat32, {3}, data);
  view.storage_nbytes = sizeof(data);
  ASSERT_TRUE(tensors.Add("w", view).ok());
  std::string path = mdetr::testing::MakeTempDir("pth-bad") + "/bad.pth";
  Status status = SaveTorchStateDict(path, tensors);
  EXPECT_EQ(status.code(), StatusCode::kDataLoss);
  EXPECT_NE(status.message().find(path + ": tensor 'w'"), std::string::npos) << status;
  EXPECT_FALSE(std::filesystem::exists(path));
}

}  // namespace
}  // namespace mdetr::io
