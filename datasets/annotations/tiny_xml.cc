#include "datasets/annotations/tiny_xml.h"

#include <cctype>

namespace mdetr::annotations::xml {
namespace {

class Parser {
 public:
  Parser(const std::string& text, const std::string& source) : s_(text), source_(source) {}

  Result<std::unique_ptr<Element>> Document() {
    SkipMisc();
    if (pos_ >= s_.size() || s_[pos_] != '<') return Error("expected the root element");
    auto root = ParseElement(0);
    if (!root.ok()) return root.status();
    SkipMisc();
    if (pos_ != s_.size()) return Error("unexpected content after the root element");
    return root;
  }

 private:
  Status Error(const std::string& what) const {
    return InvalidArgumentError(source_ + ": byte " + std::to_string(pos_) + ": " + what);
  }

  bool StartsWith(const char* prefix) const {
    return s_.compare(pos_, std::char_traits<char>::length(prefix), prefix) == 0;
  }

  void SkipSpace() {
    while (pos_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[pos_]))) ++pos_;
  }

  // Skips whitespace, comments, <?...?> declarations and <!DOCTYPE ...>.
  void SkipMisc() {
    while (true) {
      SkipSpace();
      if (StartsWith("<!--")) {
        const size_t end = s_.find("-->", pos_ + 4);
        pos_ = end == std::string::npos ? s_.size() : end + 3;
      } else if (StartsWith("<?") || StartsWith("<!")) {
        const size_t end = s_.find('>', pos_);
        pos_ = end == std::string::npos ? s_.size() : end + 1;
      } else {
        return;
      }
    }
  }

  std::string Name() {
    const size_t start = pos_;
    while (pos_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[pos_])) || s_[pos_] == '_' ||
                                s_[pos_] == '-' || s_[pos_] == '.' || s_[pos_] == ':')) {
      ++pos_;
    }
    return s_.substr(start, pos_ - start);
  }

  void AppendText(size_t start, size_t end, std::string* out) {
    for (size_t i = start; i < end; ++i) {
      if (s_[i] != '&') {
        out->push_back(s_[i]);
        continue;
      }
      static const struct {
        const char* entity;
        char c;
      } kEntities[] = {{"&lt;", '<'}, {"&gt;", '>'}, {"&amp;", '&'}, {"&quot;", '"'}, {"&apos;", '\''}};
      bool matched = false;
      for (const auto& e : kEntities) {
        const size_t n = std::char_traits<char>::length(e.entity);
        if (s_.compare(i, n, e.entity) == 0) {
          out->push_back(e.c);
          i += n - 1;
          matched = true;
          break;
        }
      }
      if (!matched) out->push_back('&');
    }
  }

  static std::string Trim(const std::string& t) {
    size_t b = 0;
    size_t e = t.size();
    while (b < e && std::isspace(static_cast<unsigned char>(t[b]))) ++b;
    while (e > b && std::isspace(static_cast<unsigned char>(t[e - 1]))) --e;
    return t.substr(b, e - b);
  }

  Result<std::unique_ptr<Element>> ParseElement(int depth) {
    if (depth > 64) return Error("elements nested too deeply");
    ++pos_;  // '<'
    auto element = std::make_unique<Element>();
    element->name = Name();
    if (element->name.empty()) return Error("expected an element name");
    // Attributes are not needed by any reader; skip to the end of the tag, respecting quotes.
    char quote = 0;
    while (pos_ < s_.size() && (quote != 0 || (s_[pos_] != '>' && !StartsWith("/>")))) {
      if (quote != 0 && s_[pos_] == quote) {
        quote = 0;
      } else if (quote == 0 && (s_[pos_] == '"' || s_[pos_] == '\'')) {
        quote = s_[pos_];
      }
      ++pos_;
    }
    if (pos_ >= s_.size()) return Error("unterminated tag <" + element->name + ">");
    if (StartsWith("/>")) {
      pos_ += 2;
      return element;
    }
    ++pos_;  // '>'
    std::string text;
    while (true) {
      const size_t start = pos_;
      while (pos_ < s_.size() && s_[pos_] != '<') ++pos_;
      AppendText(start, pos_, &text);
      if (pos_ >= s_.size()) return Error("missing </" + element->name + ">");
      if (StartsWith("<!--") || StartsWith("<?")) {
        SkipMisc();
        continue;
      }
      if (StartsWith("</")) {
        pos_ += 2;
        const std::string closing = Name();
        SkipSpace();
        if (closing != element->name || pos_ >= s_.size() || s_[pos_] != '>') {
          return Error("expected </" + element->name + ">");
        }
        ++pos_;
        element->text = Trim(text);
        return element;
      }
      auto child = ParseElement(depth + 1);
      if (!child.ok()) return child.status();
      element->children.push_back(std::move(child).value());
    }
  }

  const std::string& s_;
  const std::string& source_;
  size_t pos_ = 0;
};

}  // namespace

std::vector<const Element*> Element::All(const std::string& tag) const {
  std::vector<const Element*> out;
  for (const auto& c : children) {
    if (c->name == tag) out.push_back(c.get());
  }
  return out;
}

const Element* Element::First(const std::string& tag) const {
  for (const auto& c : children) {
    if (c->name == tag) return c.get();
  }
  return nullptr;
}

Result<std::unique_ptr<Element>> Parse(const std::string& text, const std::string& source) {
  return Parser(text, source).Document();
}

}  // namespace mdetr::annotations::xml
