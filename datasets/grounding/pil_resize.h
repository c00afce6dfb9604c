// Bilinear resizing of 8-bit images exactly as PIL's Image.resize(size, BILINEAR) computes it: the
// reference resizes PIL images (torchvision F.resize on a PIL image), so the pixels a model sees only
// match the reference's if the filter support, the 22-bit fixed-point weights and the rounding of the
// separate horizontal and vertical passes are the same. Both passes produce uint8, as PIL's do.
// The horizontal pass runs first, as in every Pillow release before 13; Pillow 13 runs the vertical
// pass first when the height shrinks significantly more than the width (python-pillow/Pillow#9549),
// which rounds the intermediate image differently. The MDETR transforms keep the aspect ratio, so
// they never resize that way and match Pillow 13 too (tests/grounding/transform_parity_test.cc).
#pragma once

#include <cstdint>

namespace mdetr::grounding {

// `in` is height x width x channels interleaved uint8; `out` receives out_height x out_width x channels.
void PilBilinearResize(const uint8_t* in, int64_t height, int64_t width, int64_t channels, int64_t out_height,
                       int64_t out_width, uint8_t* out);

}  // namespace mdetr::grounding
