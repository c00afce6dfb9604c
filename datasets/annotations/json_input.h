// The bytes of a JSON file, with the SIMDJSON_PADDING readable bytes simdjson needs after them.
// Large files are memory-mapped (no copy, no fresh anonymous pages) whenever the zero-filled tail
// of the last page already provides the padding; otherwise they are read into a padded buffer.
// Internal to the readers.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include <simdjson.h>

#include "common/status.h"

namespace mdetr::annotations {

class JsonInput {
 public:
  JsonInput() = default;
  explicit JsonInput(std::string_view bytes) : padded_(bytes) {}
  ~JsonInput() { Release(); }
  JsonInput(const JsonInput&) = delete;
  JsonInput& operator=(const JsonInput&) = delete;
  JsonInput(JsonInput&& other) noexcept { *this = std::move(other); }
  JsonInput& operator=(JsonInput&& other) noexcept;

  static Result<JsonInput> Load(const std::string& path);

  const uint8_t* data() const {
    return mapped_ != nullptr ? static_cast<const uint8_t*>(mapped_)
                              : reinterpret_cast<const uint8_t*>(padded_.data());
  }
  size_t size() const { return mapped_ != nullptr ? mapped_size_ : padded_.size(); }
  // Frees the bytes early (a DOM keeps its own copy of everything it needs).
  void Release();

 private:
  simdjson::padded_string padded_;
  void* mapped_ = nullptr;
  size_t mapped_size_ = 0;    // file size
  size_t mapped_length_ = 0;  // length of the mapping
};

}  // namespace mdetr::annotations
