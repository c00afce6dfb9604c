// The reference's image + box transforms (datasets/transforms.py, make_coco_transforms):
//   train: either resize to a random scale (480..800 step 32, longer side <= 1333), or resize to
//          400/500/600, take a random crop of 384..600 px that keeps every box ("cautious": MDETR
//          never crops a referred object out), then resize to a random scale; no horizontal flip.
//   eval:  resize to 800 (longer side <= 1333).
// then ToTensor + ImageNet normalisation, and boxes to cx,cy,w,h normalised by the final size.
// Randomness comes from an explicit generator, so a sample's augmentation is a function of
// (seed, epoch, index): identical whatever the number of loader threads, and after a resume.
#pragma once

#include <torch/torch.h>

#include <random>
#include <vector>

#include "model/text/encoding.h"

namespace mdetr::grounding {

struct TransformOptions {
  std::vector<int> scales;  // train shorter-side choices; empty = 480..800 step 32
  int max_size = 1333;
  int eval_size = 800;
  std::vector<int> crop_pre_scales = {400, 500, 600};
  int crop_min = 384;
  int crop_max = 600;  // the reference passes max_size (1333) here; crops are bounded by the image anyway
};

// An image (float [3,H,W] in [0,1]) with boxes in pixels (xyxy) and their caption spans.
struct ImageWithBoxes {
  torch::Tensor image;
  torch::Tensor boxes;  // [n,4] float xyxy pixels
  std::vector<std::vector<text::CharSpan>> spans;  // per box
};

// (h, w) after resizing the shorter side to `size` with the longer side capped at max_size.
std::pair<int64_t, int64_t> ResizedSize(int64_t h, int64_t w, int size, int max_size);

ImageWithBoxes Resize(const ImageWithBoxes& in, int size, int max_size);
// region: top, left, height, width. Boxes are clipped; boxes left with no area are dropped
// together with their spans.
ImageWithBoxes Crop(const ImageWithBoxes& in, int64_t top, int64_t left, int64_t height, int64_t width);

ImageWithBoxes TrainTransform(const ImageWithBoxes& in, const TransformOptions& options, std::mt19937_64& rng);
ImageWithBoxes EvalTransform(const ImageWithBoxes& in, const TransformOptions& options);

// ImageNet normalisation of a [3,H,W] image in [0,1].
torch::Tensor Normalize(const torch::Tensor& image);
// xyxy pixels -> cx,cy,w,h divided by (w,h) of the image.
torch::Tensor NormalizedCxcywh(const torch::Tensor& boxes_xyxy, int64_t height, int64_t width);

}  // namespace mdetr::grounding
