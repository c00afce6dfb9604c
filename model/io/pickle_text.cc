#include "model/io/pickle_text.h"

namespace mdetr::io::pickle {

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xc0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xe0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else {
    out->push_back(static_cast<char>(0xf0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3f)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  }
}

bool DecodeRawUnicodeEscape(const std::string& in, std::string* out) {
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '\\' && i + 1 < in.size() && (in[i + 1] == 'u' || in[i + 1] == 'U')) {
      size_t digits = in[i + 1] == 'u' ? 4 : 8;
      if (i + 2 + digits > in.size()) return false;
      uint32_t cp = 0;
      for (size_t k = 0; k < digits; ++k) {
        char c = in[i + 2 + k];
        int v = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                       : -1;
        if (v < 0) return false;
        cp = cp * 16 + static_cast<uint32_t>(v);
      }
      if (cp > 0x10ffff) return false;
      AppendUtf8(cp, out);
      i += 1 + digits;
    } else {
      AppendUtf8(static_cast<uint8_t>(in[i]), out);
    }
  }
  return true;
}

std::string Python3Module(const std::string& module) {
  if (module == "__builtin__") return "builtins";
  if (module == "copy_reg") return "copyreg";
  return module;
}

}  // namespace mdetr::io::pickle
