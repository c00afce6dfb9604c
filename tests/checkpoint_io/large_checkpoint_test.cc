// A checkpoint of about 1 GiB (MDETR_LARGE_CHECKPOINT_GIB overrides): loading maps it instead of
// copying it. Measured in a separate process (mdetr-ckpt-inspect) so the peak resident memory is
// the reader's alone: opening must stay small, and reading every weight byte must cost about the
// weights' size, not twice the file.
#include <cstdlib>
#include <regex>
#include <vector>

#include <gtest/gtest.h>

#include "model/io/torch_writer.h"
#include "tests/support/subprocess.h"
#include "tests/support/test_paths.h"

namespace mdetr::io {
namespace {

double LargeGiB() {
  const char* env = std::getenv("MDETR_LARGE_CHECKPOINT_GIB");
  return env ? std::atof(env) : 1.0;
}

std::vector<double> PeakRssMiB(const std::string& output) {
  std::vector<double> values;
  std::regex re("peak RSS ([0-9.]+) MiB");
  for (auto it = std::sregex_iterator(output.begin(), output.end(), re); it != std::sregex_iterator(); ++it) {
    values.push_back(std::stod((*it)[1]));
  }
  return values;
}

TEST(LargeCheckpointTest, LoadingMapsInsteadOfCopying) {
  const size_t tensor_floats = size_t{4} << 20;  // 16 MiB per tensor
  const size_t count = static_cast<size_t>(LargeGiB() * (1 << 30)) / (tensor_floats * sizeof(float));
  std::vector<float> data(count * tensor_floats);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<float>(i % 1000) * 0.001f;
  StateDict tensors;  // each tensor its own region, so each gets its own storage record
  for (size_t i = 0; i < count; ++i) {
    ASSERT_TRUE(
        tensors
            .Add("layers." + std::to_string(i) + ".weight",
                 TensorView::Contiguous(DType::kFloat32, {2048, static_cast<int64_t>(tensor_floats / 2048)},
                                        data.data() + i * tensor_floats))
            .ok());
  }
  std::string path = mdetr::testing::MakeTempDir("ckpt-large") + "/large.pth";
  TorchSaveOptions options;
  options.top_level_key = "model";
  ASSERT_TRUE(SaveTorchStateDict(path, tensors, options).ok());
  const double file_mib = static_cast<double>(tensors.TotalBytes()) / (1 << 20);
  tensors = StateDict();
  data = {};

  auto run = mdetr::testing::RunCommand(mdetr::testing::BuildDir() + "/model/io/mdetr-ckpt-inspect " + path +
                                        " --touch");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  std::vector<double> rss = PeakRssMiB(run.output);
  ASSERT_EQ(rss.size(), 2u) << run.output;  // after opening, after touching every byte
  std::cout << run.output;
  EXPECT_LT(rss[0], 64.0) << "opening a " << file_mib << " MiB checkpoint should map it, not read it";
  EXPECT_LT(rss[1], 1.2 * file_mib + 64.0) << "reading every weight once should cost about the file size";
}

}  // namespace
}  // namespace mdetr::io
