#include "common/ids.h"

#include <ctime>
#include <random>

#include <fmt/format.h>

namespace mdetr {

uint64_t StableHash64(std::string_view data) {
  uint64_t hash = 0xcbf29ce484222325ULL;
  for (unsigned char c : data) {
    hash ^= c;
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

std::string NewId(std::string_view prefix, const Clock& clock) {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  const std::time_t seconds = static_cast<std::time_t>(clock.WallMillis() / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  return fmt::format("{}-{:04d}{:02d}{:02d}-{:06x}", prefix, utc.tm_year + 1900, utc.tm_mon + 1,
                     utc.tm_mday, rng() & 0xffffffULL);
}

std::string StableId(std::string_view prefix, std::string_view content) {
  return fmt::format("{}-{:012x}", prefix, StableHash64(content) & 0xffffffffffffULL);
}

bool IsValidId(std::string_view id) {
  if (id.size() < 3 || id.size() > 64) return false;
  if (!(id[0] >= 'a' && id[0] <= 'z')) return false;
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
    if (!ok) return false;
  }
  return true;
}

}  // namespace mdetr
