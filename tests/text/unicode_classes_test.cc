// The letter / number / whitespace classes of the GPT-2 pre-tokeniser, for every code point, against
// the classes Hugging Face's pre-tokenizer showed when probed on each one (tools/parity/tokenizer).
#include "model/text/unicode_classes.h"

#include <gtest/gtest.h>

#include "tests/text/golden_data.h"

namespace mdetr::text {
namespace {

TEST(UnicodeClassesTest, MatchThePreTokenizerOnEveryCodePoint) {
  const testing::Goldens* goldens = testing::LoadGoldens();
  ASSERT_NE(goldens, nullptr);
  struct Class {
    const char* name;
    bool (*ours)(char32_t);
  };
  for (const Class& c :
       {Class{"letter", IsLetter}, Class{"number", IsNumber}, Class{"whitespace", IsWhitespace}}) {
    ASSERT_TRUE(goldens->unicode_classes.count(c.name)) << c.name;
    const testing::CodePointRanges& expected = goldens->unicode_classes.at(c.name);
    int mismatches = 0;
    int members = 0;
    // Walk the ranges and the gaps between them, so each code point is looked up once.
    char32_t cp = 0;
    for (size_t r = 0; r <= expected.size(); ++r) {
      const char32_t gap_end = r < expected.size() ? expected[r].first : 0x110000;
      for (; cp < gap_end; ++cp) {
        if (cp >= 0xD800 && cp <= 0xDFFF) continue;
        if (c.ours(cp) && ++mismatches <= 10)
          ADD_FAILURE() << c.name << ": U+" << std::hex << cp << " is not one";
      }
      if (r == expected.size()) break;
      for (; cp <= expected[r].second; ++cp) {
        ++members;
        if (!c.ours(cp) && ++mismatches <= 10)
          ADD_FAILURE() << c.name << ": U+" << std::hex << cp << " is one";
      }
    }
    EXPECT_EQ(mismatches, 0) << c.name;
    EXPECT_GT(members, 0) << c.name;
  }
}

}  // namespace
}  // namespace mdetr::text
