// Parity with Hugging Face's RobertaTokenizerFast (the tokenizer MDETR runs) on the captions of
// tests/data/tokenizer/roberta_goldens.json: real captions from Flickr30k, GQA, VQA, LVIS and CLEVR
// plus generated Unicode, whitespace, punctuation and special-token cases.
#include <map>
#include <sstream>

#include <gtest/gtest.h>

#include "tests/text/golden_data.h"

namespace mdetr::text {
namespace {

using testing::GoldenCaption;
using testing::Goldens;
using testing::Printable;

std::string Join(const std::vector<int64_t>& v) {
  std::ostringstream out;
  for (size_t i = 0; i < v.size(); ++i) out << (i ? "," : "") << v[i];
  return out.str();
}

std::string Join(const std::vector<CharSpan>& v) {
  std::ostringstream out;
  for (size_t i = 0; i < v.size(); ++i) out << (i ? " " : "") << "(" << v[i].begin << "," << v[i].end << ")";
  return out.str();
}

class TokenizerParityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    goldens_ = testing::LoadGoldens();
    tokenizer_ = testing::LoadRobertaBase();
    ASSERT_NE(goldens_, nullptr);
    ASSERT_NE(tokenizer_, nullptr);
  }

  const Goldens* goldens_ = nullptr;
  const RobertaTokenizer* tokenizer_ = nullptr;
};

TEST_F(TokenizerParityTest, KnownIdsFromTheDataReadme) {
  auto a = tokenizer_->Encode("A, <mask> AllenNLP sentence.");
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->ids, (std::vector<int64_t>{0, 250, 6, 50264, 3823, 487, 21992, 3645, 4, 2}));
  auto b = tokenizer_->Encode("Hello world! cécé herlolip");
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(b->ids, (std::vector<int64_t>{0, 31414, 232, 328, 740, 1140, 12695, 69, 46078, 1588, 2}));
}

TEST_F(TokenizerParityTest, SpecialTokenIdsAreRobertaBase) {
  EXPECT_EQ(tokenizer_->vocab_size(), 50265);
  EXPECT_EQ(tokenizer_->bos_id(), 0);
  EXPECT_EQ(tokenizer_->pad_id(), 1);
  EXPECT_EQ(tokenizer_->eos_id(), 2);
  EXPECT_EQ(tokenizer_->unk_id(), 3);
  EXPECT_EQ(tokenizer_->mask_id(), 50264);
  EXPECT_EQ(tokenizer_->IdToToken(5), "Ġthe");
  EXPECT_EQ(tokenizer_->TokenToId("Ġthe"), 5);
}

TEST_F(TokenizerParityTest, IdsAndOffsetsMatchForEveryCaption) {
  ASSERT_GE(goldens_->captions.size(), 1000u);
  std::map<std::string, int> checked;
  int failures = 0;
  for (const GoldenCaption& golden : goldens_->captions) {
    auto encoding = tokenizer_->Encode(golden.text);
    ASSERT_TRUE(encoding.ok()) << Printable(golden.text) << ": " << encoding.status();
    ++checked[golden.source];
    if (encoding->ids != golden.ids || encoding->offsets != golden.offsets) {
      if (++failures <= 20) {
        ADD_FAILURE() << golden.source << " caption " << Printable(golden.text) << "\n  ids ours "
                      << Join(encoding->ids) << "\n  ids HF   " << Join(golden.ids) << "\n  offsets ours "
                      << Join(encoding->offsets) << "\n  offsets HF   " << Join(golden.offsets);
      }
    }
  }
  EXPECT_EQ(failures, 0) << "captions that differ from Hugging Face";
  // Every kind of caption took part.
  for (const char* source :
       {"flickr30k", "gqa", "vqav2", "lvis", "clevr", "handmade", "generated", "random_code_points"}) {
    EXPECT_GT(checked[source], 0) << source;
  }
}

