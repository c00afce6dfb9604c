#include "datasets/eval/rle_counts.h"

namespace mdetr::eval {

Result<std::vector<uint32_t>> RleCountsFromString(const std::string& counts) {
  std::vector<int64_t> runs;
  size_t p = 0;
  while (p < counts.size()) {
    int64_t x = 0;
    int k = 0;
    bool more = true;
    while (more) {
      if (p >= counts.size()) return InvalidArgumentError("RLE counts end inside a number");
      const int64_t c = static_cast<int64_t>(static_cast<unsigned char>(counts[p])) - 48;
      if (c < 0 || c > 63 || k > 12) {
        return InvalidArgumentError("RLE counts: character " + std::to_string(p) + " is not a count digit");
      }
      x |= (c & 0x1f) << (5 * k);
      more = (c & 0x20) != 0;
      ++p;
      ++k;
      if (!more && (c & 0x10)) x |= static_cast<int64_t>(-1) * (int64_t{1} << (5 * k));
    }
    if (runs.size() > 2) x += runs[runs.size() - 2];
    if (x < 0) return InvalidArgumentError("RLE counts: run " + std::to_string(runs.size()) + " is negative");
    runs.push_back(x);
  }
  return std::vector<uint32_t>(runs.begin(), runs.end());
}

Result<std::vector<uint8_t>> MaskFromRleCounts(const std::vector<uint32_t>& runs, int height, int width) {
  const size_t n = static_cast<size_t>(height) * static_cast<size_t>(width);
  std::vector<uint8_t> column_major;
  column_major.reserve(n);
  uint8_t v = 0;
  for (uint32_t r : runs) {
    if (column_major.size() + r > n) return InvalidArgumentError("RLE runs cover more than the mask's size");
    column_major.insert(column_major.end(), r, v);
    v ^= 1;
  }
  if (column_major.size() != n) {
    return InvalidArgumentError("RLE runs cover " + std::to_string(column_major.size()) + " pixels of " +
                                std::to_string(n));
  }
  std::vector<uint8_t> mask(n);
  for (int x = 0; x < width; ++x) {
    for (int y = 0; y < height; ++y) {
      mask[static_cast<size_t>(y) * static_cast<size_t>(width) + static_cast<size_t>(x)] =
          column_major[static_cast<size_t>(x) * static_cast<size_t>(height) + static_cast<size_t>(y)];
    }
  }
  return mask;
}

}  // namespace mdetr::eval
