// Positive maps against MDETR's create_positive_map (reference spec §3.3) run in Python on Hugging
// Face's encodings: Flickr30k Entities phrases, LVIS category lists longer than 256 tokens, and
// random spans that start or end on whitespace, past the text, or inside multi-byte characters.
#include "model/text/positive_map.h"

#include <cmath>

#include <gtest/gtest.h>

#include "tests/text/golden_data.h"

namespace mdetr::text {
namespace {

using testing::Printable;

TEST(PositiveMapTest, MatchesTheReferenceOnEveryGolden) {
  const testing::Goldens* goldens = testing::LoadGoldens();
  const RobertaTokenizer* tokenizer = testing::LoadRobertaBase();
  ASSERT_NE(goldens, nullptr);
  ASSERT_NE(tokenizer, nullptr);
  ASSERT_GE(goldens->positive_maps.size(), 100u);
  int compared_rows = 0;
  int failures = 0;
  for (const auto& golden : goldens->positive_maps) {
    const std::string& text = goldens->captions.at(golden.caption).text;
    auto encoding = tokenizer->Encode(text);
    ASSERT_TRUE(encoding.ok()) << encoding.status();
    const std::vector<float> map = CreatePositiveMap(*encoding, golden.spans);
    ASSERT_EQ(map.size(), golden.spans.size() * kPositiveMapWidth);
    for (size_t box = 0; box < golden.rows.size(); ++box) {
      std::vector<float> expected(kPositiveMapWidth, 0.0f);
      for (const auto& [column, value] : golden.rows[box]) expected.at(column) = value;
      for (int64_t t = 0; t < kPositiveMapWidth; ++t) {
        const float ours = map[box * kPositiveMapWidth + t];
        if (std::fabs(ours - expected[t]) > 1e-6f && ++failures <= 20) {
          ADD_FAILURE() << golden.source << " " << Printable(text) << " box " << box << " token " << t
                        << ": ours " << ours << ", reference " << expected[t];
        }
      }
      ++compared_rows;
    }
  }
  EXPECT_EQ(failures, 0);
  EXPECT_GT(compared_rows, 500);
}

TEST(PositiveMapTest, RowsAreDistributionsOverTheBoxTokens) {
  const RobertaTokenizer* tokenizer = testing::LoadRobertaBase();
  ASSERT_NE(tokenizer, nullptr);
  // "A girl with brown hair": <s>=0 A=1 girl=2 with=3 brown=4 hair=5.
  auto encoding = tokenizer->Encode("A girl with brown hair");
  ASSERT_TRUE(encoding.ok());
  const auto map = CreatePositiveMap(*encoding, {{{0, 6}}, {{12, 22}}, {}});
  ASSERT_EQ(map.size(), 3u * kPositiveMapWidth);
  const float half = 1.0f / (2.0f + 1e-6f);
  for (int64_t t = 0; t < kPositiveMapWidth; ++t) {
    EXPECT_FLOAT_EQ(map[t], (t == 1 || t == 2) ? half : 0.0f) << t;
    EXPECT_FLOAT_EQ(map[kPositiveMapWidth + t], (t == 4 || t == 5) ? half : 0.0f) << t;
    EXPECT_EQ(map[2 * kPositiveMapWidth + t], 0.0f) << "a box without spans keeps a zero row";
  }
}

TEST(PositiveMapTest, FallbacksCanBeTurnedOffForTheBatchedAlignmentQuirk) {
  const RobertaTokenizer* tokenizer = testing::LoadRobertaBase();
  ASSERT_NE(tokenizer, nullptr);
  auto encoding = tokenizer->Encode("a red  ball");
  ASSERT_TRUE(encoding.ok());
  // [5, 11) starts on the first of two spaces: only the begin+2 fallback reaches "ball".
  const auto with = CreatePositiveMap(*encoding, {{{5, 11}}});
  const auto without = CreatePositiveMap(*encoding, {{{5, 11}}}, {kPositiveMapWidth, false});
  float with_sum = 0, without_sum = 0;
  for (int64_t t = 0; t < kPositiveMapWidth; ++t) {
    with_sum += with[t];
    without_sum += without[t];
  }
  EXPECT_NEAR(with_sum, 1.0f, 1e-5f);
  EXPECT_EQ(without_sum, 0.0f);
}

}  // namespace
}  // namespace mdetr::text
