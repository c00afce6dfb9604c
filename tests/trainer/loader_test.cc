// The prefetching loader: the same batches whatever the number of decode threads, and a loader
// started at (epoch, position) continues exactly where an uninterrupted epoch would be.
#include "datasets/grounding/loader.h"

#include <gtest/gtest.h>

#include "datasets/synthetic/generator.h"
#include "tests/support/test_paths.h"

namespace mdetr::grounding {
namespace {

class LoaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::MakeTempDir("loader");
    synthetic::SyntheticOptions o;
    o.out_dir = dir_;
    o.num_images = 12;
    o.seed = 5;
    ASSERT_TRUE(synthetic::GenerateSyntheticDataset(o).ok());
    auto tok = text::RobertaTokenizer::FromDirectory(testing::SharedDataDir() + "/tokenizer/roberta-base");
    ASSERT_TRUE(tok.ok());
    tokenizer_ = std::make_shared<const text::RobertaTokenizer>(std::move(tok).value());
    DatasetOptions d;
    d.ann_file = dir_ + "/train.json";
    d.image_dir = dir_ + "/images";
    d.train = true;
    d.transforms.scales = {96, 112};
    d.transforms.max_size = 128;
    d.transforms.crop_pre_scales = {96, 112};
    d.transforms.crop_min = 72;
    d.transforms.crop_max = 128;
    auto ds = GroundingDataset::Open(d, tokenizer_);
    ASSERT_TRUE(ds.ok()) << ds.status();
    dataset_ = *ds;
  }

  std::vector<Batch> Epoch(int workers, int64_t epoch, int64_t position) {
    LoaderOptions o;
    o.sampler = {dataset_->size(), 3, 0, 1, true, 9, true};
    o.num_workers = workers;
    Loader loader(dataset_, o);
    loader.Start(epoch, position);
    std::vector<Batch> out;
    while (auto b = loader.Next()) out.push_back(std::move(*b));
    return out;
  }

  static void ExpectSame(const Batch& a, const Batch& b) {
    ASSERT_EQ(a.position, b.position);
    ASSERT_TRUE(a.images.equal(b.images));
    ASSERT_TRUE(a.input_ids.equal(b.input_ids));
    ASSERT_EQ(a.samples.size(), b.samples.size());
    for (size_t i = 0; i < a.samples.size(); ++i) {
      EXPECT_EQ(a.samples[i].index, b.samples[i].index);
      EXPECT_TRUE(a.samples[i].boxes.equal(b.samples[i].boxes));
    }
  }

  std::string dir_;
  std::shared_ptr<const text::RobertaTokenizer> tokenizer_;
  std::shared_ptr<GroundingDataset> dataset_;
};

TEST_F(LoaderTest, SameBatchesWithOneOrThreeDecodeThreads) {
  auto one = Epoch(1, 0, 0);
  auto three = Epoch(3, 0, 0);
  ASSERT_EQ(one.size(), static_cast<size_t>(dataset_->size() / 3));
  ASSERT_EQ(one.size(), three.size());
  for (size_t i = 0; i < one.size(); ++i) ExpectSame(one[i], three[i]);
}

TEST_F(LoaderTest, StartingMidEpochContinuesTheUninterruptedStream) {
  auto full = Epoch(2, 1, 0);
  auto resumed = Epoch(2, 1, 3);
  ASSERT_EQ(resumed.size() + 3, full.size());
  for (size_t i = 0; i < resumed.size(); ++i) ExpectSame(full[i + 3], resumed[i]);
  // Another epoch is another order and other augmentations.
  auto other = Epoch(2, 2, 0);
  EXPECT_FALSE(other[0].images.sizes() == full[0].images.sizes() && other[0].images.equal(full[0].images));
}

TEST_F(LoaderTest, BoxesAreNormalisedAndSpansStayWithTheirBoxes) {
  for (const auto& batch : Epoch(2, 0, 0)) {
    for (const auto& s : batch.samples) {
      ASSERT_EQ(static_cast<size_t>(s.boxes.size(0)), s.tokens_positive.size());
      ASSERT_EQ(s.positive_map.size(0), s.boxes.size(0));
      if (s.boxes.numel() == 0) continue;
      EXPECT_GE(s.boxes.min().item<float>(), 0.0f);
      EXPECT_LE(s.boxes.max().item<float>(), 1.0f);
      // Every box's positive map is a distribution over the caption's tokens.
      EXPECT_TRUE(s.positive_map.sum(1).allclose(torch::ones({s.boxes.size(0)}), 1e-4, 1e-4));
    }
  }
}

}  // namespace
}  // namespace mdetr::grounding
