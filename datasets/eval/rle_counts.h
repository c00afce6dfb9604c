// COCO run lengths, the torch-free part of the format: the compressed counts string of
// pycocotools (rleFrString) and the row-major mask the runs describe. Runs go down the columns
// (Fortran order), alternating 0s and 1s, the first run counting 0s (possibly none).
// worker/inference/mask_rle.h writes and reads predicted masks with these.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"

namespace mdetr::eval {

// The run lengths a counts string holds: per count, 5-bit groups from '0', least significant
// first, 0x20 marking a following group and 0x10 in the last one the sign; from the third count
// on, each is stored as its difference to the count two before.
Result<std::vector<uint32_t>> RleCountsFromString(const std::string& counts);

// The row-major height * width mask (0/1) of `runs`; fails when they do not cover it exactly.
Result<std::vector<uint8_t>> MaskFromRleCounts(const std::vector<uint32_t>& runs, int height, int width);

}  // namespace mdetr::eval
