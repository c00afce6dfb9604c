#include "model/text/vocab_files.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "model/text/utf8.h"

namespace mdetr::text {
namespace {

Result<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFoundError(path + ": cannot open: " + std::strerror(errno));
  std::ostringstream content;
  content << in.rdbuf();
  if (in.bad()) return DataLossError(path + ": read failed");
  return content.str();
}

// A recursive-descent reader for the one shape vocab.json has: {"token": id, ...}. A dedicated
// reader (instead of a general JSON library) reports line:column and the expected token.
class VocabularyJsonParser {
 public:
  VocabularyJsonParser(std::string_view text, const std::string& source) : text_(text), source_(source) {}

  Result<Vocabulary> Parse() {
    size_t bad_byte = 0;
    if (auto error = FindInvalidUtf8(text_, &bad_byte)) {
      pos_ = bad_byte;
      return Error("the file is not valid UTF-8: " + *error);
    }
    Vocabulary vocab;
    std::unordered_map<int32_t, std::string> token_of_id;
    SkipSpace();
    if (!Consume('{')) return Error("expected '{' opening the token -> id object");
    SkipSpace();
    if (Consume('}')) return Finish(std::move(vocab));
    while (true) {
      SkipSpace();
      const size_t key_pos = pos_;
      std::string token;
      MDETR_RETURN_IF_ERROR(ParseString(&token));
      SkipSpace();
      if (!Consume(':')) return Error("expected ':' after the token");
      SkipSpace();
      int32_t id;
      MDETR_RETURN_IF_ERROR(ParseId(&id));
      if (vocab.count(token)) {
        pos_ = key_pos;
        return Error("token \"" + token + "\" appears twice");
      }
      if (auto it = token_of_id.find(id); it != token_of_id.end()) {
        pos_ = key_pos;
        return Error("id " + std::to_string(id) + " of \"" + token + "\" is already used by \"" + it->second +
                     "\"");
      }
      token_of_id.emplace(id, token);
      vocab.emplace(std::move(token), id);
      SkipSpace();
      if (Consume(',')) continue;
      if (Consume('}')) return Finish(std::move(vocab));
      return Error("expected ',' or '}' after the id");
    }
  }

 private:
  Result<Vocabulary> Finish(Vocabulary vocab) {
    SkipSpace();
    if (pos_ != text_.size()) return Error("expected the end of the file after the closing '}'");
    if (vocab.empty()) return Error("expected at least one token");
    return vocab;
  }

  Status ParseString(std::string* out) {
    if (!Consume('"')) return Error("expected a token in double quotes");
    while (true) {
      if (pos_ >= text_.size()) return Error("expected '\"' closing the token, found the end of the file");
      const char c = text_[pos_];
      if (c == '"') {
        ++pos_;
        return Status::Ok();
      }
      if (static_cast<unsigned char>(c) < 0x20)
        return Error("expected an escape (\\n, \\u...) for a control character");
      if (c != '\\') {
        out->push_back(c);
        ++pos_;
        continue;
      }
      if (++pos_ >= text_.size()) return Error("expected an escape after '\\'");
      const char e = text_[pos_++];
      switch (e) {
        case '"':
          out->push_back('"');
          break;
        case '\\':
          out->push_back('\\');
          break;
        case '/':
          out->push_back('/');
          break;
        case 'b':
          out->push_back('\b');
          break;
        case 'f':
          out->push_back('\f');
          break;
        case 'n':
          out->push_back('\n');
          break;
        case 'r':
          out->push_back('\r');
          break;
        case 't':
          out->push_back('\t');
          break;
        case 'u': {
          char32_t cp;
          MDETR_RETURN_IF_ERROR(ParseUnicodeEscape(&cp));
          AppendUtf8(cp, out);
          break;
        }
        default:
          --pos_;
          return Error(std::string("expected one of \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u, found \\") + e);
      }
    }
  }

