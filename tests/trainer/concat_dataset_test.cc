// Several grounding datasets read as one: sizes add up, index i past the first part is the second
// part's sample i - size(first), the loader's sampler covers every sample of both, and a loader
// resumed at a batch position continues the same epoch.
#include "datasets/grounding/concat_dataset.h"

#include <set>

#include <gtest/gtest.h>

#include "datasets/grounding/loader.h"
#include "datasets/synthetic/generator.h"
#include "tests/support/test_paths.h"

namespace mdetr::grounding {
namespace {

class ConcatDatasetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto tok = text::RobertaTokenizer::FromDirectory(testing::SharedDataDir() + "/tokenizer/roberta-base");
    ASSERT_TRUE(tok.ok());
    tokenizer_ = std::make_shared<const text::RobertaTokenizer>(std::move(tok).value());
    first_ = Make(10, 3);
    second_ = Make(6, 4);
    ASSERT_TRUE(first_ && second_);
  }

  std::shared_ptr<const GroundingDataset> Make(int images, uint64_t seed) {
    const std::string dir = testing::MakeTempDir("concat");
    synthetic::SyntheticOptions o;
    o.out_dir = dir;
    o.num_images = images;
    o.seed = seed;
    EXPECT_TRUE(synthetic::GenerateSyntheticDataset(o).ok());
    DatasetOptions d;
    d.ann_file = dir + "/train.json";
    d.image_dir = dir + "/images";
    d.train = false;
    d.transforms.eval_size = 64;
    d.transforms.max_size = 96;
    auto ds = GroundingDataset::Open(d, tokenizer_);
    EXPECT_TRUE(ds.ok()) << ds.status();
    return ds.ok() ? *ds : nullptr;
  }

  std::shared_ptr<const text::RobertaTokenizer> tokenizer_;
  std::shared_ptr<const GroundingDataset> first_, second_;
};

TEST_F(ConcatDatasetTest, IndicesRunThroughThePartsInOrder) {
  ConcatDataset both({first_, second_});
  ASSERT_GT(first_->size(), 0);
  ASSERT_GT(second_->size(), 0);
  EXPECT_EQ(both.size(), first_->size() + second_->size());
  EXPECT_EQ(both.num_parts(), 2u);
  std::mt19937_64 rng(1);
  for (int64_t i : {int64_t{0}, first_->size() - 1, first_->size(), both.size() - 1}) {
    const size_t p = i < first_->size() ? 0 : 1;
    EXPECT_EQ(both.PartOf(i), p) << i;
    const auto& part = p == 0 ? *first_ : *second_;
    auto ours = both.Get(i, rng);
    auto direct = part.Get(p == 0 ? i : i - first_->size(), rng);
    ASSERT_TRUE(ours.ok()) << ours.status();
    ASSERT_TRUE(direct.ok()) << direct.status();
    EXPECT_EQ(ours->index, i);
    EXPECT_EQ(ours->image_id, direct->image_id);
    EXPECT_EQ(ours->caption, direct->caption);
    EXPECT_TRUE(ours->pixels.equal(direct->pixels));
  }
  EXPECT_FALSE(both.Get(both.size(), rng).ok());
  EXPECT_FALSE(both.Get(-1, rng).ok());
}

TEST_F(ConcatDatasetTest, TheSamplerCoversEverySampleOfBothParts) {
  auto both = std::make_shared<const ConcatDataset>(
      std::vector<std::shared_ptr<const GroundingDataset>>{first_, second_});
  LoaderOptions o;
  o.sampler = {both->size(), 2, 0, 1, /*shuffle=*/true, 7, /*drop_last=*/false};
  o.num_workers = 2;
  Loader loader(both, o);
  EXPECT_EQ(loader.batches_per_epoch(), (both->size() + 1) / 2);
  loader.Start(0, 0);
  std::multiset<std::pair<int64_t, std::string>> seen, expected;
  while (auto b = loader.Next()) {
    for (const auto& s : b->samples) seen.insert({s.image_id, s.caption});
  }
  std::mt19937_64 rng(1);
  for (const auto* part : {first_.get(), second_.get()}) {
    for (int64_t i = 0; i < part->size(); ++i) {
      auto s = part->Get(i, rng);
      ASSERT_TRUE(s.ok());
      expected.insert({s->image_id, s->caption});
    }
  }
  EXPECT_EQ(seen, expected);
}

TEST_F(ConcatDatasetTest, ALoaderStartedMidEpochContinuesTheSameBatches) {
  // The resume position counts batches of the concatenation, as for one dataset.
  auto both = std::make_shared<const ConcatDataset>(
      std::vector<std::shared_ptr<const GroundingDataset>>{first_, second_});
  LoaderOptions o;
  o.sampler = {both->size(), 3, 0, 1, /*shuffle=*/true, 7, /*drop_last=*/true};
  o.num_workers = 2;
  auto epoch = [&](int64_t position) {
    Loader loader(both, o);
    loader.Start(/*epoch=*/1, position);
    std::vector<std::vector<int64_t>> ids;
    while (auto b = loader.Next()) {
      ids.emplace_back();
      for (const auto& s : b->samples) ids.back().push_back(s.index);
    }
    return ids;
  };
  const auto full = epoch(0);
  ASSERT_EQ(static_cast<int64_t>(full.size()), both->size() / 3);
  const auto tail = epoch(2);
  ASSERT_EQ(tail.size(), full.size() - 2);
  for (size_t i = 0; i < tail.size(); ++i) EXPECT_EQ(tail[i], full[i + 2]) << "batch " << i + 2;
}

}  // namespace
}  // namespace mdetr::grounding