TEST_F(TokenizerParityTest, CharToTokenAndTokenToCharsMatchForEveryCaption) {
  int failures = 0;
  for (const GoldenCaption& golden : goldens_->captions) {
    auto encoding = tokenizer_->Encode(golden.text);
    ASSERT_TRUE(encoding.ok()) << encoding.status();
    for (size_t c = 0; c < golden.char_to_token.size(); ++c) {
      const int64_t ours = encoding->CharToToken(static_cast<int64_t>(c)).value_or(-1);
      if (ours != golden.char_to_token[c] && ++failures <= 20) {
        ADD_FAILURE() << Printable(golden.text) << " char_to_token(" << c << "): ours " << ours << ", HF "
                      << golden.char_to_token[c];
      }
    }
    std::vector<int64_t> none;
    for (int64_t t = 0; t < encoding->size(); ++t) {
      auto span = encoding->TokenToChars(t);
      if (!span) {
        none.push_back(t);
      } else if (t < static_cast<int64_t>(golden.offsets.size()) && !(*span == golden.offsets[t]) &&
                 ++failures <= 20) {
        ADD_FAILURE() << Printable(golden.text) << " token_to_chars(" << t << ") differs from the offsets";
      }
    }
    if (none != golden.token_to_chars_none && ++failures <= 20) {
      ADD_FAILURE() << Printable(golden.text) << " tokens without chars: ours " << Join(none) << ", HF "
                    << Join(golden.token_to_chars_none);
    }
    EXPECT_FALSE(encoding->CharToToken(-1).has_value());
  }
  EXPECT_EQ(failures, 0);
}

TEST_F(TokenizerParityTest, BatchesArePaddedToTheLongestCaption) {
  for (const auto& golden : goldens_->batches) {
    std::vector<std::string> texts;
    for (int i : golden.captions) texts.push_back(goldens_->captions.at(i).text);
    auto batch = tokenizer_->EncodeBatch(texts);
    ASSERT_TRUE(batch.ok()) << batch.status();
    ASSERT_EQ(batch->batch_size, static_cast<int64_t>(texts.size()));
    ASSERT_EQ(batch->length, static_cast<int64_t>(golden.input_ids.at(0).size()));
    for (int64_t b = 0; b < batch->batch_size; ++b) {
      const std::vector<int64_t> ids(batch->input_ids.begin() + b * batch->length,
                                     batch->input_ids.begin() + (b + 1) * batch->length);
      const std::vector<int64_t> mask(batch->attention_mask.begin() + b * batch->length,
                                      batch->attention_mask.begin() + (b + 1) * batch->length);
      EXPECT_EQ(ids, golden.input_ids[b]) << "row " << b << " " << Printable(texts[b]);
      EXPECT_EQ(mask, golden.attention_mask[b]) << "row " << b;
      // Padding is appended, so the batched char -> token lookups equal the single caption's.
      const GoldenCaption& caption = goldens_->captions.at(golden.captions[b]);
      for (size_t c = 0; c < caption.char_to_token.size(); ++c) {
        EXPECT_EQ(batch->CharToToken(b, static_cast<int64_t>(c)).value_or(-1), caption.char_to_token[c]);
      }
      // Pads (and the </s> before them) have no characters.
      for (int64_t t = static_cast<int64_t>(caption.ids.size()) - 1; t < batch->length; ++t) {
        EXPECT_FALSE(batch->TokenToChars(b, t).has_value());
      }
    }
  }
}

TEST_F(TokenizerParityTest, TokenLimitIsAnErrorOnlyWhenAsked) {
  int long_captions = 0;
  for (const GoldenCaption& golden : goldens_->captions) {
    const auto size = static_cast<int64_t>(golden.ids.size());
    if (size <= 256) continue;
    ++long_captions;
    auto unlimited = tokenizer_->Encode(golden.text);
    ASSERT_TRUE(unlimited.ok());
    EXPECT_EQ(unlimited->ids, golden.ids) << "no truncation without a limit";
    auto limited = tokenizer_->Encode(golden.text, {256});
    ASSERT_FALSE(limited.ok());
    EXPECT_EQ(limited.status().code(), StatusCode::kOutOfRange);
    EXPECT_NE(limited.status().message().find(std::to_string(size) + " tokens"), std::string::npos)
        << limited.status();
    EXPECT_TRUE(tokenizer_->Encode(golden.text, {size}).ok());
    auto batch = tokenizer_->EncodeBatch({"a dog", golden.text}, {256});
    ASSERT_FALSE(batch.ok());
    EXPECT_NE(batch.status().message().find("caption 1"), std::string::npos) << batch.status();
  }
  EXPECT_GT(long_captions, 0) << "the goldens should hold captions over MDETR's 256 slots";
}

}  // namespace
}  // namespace mdetr::text
