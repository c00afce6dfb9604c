// The reference's image + box transforms (datasets/transforms.py, make_coco_transforms with
// cautious=True, as every MDETR grounding dataset builds them):
//   train: either resize to a random scale (480..800 step 32, longer side <= 1333), or resize to
//          400/500/600, take a random crop of 384..min(side, 1333) px that keeps every box (MDETR
//          never crops a referred object out; after 100 tries the last crop is taken as it is), then
//          resize to a random scale; no horizontal flip (cautious).
//   eval:  resize to 800 (longer side <= 1333).
// then ToTensor + ImageNet normalisation, and boxes to cx,cy,w,h normalised by the final size.
// Images stay 8-bit until ToTensor and are resized with PIL's bilinear filter, as the reference
// resizes PIL images, so the pixels match the reference's exactly.
// Randomness comes from a TransformDraws source: in training a generator seeded per sample, so a
// sample's augmentation is a function of (seed, epoch, index), identical whatever the number of
// loader threads and after a resume; in parity tests the draws the reference took, replayed.
#pragma once

#include <torch/torch.h>

#include <random>
#include <string>
#include <vector>

#include "model/text/encoding.h"

namespace mdetr::grounding {

struct TransformOptions {
  std::vector<int> scales;  // train shorter-side choices; empty = 480..800 step 32
  int max_size = 1333;
  int eval_size = 800;
  std::vector<int> crop_pre_scales = {400, 500, 600};
  int crop_min = 384;
  int crop_max = 1333;  // the reference passes max_size here
};

// The random decisions of the train transform, in the order the reference takes them:
// RandomSelect's random.random(), RandomResize's random.choice, RandomSizeCrop's random.randint
// (width, then height) and RandomCrop.get_params' offsets (top, then left).
class TransformDraws {
 public:
  virtual ~TransformDraws() = default;
  virtual double Uniform() = 0;                          // [0, 1)
  virtual size_t Choice(size_t n) = 0;                   // index in [0, n)
  virtual int64_t RandInt(int64_t lo, int64_t hi) = 0;  // [lo, hi], both included
};

// Draws from a 64-bit Mersenne Twister.
class GeneratorDraws : public TransformDraws {
 public:
  explicit GeneratorDraws(std::mt19937_64& rng) : rng_(rng) {}
  double Uniform() override;
  size_t Choice(size_t n) override;
  int64_t RandInt(int64_t lo, int64_t hi) override;

 private:
  std::mt19937_64& rng_;
};

// Replays a recorded sequence. A draw of the wrong kind, a value out of the asked range or a
// sequence too short is remembered in error() (and a safe value returned), so a test can report
// where the replay diverged.
class RecordedDraws : public TransformDraws {
 public:
  enum class Kind { kUniform, kChoice, kRandInt };
  struct Draw {
    Kind kind;
    double value;  // the uniform, the chosen index, or the integer
  };
  explicit RecordedDraws(std::vector<Draw> draws) : draws_(std::move(draws)) {}
  double Uniform() override;
  size_t Choice(size_t n) override;
  int64_t RandInt(int64_t lo, int64_t hi) override;
  bool exhausted() const { return next_ == draws_.size(); }
  const std::string& error() const { return error_; }

 private:
  const Draw* Take(Kind kind, double lo, double hi);
  std::vector<Draw> draws_;
  size_t next_ = 0;
  std::string error_;
};

// An 8-bit image (uint8 [H,W,C], as decoded) with boxes in pixels (xyxy) and their caption spans.
// Optional per-box companions follow the boxes through every transform, as the reference's
// target["masks"] does: masks are resized with nearest-neighbour interpolation (then > 0.5),
// cropped with the image, and dropped with the boxes a crop drops.
struct ImageWithBoxes {
  torch::Tensor image;
  torch::Tensor boxes;  // [n,4] float xyxy pixels
  std::vector<std::vector<text::CharSpan>> spans;  // per box
  torch::Tensor masks;  // [n,H,W] bool at the image's size; undefined when not asked for
  // Per box, its position in the sample's annotation order (empty when not tracked): lets
  // per-box fields such as CLEVR-Ref+'s is-final be looked up after a crop dropped boxes.
  std::vector<int64_t> box_index;
};

// (h, w) after resizing the shorter side to `size` with the longer side capped at max_size.
std::pair<int64_t, int64_t> ResizedSize(int64_t h, int64_t w, int size, int max_size);

ImageWithBoxes Resize(const ImageWithBoxes& in, int size, int max_size);
// region: top, left, height, width. Boxes are clipped; boxes left with no area are dropped
// together with their spans.
ImageWithBoxes Crop(const ImageWithBoxes& in, int64_t top, int64_t left, int64_t height, int64_t width);

ImageWithBoxes TrainTransform(const ImageWithBoxes& in, const TransformOptions& options, TransformDraws& draws);
ImageWithBoxes TrainTransform(const ImageWithBoxes& in, const TransformOptions& options, std::mt19937_64& rng);
ImageWithBoxes EvalTransform(const ImageWithBoxes& in, const TransformOptions& options);

// uint8 [H,W,C] -> float [C,H,W] in [0,1] (torchvision's to_tensor).
torch::Tensor ToFloatChw(const torch::Tensor& image_hwc);
// ImageNet normalisation of a [3,H,W] image in [0,1].
torch::Tensor Normalize(const torch::Tensor& image);
// Normalize(ToFloatChw(image_hwc)) in one pass over the pixels, with the same float operations
// (x / 255, then (x - mean) / std) and no intermediate tensors.
torch::Tensor NormalizedFloatChw(const torch::Tensor& image_hwc);
// The same values for an 8-bit RGB image (h x w, interleaved), written into three float planes of
// out_h x out_w (at least h x w) at `out`: the image in the top-left corner, zeros elsewhere. This is
// how Collate builds a padded batch straight from the 8-bit pixels, in one pass.
void NormalizeRgbPadded(const uint8_t* rgb, int64_t h, int64_t w, float* out, int64_t out_h, int64_t out_w);
// xyxy pixels -> cx,cy,w,h divided by (w,h) of the image.
torch::Tensor NormalizedCxcywh(const torch::Tensor& boxes_xyxy, int64_t height, int64_t width);

}  // namespace mdetr::grounding
