// Behaviour around the parity cases: bad input is an error value, batches and threads agree with
// single-caption encoding.
#include <random>
#include <thread>

#include <gtest/gtest.h>

#include "model/text/roberta_tokenizer.h"
#include "model/text/utf8.h"
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
  auto tokenizer =
      RobertaTokenizer::FromDirectory(mdetr::testing::SharedDataDir() + "/tokenizer/roberta-base");
  ASSERT_TRUE(tokenizer.ok()) << tokenizer.status();
  constexpr int kThreads = 4;
  std::vector<int> mismatches(kThreads, 0);
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int k = 0; k < kThreads; ++k) {
    threads.emplace_back([&, k] {
      // Each thread walks the captions from a different start.
      const size_t n = goldens->captions.size();
      for (size_t i = 0; i < n; ++i) {
        const auto& golden = goldens->captions[(i + k * n / kThreads) % n];
        auto encoding = tokenizer->Encode(golden.text);
        if (!encoding.ok() || encoding->ids != golden.ids || encoding->offsets != golden.offsets)
          ++mismatches[k];
      }
    });
  }
  for (auto& t : threads) t.join();
  for (int k = 0; k < kThreads; ++k) EXPECT_EQ(mismatches[k], 0) << "thread " << k;
}

// Arbitrary bytes: either an INVALID_ARGUMENT or an encoding whose every token is a vocabulary id
// with a span inside the text, in order.
TEST(RobertaTokenizerTest, ArbitraryBytesNeverBreakTheInvariants) {
  const RobertaTokenizer* tokenizer = testing::LoadRobertaBase();
  ASSERT_NE(tokenizer, nullptr);
  std::mt19937 rng(7);
  const std::vector<std::string> atoms = {"a",  " ", "  ",     "\t",           "\n", "<mask>",   "<s>",
                                          "'s", "é", "\xC3",   "\xFF",         "日", "\xF0\x9F", "🙂",
                                          "1",  ".", "\u00a0", "\xE3\x80\x80", "<"};
  int valid = 0;
  for (int round = 0; round < 3000; ++round) {
    std::string text;
    const int n = std::uniform_int_distribution<int>(0, 40)(rng);
    for (int i = 0; i < n; ++i) {
      if (rng() % 4 == 0) {
        text.push_back(static_cast<char>(rng() % 256));
      } else {
        text += atoms[rng() % atoms.size()];
      }
    }
    auto decoded = DecodeUtf8(text);
    auto encoding = tokenizer->Encode(text);
    ASSERT_EQ(encoding.ok(), decoded.ok()) << testing::Printable(text);
    if (!encoding.ok()) {
      EXPECT_EQ(encoding.status().code(), StatusCode::kInvalidArgument);
      continue;
    }
    ++valid;
    const int64_t length = decoded->size();
    ASSERT_GE(encoding->size(), 2);
    EXPECT_EQ(encoding->ids.front(), tokenizer->bos_id());
    EXPECT_EQ(encoding->ids.back(), tokenizer->eos_id());
    int64_t previous_begin = 0;
    for (int64_t t = 1; t + 1 < encoding->size(); ++t) {
      EXPECT_GE(encoding->ids[t], 0);
      EXPECT_LT(encoding->ids[t], tokenizer->vocab_size());
      const CharSpan span = encoding->offsets[t];
      EXPECT_LE(0, span.begin);
      EXPECT_LE(span.begin, span.end);
      EXPECT_LE(span.end, length);
      EXPECT_LE(previous_begin, span.begin) << testing::Printable(text) << " token " << t;
      previous_begin = span.begin;
    }
  }
  EXPECT_GT(valid, 100);
}

TEST(RobertaTokenizerTest, LongRunsAreLinear) {
  const RobertaTokenizer* tokenizer = testing::LoadRobertaBase();
  ASSERT_NE(tokenizer, nullptr);
  // One 200k-byte piece, and 200k spaces before a word: both must finish (no quadratic blow-up).
  for (const std::string& text : {std::string(200000, 'a'), std::string(200000, ' ') + "x"}) {
    auto encoding = tokenizer->Encode(text);
    ASSERT_TRUE(encoding.ok());
    EXPECT_GT(encoding->size(), 2);
    EXPECT_EQ(encoding->offsets[encoding->size() - 2].end, static_cast<int64_t>(text.size()));
  }
}

}  // namespace
}  // namespace mdetr::text
