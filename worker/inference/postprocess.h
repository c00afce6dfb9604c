// Model outputs -> what a user reads: boxes in pixels with a score and the caption phrase each box
// was grounded to (the tokens the box's soft-token distribution puts weight on), as the authors'
// demo computes them.
#pragma once

#include <torch/torch.h>

#include <string>
#include <vector>

#include "model/nn/mdetr.h"
#include "model/text/encoding.h"

namespace mdetr::inference {

struct Detection {
  float score = 0;        // 1 - p(no object)
  float x0 = 0, y0 = 0, x1 = 0, y1 = 0;  // pixels of the original image
  std::string phrase;     // caption text of the tokens with probability > token_threshold
  int query = 0;
};

struct PostprocessOptions {
  float score_threshold = 0.7f;
  float token_threshold = 0.1f;
};

// Detections of image `b`, best first. `caption` and `encoding` are that image's.
std::vector<Detection> ExtractDetections(const model::MdetrOutputs& out, int64_t b, int image_width,
                                         int image_height, const std::string& caption,
                                         const text::Encoding& encoding, const PostprocessOptions& options);

}  // namespace mdetr::inference
