// Malformed vocab.json / merges.txt files are errors that name the file, the line (and column) and
// what was expected, never a crash or a silently broken tokenizer.
#include "model/text/vocab_files.h"

#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "model/text/byte_level.h"
#include "model/text/roberta_tokenizer.h"
#include "tests/support/test_paths.h"

namespace mdetr::text {
namespace {

using ::testing::HasSubstr;

std::string WriteFile(const std::string& dir, const std::string& name, const std::string& content) {
  std::string path = dir + "/" + name;
  std::ofstream(path, std::ios::binary) << content;
  return path;
}

void ExpectInvalid(const Status& status, const std::string& where, const std::string& what) {
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << status;
  EXPECT_THAT(status.message(), HasSubstr(where));
  EXPECT_THAT(status.message(), HasSubstr(what));
}

TEST(VocabularyJsonTest, ReadsTheRobertaBaseVocabulary) {
  auto vocab = ReadVocabularyJson(mdetr::testing::SharedDataDir() + "/tokenizer/roberta-base/vocab.json");
  ASSERT_TRUE(vocab.ok()) << vocab.status();
  EXPECT_EQ(vocab->size(), 50265u);
  EXPECT_EQ(vocab->at("<mask>"), 50264);
  EXPECT_EQ(vocab->at("Ġ\""), 22);  // written with a \" escape in the file
}

TEST(VocabularyJsonTest, DecodesEscapes) {
  auto vocab =
      ParseVocabularyJson(R"({"a\"b": 0, "\\": 1, "\u0120x": 2, "\ud83d\ude42": 3, "\n\t/\/": 4})", "v.json");
  ASSERT_TRUE(vocab.ok()) << vocab.status();
  EXPECT_EQ(vocab->at("a\"b"), 0);
  EXPECT_EQ(vocab->at("\\"), 1);
  EXPECT_EQ(vocab->at("Ġx"), 2);
  EXPECT_EQ(vocab->at("🙂"), 3);
  EXPECT_EQ(vocab->at("\n\t//"), 4);
}

TEST(VocabularyJsonTest, MalformedFilesNameLineColumnAndExpectation) {
  ExpectInvalid(ParseVocabularyJson("", "v.json").status(), "v.json:1:1", "expected '{'");
  ExpectInvalid(ParseVocabularyJson("[1, 2]", "v.json").status(), "v.json:1:1", "expected '{'");
  ExpectInvalid(ParseVocabularyJson("{\"a\": 0,\n \"b\" 1}", "v.json").status(), "v.json:2:6",
                "expected ':'");
  ExpectInvalid(ParseVocabularyJson("{\"a\": 0,\n\"b\": -1}", "v.json").status(), "v.json:2:6",
                "expected a non-negative integer id");
  ExpectInvalid(ParseVocabularyJson("{\"a\": 1.5}", "v.json").status(), "v.json:1:7",
                "expected a non-negative integer id");
  ExpectInvalid(ParseVocabularyJson("{\"a\": 99999999999}", "v.json").status(), "v.json:1:7", "below 2^31");
  ExpectInvalid(ParseVocabularyJson("{\"a\": 0 \"b\": 1}", "v.json").status(), "v.json:1:9",
                "expected ',' or '}'");
  ExpectInvalid(ParseVocabularyJson("{\"a\": 0, \"a\": 1}", "v.json").status(), "v.json:1:10",
                "appears twice");
  ExpectInvalid(ParseVocabularyJson("{\"a\": 0, \"b\": 0}", "v.json").status(), "v.json:1:10",
                "id 0 of \"b\" is already used by \"a\"");
  ExpectInvalid(ParseVocabularyJson("{\"a", "v.json").status(), "v.json:1:4", "closing the token");
  ExpectInvalid(ParseVocabularyJson("{\"\\x\": 0}", "v.json").status(), "v.json:1:4", "expected one of");
  ExpectInvalid(ParseVocabularyJson("{\"\\ud83d\": 0}", "v.json").status(), "v.json", "low surrogate");
  ExpectInvalid(ParseVocabularyJson("{\"a\": 0} x", "v.json").status(), "v.json:1:10", "end of the file");
  ExpectInvalid(ParseVocabularyJson("{}", "v.json").status(), "v.json", "at least one token");
  ExpectInvalid(ParseVocabularyJson("{\"a\xFF\": 0}", "v.json").status(), "v.json:1:4", "not valid UTF-8");
}

TEST(MergesTest, ReadsTheGpt2MergeList) {
  auto merges = ReadMerges(mdetr::testing::SharedDataDir() + "/tokenizer/roberta-base/merges.txt");
  ASSERT_TRUE(merges.ok()) << merges.status();
  ASSERT_EQ(merges->size(), 50000u);
  EXPECT_EQ(merges->front().left, "Ġ");
  EXPECT_EQ(merges->front().right, "t");
  EXPECT_EQ(merges->front().line, 2);  // after the #version line
}

TEST(MergesTest, MalformedLinesNameTheLine) {
  ExpectInvalid(ParseMerges("#version: 0.2\na b\nc d e\n", "m.txt").status(), "m.txt:3",
                "two tokens separated by one space");
  ExpectInvalid(ParseMerges("a b\n\nc d\n", "m.txt").status(), "m.txt:2", "two tokens");
  ExpectInvalid(ParseMerges("a  b\n", "m.txt").status(), "m.txt:1", "two tokens");
  ExpectInvalid(ParseMerges("ab\n", "m.txt").status(), "m.txt:1", "found \"ab\"");
  ExpectInvalid(ParseMerges("#version: 0.2\n", "m.txt").status(), "m.txt", "at least one merge");
  auto crlf = ParseMerges("#version: 0.2\r\na b\r\n", "m.txt");
  ASSERT_TRUE(crlf.ok()) << crlf.status();
  EXPECT_EQ(crlf->at(0).right, "b");
}

TEST(RobertaTokenizerFilesTest, MissingFileIsNotFound) {
  auto result = RobertaTokenizer::FromDirectory("/nonexistent/tokenizer");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(result.status().message(), HasSubstr("/nonexistent/tokenizer/vocab.json"));
}

// A vocabulary with every byte-level character, the special tokens and `extra` tokens.
std::string ByteLevelVocabJson(const std::vector<std::string>& extra, bool with_mask = true) {
  std::string json = "{\"<s>\": 0, \"<pad>\": 1, \"</s>\": 2, \"<unk>\": 3";
  int id = 4;
  for (int b = 0; b < 256; ++b) {
    const std::string token = ToByteLevel(std::string(1, static_cast<char>(b)));
    json += ", \"" +
            (token == "\""   ? std::string("\\\"")
             : token == "\\" ? std::string("\\\\")
                             : token) +
            "\": " + std::to_string(id++);
  }
  for (const auto& token : extra) json += ", \"" + token + "\": " + std::to_string(id++);
  if (with_mask) json += ", \"<mask>\": " + std::to_string(id++);
  return json + "}";
}

TEST(RobertaTokenizerFilesTest, MergesMustUseVocabularyTokens) {
  const std::string dir = mdetr::testing::MakeTempDir("text-test");
  const std::string vocab = WriteFile(dir, "vocab.json", ByteLevelVocabJson({"ab"}));
  ASSERT_TRUE(RobertaTokenizer::FromFiles(vocab, WriteFile(dir, "ok.txt", "#version: 0.2\na b\n")).ok());
  ExpectInvalid(
      RobertaTokenizer::FromFiles(vocab, WriteFile(dir, "m1.txt", "#version: 0.2\na b\nab zz\n")).status(),
      dir + "/m1.txt:3", "token \"zz\" is not in the vocabulary");
  ExpectInvalid(RobertaTokenizer::FromFiles(vocab, WriteFile(dir, "m2.txt", "a b\nb c\n")).status(),
                dir + "/m2.txt:2", "merged token \"bc\" is not in the vocabulary");
}

TEST(RobertaTokenizerFilesTest, VocabularyNeedsEveryByteAndTheSpecialTokens) {
  const std::string dir = mdetr::testing::MakeTempDir("text-test");
  const std::string merges = WriteFile(dir, "merges.txt", "a b\n");
  ExpectInvalid(
      RobertaTokenizer::FromFiles(WriteFile(dir, "v1.json", ByteLevelVocabJson({"ab"}, false)), merges)
          .status(),
      "", "no special token \"<mask>\"");
  ExpectInvalid(
      RobertaTokenizer::FromFiles(WriteFile(dir, "v2.json", "{\"a\": 0, \"b\": 1, \"ab\": 2}"), merges)
          .status(),
      "", "a byte-level vocabulary needs all 256");
}

}  // namespace
}  // namespace mdetr::text
