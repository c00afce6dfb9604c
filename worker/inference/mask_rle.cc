#include "worker/inference/mask_rle.h"

#include "datasets/eval/rle_counts.h"

namespace mdetr::inference {

CocoRle EncodeMaskRle(const uint8_t* mask, int height, int width) {
  CocoRle rle{height, width, {}};
  std::vector<int64_t> runs;
  uint8_t current = 0;
  int64_t run = 0;
  for (int x = 0; x < width; ++x) {
    for (int y = 0; y < height; ++y) {
      const uint8_t v =
          mask[static_cast<size_t>(y) * static_cast<size_t>(width) + static_cast<size_t>(x)] != 0;
      if (v != current) {
        runs.push_back(run);
        run = 0;
        current = v;
      }
      ++run;
    }
  }
  runs.push_back(run);
  for (size_t i = 0; i < runs.size(); ++i) {
    int64_t x = runs[i];
    if (i > 2) x -= runs[i - 2];
    bool more = true;
    while (more) {
      int64_t c = x & 0x1f;
      x >>= 5;  // arithmetic: negative differences end in all-ones
      more = (c & 0x10) ? x != -1 : x != 0;
      if (more) c |= 0x20;
      rle.counts.push_back(static_cast<char>(c + 48));
    }
  }
  return rle;
}

Result<std::vector<uint8_t>> DecodeMaskRle(const CocoRle& rle) {
  MDETR_ASSIGN_OR_RETURN(std::vector<uint32_t> runs, eval::RleCountsFromString(rle.counts));
  return eval::MaskFromRleCounts(runs, rle.height, rle.width);
}

}  // namespace mdetr::inference
