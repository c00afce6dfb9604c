// Mask post-processing against the reference's PostProcessSegm, fed the reference's own
// pred_masks (tools/parity/model/make_segm_goldens.py): the binary masks at the requested sizes.
#include <gtest/gtest.h>

#include "tests/model/segmentation_fixture.h"
#include "worker/inference/segm_postprocess.h"

namespace mdetr::inference {
namespace {

std::vector<ImageSize> Sizes(const torch::Tensor& t) {
  std::vector<ImageSize> out;
  for (int64_t b = 0; b < t.size(0); ++b) out.push_back({t[b][0].item<int64_t>(), t[b][1].item<int64_t>()});
  return out;
}

TEST(SegmentationPostprocessTest, BinaryMasksMatchTheReference) {
  testing::SegmGoldens g;
  const auto input_sizes = Sizes(g("post.input_sizes"));
  const auto orig_sizes = Sizes(g("post.orig_sizes"));
  ASSERT_NE(input_sizes[0].height, input_sizes[1].height);  // exercises the per-image crop
  auto masks = PostprocessMasks(g("out.pred_masks"), input_sizes, orig_sizes);
  ASSERT_TRUE(masks.ok()) << masks.status();
  ASSERT_EQ(masks->size(), 2u);
  for (size_t b = 0; b < 2; ++b) {
    const auto ref = g("post." + std::to_string(b) + ".masks").squeeze(1).to(torch::kBool);
    const auto& ours = (*masks)[b];
    ASSERT_EQ(ours.sizes(), ref.sizes()) << b;
    EXPECT_EQ(ours.size(1), orig_sizes[b].height);
    EXPECT_EQ(ours.size(2), orig_sizes[b].width);
    EXPECT_EQ(ours.ne(ref).sum().item<int64_t>(), 0) << "image " << b;
    // Not a trivial answer: some pixels on, some off.
    EXPECT_GT(ref.sum().item<int64_t>(), 0);
    EXPECT_LT(ref.sum().item<int64_t>(), ref.numel());
  }
}

TEST(SegmentationPostprocessTest, UnionKeepsOnlyConfidentQueries) {
  auto masks = torch::zeros({3, 2, 2}, torch::kBool);
  masks[0][0][0] = true;
  masks[1][1][1] = true;
  masks[2][0][1] = true;
  const auto u = UnionOfConfidentMasks(masks, torch::tensor({0.9f, 0.2f, 0.71f}));
  EXPECT_TRUE(u.equal(torch::tensor({true, true, false, false}).view({2, 2})));
  EXPECT_FALSE(UnionOfConfidentMasks(masks, torch::tensor({0.1f, 0.2f, 0.3f})).any().item<bool>());
}

TEST(SegmentationPostprocessTest, BadSizesAreErrorsNotCrashes) {
  const auto logits = torch::zeros({2, 3, 4, 4});
  auto r = PostprocessMasks(logits, {{16, 16}}, {{16, 16}});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("for a batch of 2"), std::string::npos) << r.status();
  EXPECT_FALSE(PostprocessMasks(logits, {{16, 16}, {0, 16}}, {{8, 8}, {8, 8}}).ok());
  EXPECT_FALSE(PostprocessMasks(torch::zeros({2, 3}), {{16, 16}, {16, 16}}, {{8, 8}, {8, 8}}).ok());
}

}  // namespace
}  // namespace mdetr::inference