  // After "\u": four hex digits, and for a high surrogate a second "\uDC00".."\uDFFF".
  Status ParseUnicodeEscape(char32_t* cp) {
    uint32_t unit;
    MDETR_RETURN_IF_ERROR(ParseHex4(&unit));
    if (unit >= 0xDC00 && unit <= 0xDFFF)
      return Error("expected a high surrogate before a low surrogate escape");
    if (unit >= 0xD800 && unit <= 0xDBFF) {
      if (text_.substr(pos_, 2) != "\\u") return Error("expected a low surrogate escape \\uDC00..\\uDFFF");
      pos_ += 2;
      uint32_t low;
      MDETR_RETURN_IF_ERROR(ParseHex4(&low));
      if (low < 0xDC00 || low > 0xDFFF) return Error("expected a low surrogate escape \\uDC00..\\uDFFF");
      unit = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
    }
    *cp = unit;
    return Status::Ok();
  }

  Status ParseHex4(uint32_t* out) {
    *out = 0;
    for (int k = 0; k < 4; ++k, ++pos_) {
      if (pos_ >= text_.size()) return Error("expected 4 hex digits after \\u");
      const char h = text_[pos_];
      uint32_t digit;
      if (h >= '0' && h <= '9') {
        digit = h - '0';
      } else if (h >= 'a' && h <= 'f') {
        digit = h - 'a' + 10;
      } else if (h >= 'A' && h <= 'F') {
        digit = h - 'A' + 10;
      } else {
        return Error("expected 4 hex digits after \\u");
      }
      *out = *out * 16 + digit;
    }
    return Status::Ok();
  }

  Status ParseId(int32_t* id) {
    const size_t start = pos_;
    int64_t value = 0;
    while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') {
      value = value * 10 + (text_[pos_] - '0');
      if (value > INT32_MAX) {
        pos_ = start;
        return Error("expected an id below 2^31");
      }
      ++pos_;
    }
    const bool leading_zero = pos_ - start > 1 && text_[start] == '0';
    const bool fraction =
        pos_ < text_.size() && (text_[pos_] == '.' || text_[pos_] == 'e' || text_[pos_] == 'E');
    if (pos_ == start || leading_zero || fraction) {
      pos_ = start;
      return Error("expected a non-negative integer id");
    }
    *id = static_cast<int32_t>(value);
    return Status::Ok();
  }

  bool Consume(char c) {
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }

  void SkipSpace() {
    while (pos_ < text_.size() &&
           (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\n' || text_[pos_] == '\r')) {
      ++pos_;
    }
  }

  Status Error(const std::string& what) const {
    int line = 1;
    size_t line_start = 0;
    for (size_t i = 0; i < pos_ && i < text_.size(); ++i) {
      if (text_[i] == '\n') {
        ++line;
        line_start = i + 1;
      }
    }
    return InvalidArgumentError(source_ + ":" + std::to_string(line) + ":" +
                                std::to_string(pos_ - line_start + 1) + ": " + what);
  }

  std::string_view text_;
  const std::string& source_;
  size_t pos_ = 0;
};

}  // namespace

Result<Vocabulary> ParseVocabularyJson(std::string_view content, const std::string& source) {
  return VocabularyJsonParser(content, source).Parse();
}

Result<std::vector<MergeRule>> ParseMerges(std::string_view content, const std::string& source) {
  std::vector<MergeRule> merges;
  int line_number = 0;
  size_t pos = 0;
  while (pos < content.size()) {
    size_t eol = content.find('\n', pos);
    if (eol == std::string_view::npos) eol = content.size();
    std::string_view line = content.substr(pos, eol - pos);
    pos = eol + 1;
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.substr(0, 8) == "#version") continue;
    const size_t space = line.find(' ');
    if (space == std::string_view::npos || space == 0 || space + 1 == line.size() ||
        line.find(' ', space + 1) != std::string_view::npos) {
      return InvalidArgumentError(
          source + ":" + std::to_string(line_number) +
          ": expected a merge \"<left> <right>\" (two tokens separated by one space), found \"" +
          std::string(line.substr(0, 80)) + "\"");
    }
    merges.push_back({std::string(line.substr(0, space)), std::string(line.substr(space + 1)), line_number});
  }
  if (merges.empty()) return InvalidArgumentError(source + ": expected at least one merge, found none");
  return merges;
}

Result<Vocabulary> ReadVocabularyJson(const std::string& path) {
  MDETR_ASSIGN_OR_RETURN(std::string content, ReadFile(path));
  return ParseVocabularyJson(content, path);
}

Result<std::vector<MergeRule>> ReadMerges(const std::string& path) {
  MDETR_ASSIGN_OR_RETURN(std::string content, ReadFile(path));
  return ParseMerges(content, path);
}

}  // namespace mdetr::text
