#include "common/store/keys.h"

namespace mdetr::store {

std::string JoinKey(std::initializer_list<std::string_view> parts) {
  std::string key;
  for (std::string_view part : parts) {
    if (!key.empty()) key.push_back(kKeySeparator);
    key.append(part);
  }
  return key;
}

std::string KeyWithNumber(std::string_view prefix, uint64_t value) {
  std::string key(prefix);
  for (int shift = 56; shift >= 0; shift -= 8) key.push_back(static_cast<char>((value >> shift) & 0xff));
  return key;
}

Result<uint64_t> NumberAtEnd(std::string_view key) {
  if (key.size() < 8)
    return InvalidArgumentError("key of " + std::to_string(key.size()) + " bytes has no number");
  uint64_t value = 0;
  for (size_t i = key.size() - 8; i < key.size(); ++i)
    value = (value << 8) | static_cast<unsigned char>(key[i]);
  return value;
}

}  // namespace mdetr::store
