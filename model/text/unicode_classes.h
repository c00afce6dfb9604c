// The three character classes of the GPT-2 pre-tokenisation regex, over all of Unicode:
// \p{L} (general category L*), \p{N} (N*) and \s (the White_Space property, which is what the
// Oniguruma engine behind Hugging Face's tokenizers matches for \s).
#pragma once

namespace mdetr::text {

bool IsLetter(char32_t cp);
bool IsNumber(char32_t cp);
bool IsWhitespace(char32_t cp);

}  // namespace mdetr::text
