#include "datasets/annotations/json_input.h"

#include <utility>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace mdetr::annotations {

JsonInput& JsonInput::operator=(JsonInput&& other) noexcept {
  if (this != &other) {
    Release();
    padded_ = std::move(other.padded_);
    mapped_ = std::exchange(other.mapped_, nullptr);
    mapped_size_ = std::exchange(other.mapped_size_, 0);
    mapped_length_ = std::exchange(other.mapped_length_, 0);
  }
  return *this;
}

void JsonInput::Release() {
  if (mapped_ != nullptr) munmap(mapped_, mapped_length_);
  mapped_ = nullptr;
  mapped_size_ = mapped_length_ = 0;
  padded_ = simdjson::padded_string();
}

Result<JsonInput> JsonInput::Load(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return NotFoundError(path + ": cannot open file");
  struct stat st {};
  const bool stat_ok = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
  const auto size = static_cast<size_t>(stat_ok ? st.st_size : 0);
  const auto page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  const size_t tail = size % page;
  JsonInput input;
  if (stat_ok && size > 0 && tail != 0 && page - tail >= simdjson::SIMDJSON_PADDING) {
    void* p = mmap(nullptr, size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
    if (p != MAP_FAILED) {
      input.mapped_ = p;
      input.mapped_size_ = size;
      input.mapped_length_ = size;
    }
  }
  close(fd);
  if (input.mapped_ != nullptr) return input;
  auto code = simdjson::padded_string::load(path).get(input.padded_);
  if (code != simdjson::SUCCESS)
    return NotFoundError(path + ": cannot read (" + simdjson::error_message(code) + ")");
  return input;
}

}  // namespace mdetr::annotations
