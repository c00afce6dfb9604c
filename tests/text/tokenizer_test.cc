// Behaviour around the parity cases: bad input is an error value, batches and threads agree with
// single-caption encoding.
#include "model/text/roberta_tokenizer.h"

#include <gtest/gtest.h>

#include <thread>

#include "tests/support/test_paths.h"
#include "tests/text/golden_data.h"

namespace mdetr::text {
namespace {

TEST(RobertaTokenizerTest, InvalidUtf8IsAnErrorNamingTheByte) {
  const RobertaTokenizer* tokenizer = testing::LoadRobertaBase();
  ASSERT_NE(tokenizer, nullptr);
  for (const std::string& bad : {std::string("ab\xC3"), std::string("a\xFF"), std::string("\xED\xA0\x80"),
                                std::string("\xC0\xAF"), std::string("x\xE2\x82")}) {
    auto result = tokenizer->Encode(bad);
    ASSERT_FALSE(result.ok()) << testing::Printable(bad);
    EXPECT_EQ(result.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(result.status().message().find("not valid UTF-8: byte"), std::string::npos) << result.status();
  }
  auto batch = tokenizer->EncodeBatch({"fine", "also fine", "bad \xFF"});
  ASSERT_FALSE(batch.ok());
  EXPECT_NE(batch.status().message().find("caption 2 of the batch"), std::string::npos) << batch.status();
}

TEST(RobertaTokenizerTest, EmptyBatchHasNoRows) {
  const RobertaTokenizer* tokenizer = testing::LoadRobertaBase();
  ASSERT_NE(tokenizer, nullptr);
  auto batch = tokenizer->EncodeBatch({});
  ASSERT_TRUE(batch.ok());
  EXPECT_EQ(batch->batch_size, 0);
  EXPECT_EQ(batch->length, 0);
  EXPECT_TRUE(batch->input_ids.empty());
  EXPECT_FALSE(batch->CharToToken(0, 0).has_value());
}

TEST(RobertaTokenizerTest, ConcurrentEncodingMatchesTheGoldens) {
  const testing::Goldens* goldens = testing::LoadGoldens();
  ASSERT_NE(goldens, nullptr);
  // A fresh tokenizer, so the threads fill its piece cache concurrently.
  auto tokenizer = RobertaTokenizer::FromDirectory(mdetr::testing::SharedDataDir() + "/tokenizer/roberta-base");
  ASSERT_TRUE(tokenizer.ok()) << tokenizer.status();
  constexpr int kThreads = 4;
  std::vector<int> mismatches(kThreads, 0);
  std::vector<std::thread> threads;
  for (int k = 0; k < kThreads; ++k) {
    threads.emplace_back([&, k] {
      // Each thread walks the captions from a different start.
      const size_t n = goldens->captions.size();
      for (size_t i = 0; i < n; ++i) {
        const auto& golden = goldens->captions[(i + k * n / kThreads) % n];
        auto encoding = tokenizer->Encode(golden.text);
        if (!encoding.ok() || encoding->ids != golden.ids || encoding->offsets != golden.offsets) ++mismatches[k];
      }
    });
  }
  for (auto& t : threads) t.join();
  for (int k = 0; k < kThreads; ++k) EXPECT_EQ(mismatches[k], 0) << "thread " << k;
}

}  // namespace
}  // namespace mdetr::text
