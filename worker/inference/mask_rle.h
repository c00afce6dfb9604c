// Binary masks as COCO run-length encoding, byte for byte what pycocotools' mask.encode writes:
// runs counted down the columns (Fortran order), starting with a run of zeros (possibly empty),
// and the counts compressed into its ASCII string (5 bits a character, each count after the
// second stored as the difference to the count two before). Predictions written this way are
// read by pycocotools and every COCO-style evaluator as they are.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"

namespace mdetr::inference {

struct CocoRle {
  int height = 0;
  int width = 0;
  std::string counts;  // the compressed string ("size": [height, width], "counts": counts)
};

// `mask`: height * width bytes in row-major order, non-zero = inside.
CocoRle EncodeMaskRle(const uint8_t* mask, int height, int width);

// Back to a row-major height * width mask (0/1) (datasets/eval/rle_counts.h); fails when the runs
// do not cover it exactly.
Result<std::vector<uint8_t>> DecodeMaskRle(const CocoRle& rle);

}  // namespace mdetr::inference
