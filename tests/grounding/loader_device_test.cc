// The dataset and loader on the real images: an evaluation sample is the reference's eval
// transform output (pixels and boxes), and a loader for the CPU hands out plain (unpinned) CPU
// batches identical to collating the samples directly.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "datasets/grounding/loader.h"
#include "tests/grounding/real_dataset.h"
#include "tests/support/test_paths.h"

namespace mdetr::grounding {
namespace {

using nlohmann::json;

TEST(RealDatasetTest, EvalSamplesAreTheReferenceEvalTransform) {
  torch::set_num_threads(1);  // small tensors: spinning intra-op threads only slow a shared machine
  auto ds = testdata::OpenRealImages(/*train=*/false);
  ASSERT_TRUE(ds.ok()) << ds.status();
  std::ifstream in(testing::SourceDir() + "/tests/data/grounding/transform_goldens.json");
  ASSERT_TRUE(in) << "missing tests/data/grounding/transform_goldens.json";
  const json goldens = json::parse(in);
  int checked = 0;
  for (int64_t i = 0; i < (*ds)->size(); ++i) {
    std::mt19937_64 rng(1);
    auto s = (*ds)->Get(i, rng);
    ASSERT_TRUE(s.ok()) << s.status();
    const auto& rec = (*ds)->annotations().images()[(*ds)->annotations().ImagesSortedById()[static_cast<size_t>(i)]];
    const std::string file((*ds)->annotations().str(rec.file_name));
    SCOPED_TRACE(file);
    for (const auto& c : goldens["cases"]) {
      if (c["train"].get<bool>() || c["image"].get<std::string>() != file) continue;
      ASSERT_EQ(s->height(), c["height"].get<int64_t>());
      ASSERT_EQ(s->width(), c["width"].get<int64_t>());
      const auto image = s->Image();
      const auto acc = image.accessor<float, 3>();
      for (size_t k = 0; k < c["positions"].size(); ++k) {
        const auto& p = c["positions"][k];
        EXPECT_NEAR(acc[p[0].get<int64_t>()][p[1].get<int64_t>()][p[2].get<int64_t>()], c["values"][k].get<double>(),
                    1e-5);
      }
      ASSERT_EQ(static_cast<size_t>(s->boxes.size(0)), c["boxes_out"].size());
      for (int64_t b = 0; b < s->boxes.size(0); ++b) {
        for (int64_t k = 0; k < 4; ++k) {
          EXPECT_NEAR(s->boxes[b][k].item<double>(),
                      c["boxes_out"][static_cast<size_t>(b)][static_cast<size_t>(k)].get<double>(), 1e-5);
        }
      }
      EXPECT_EQ(s->positive_map.size(0), s->boxes.size(0));
      ++checked;
    }
  }
  EXPECT_EQ(checked, (*ds)->size());
}

std::vector<Batch> Epoch(const std::shared_ptr<const GroundingDataset>& ds, std::optional<torch::Device> device) {
  LoaderOptions o;
  o.sampler.batch_size = 3;
  o.sampler.seed = 11;
  o.num_workers = 2;
  if (device) o.device = *device;
  Loader loader(ds, o);
  loader.Start(0);
  std::vector<Batch> out;
  while (auto b = loader.Next()) out.push_back(std::move(*b));
  return out;
}

TEST(LoaderDeviceTest, CpuBatchesArePlainCpuTensorsAsCollated) {
  torch::set_num_threads(1);  // small tensors: spinning intra-op threads only slow a shared machine
  auto ds = testdata::OpenRealImages(/*train=*/true);
  ASSERT_TRUE(ds.ok()) << ds.status();
  const auto plain = Epoch(*ds, std::nullopt);
  const auto cpu = Epoch(*ds, torch::Device(torch::kCPU));
  ASSERT_EQ(plain.size(), cpu.size());
  ASSERT_FALSE(cpu.empty());
  SamplerOptions so;
  so.batch_size = 3;
  so.seed = 11;
  so.dataset_size = (*ds)->size();
  const auto indices = EpochBatches(so, 0);
  ASSERT_EQ(indices.size(), cpu.size());
  for (size_t i = 0; i < cpu.size(); ++i) {
    for (const auto* t : {&cpu[i].images, &cpu[i].mask, &cpu[i].input_ids, &cpu[i].attention_mask}) {
      EXPECT_TRUE(t->device().is_cpu());
      EXPECT_FALSE(t->is_pinned());
    }
    EXPECT_TRUE(torch::equal(cpu[i].images, plain[i].images));
    EXPECT_TRUE(torch::equal(cpu[i].mask, plain[i].mask));
    // The same as collating the samples by hand with the per-sample seeds.
    std::vector<Sample> samples;
    for (int64_t index : indices[i]) {
      std::mt19937_64 rng(SampleSeed(11, 0, index));
      auto s = (*ds)->Get(index, rng);
      ASSERT_TRUE(s.ok()) << s.status();
      samples.push_back(std::move(s).value());
    }
    // Each image in its top-left corner, zeros and a true mask on the padding.
    for (size_t j = 0; j < samples.size(); ++j) {
      const auto img = samples[j].Image();
      const int64_t h = img.size(1), w = img.size(2), k = static_cast<int64_t>(j);
      const auto padded = cpu[i].images[k];
      EXPECT_TRUE(torch::equal(padded.narrow(1, 0, h).narrow(2, 0, w), img));
      const int64_t max_h = padded.size(1), max_w = padded.size(2);
      if (w < max_w) EXPECT_FALSE(padded.narrow(2, w, max_w - w).ne(0).any().item<bool>()) << "padding is not zero";
      if (h < max_h) EXPECT_FALSE(padded.narrow(1, h, max_h - h).ne(0).any().item<bool>()) << "padding is not zero";
      EXPECT_EQ(cpu[i].mask[k].logical_not().sum().item<int64_t>(), h * w);
      EXPECT_FALSE(cpu[i].mask[k].narrow(0, 0, h).narrow(1, 0, w).any().item<bool>());
    }
    const Batch direct = Collate(std::move(samples));
    EXPECT_TRUE(torch::equal(cpu[i].images, direct.images));
    EXPECT_TRUE(torch::equal(cpu[i].mask, direct.mask));
    EXPECT_TRUE(torch::equal(cpu[i].input_ids, direct.input_ids));
    EXPECT_TRUE(torch::equal(cpu[i].attention_mask, direct.attention_mask));
  }
}

}  // namespace
}  // namespace mdetr::grounding
