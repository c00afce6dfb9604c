// COCO polygon rasterisation, pixel for pixel as pycocotools (frPyObjects / rleFrPoly): the mask
// the MDETR reference trains on (ConvertCocoPolysToMask). It differs from Pillow's fill
// (polygon_raster.h) along the outline: the outline is traced on a 5x finer integer grid and a
// pixel is inside when its centre lies below an odd number of the traced column crossings.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "datasets/eval/polygon_raster.h"

namespace mdetr::eval {

// A mask as COCO's uncompressed run lengths: column-major, alternating runs of 0s and 1s, the
// first run counting 0s (possibly 0). The runs add up to height * width.
struct CocoRle {
  int height = 0;
  int width = 0;
  std::vector<uint32_t> counts;
};

// The run lengths pycocotools gives for one polygon `xy` = x0, y0, x1, y1, ... (num_coords
// numbers, an odd last one ignored) on a height x width image; the same counts as
// frPyObjects([xy], height, width), zero-length runs merged as it does. Vertices may lie outside
// the image. Coordinates beyond +-1e6 pixels (or not finite) are clamped to that range: pycocotools'
// integer conversion is undefined there.
CocoRle CocoPolygonToRle(const double* xy, size_t num_coords, int height, int width);

// Sets to 1 the pixels of `mask` inside the polygon as above, leaving the others as they are:
// filling the polygons of an annotation one after another gives their union, as decoding
// frPyObjects(polygons) and taking any() over them.
void RasterizePolygonCoco(const double* xy, size_t num_coords, BinaryMask* mask);

}  // namespace mdetr::eval
