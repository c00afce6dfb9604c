// Text conventions of old pickle protocols: protocol 0's raw-unicode-escape strings and the
// Python 2 module names that protocols 0-2 write.
#pragma once

#include <cstdint>
#include <string>

namespace mdetr::io::pickle {

void AppendUtf8(uint32_t cp, std::string* out);
// Protocol 0 UNICODE text: bytes are Latin-1 code points, except \uXXXX and \UXXXXXXXX escapes.
// False on a malformed escape.
bool DecodeRawUnicodeEscape(const std::string& in, std::string* out);
// Protocols 0-2 spell some modules the Python 2 way (pickle's fix_imports); the Python 3 names.
std::string Python3Module(const std::string& module);

}  // namespace mdetr::io::pickle
