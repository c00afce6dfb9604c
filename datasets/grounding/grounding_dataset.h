// Image-text pairs of an MDETR annotation file (Flickr30k, RefCOCO*, the pre-training mix, the
// synthetic data, ...) as training/evaluation samples: the decoded image through the reference's
// transforms, the caption, its boxes with the caption spans that name them, the positive map, and
// the phrases to score at evaluation (tokens_positive_eval); and, when the task needs them, the
// boxes' masks, the question's answer or the boxes' is-final flags (task_fields.h).
#pragma once

#include <torch/torch.h>

#include <memory>
#include <random>
#include <string>
#include <vector>

#include "common/status.h"
#include "datasets/annotations/coco_dataset.h"
#include "datasets/grounding/task_fields.h"
#include "datasets/grounding/transforms.h"
#include "model/text/roberta_tokenizer.h"

namespace mdetr::grounding {

struct Sample {
  int64_t index = 0;      // position in the dataset
  int64_t image_id = 0;
  // [H,W,3] uint8: the image after the transforms, before normalisation. It stays 8-bit until
  // Collate normalises it into the padded batch (one pass, a quarter of the memory while queued).
  torch::Tensor pixels;
  std::string caption;
  text::Encoding encoding;
  torch::Tensor boxes;    // [n,4] cx,cy,w,h normalised by (W,H) after the transform
  torch::Tensor positive_map;  // [n,256]
  std::vector<std::vector<text::CharSpan>> tokens_positive;
  // Evaluation: boxes in pixels of the ORIGINAL image (xyxy) and the phrases of the caption.
  int64_t orig_width = 0, orig_height = 0;
  torch::Tensor orig_boxes;  // [n,4] xyxy
  std::vector<std::vector<text::CharSpan>> eval_phrases;
  // For each box, the eval phrase it belongs to (-1 if none): phrases whose spans overlap.
  std::vector<int> box_phrase;
  // Task fields, when the dataset's TaskFieldOptions ask for them (undefined / type -1 otherwise):
  torch::Tensor masks;    // [n,H,W] bool, transformed with the boxes (segmentation)
  torch::Tensor isfinal;  // [n] float (CLEVR-Ref+)
  QaLabel answer;         // the question's answer (GQA, CLEVR)

  int64_t height() const { return pixels.size(0); }  // of the transformed image
  int64_t width() const { return pixels.size(1); }
  // [3,H,W] float, ImageNet-normalised: what the model sees of this sample (and what Collate
  // writes into the batch).
  torch::Tensor Image() const { return NormalizedFloatChw(pixels); }
};

struct DatasetOptions {
  std::string ann_file;
  std::string image_dir;
  bool train = true;
  TransformOptions transforms;
  TaskFieldOptions task;
};

class GroundingDataset {
 public:
  static Result<std::shared_ptr<GroundingDataset>> Open(const DatasetOptions& options,
                                                        std::shared_ptr<const text::RobertaTokenizer> tokenizer);
  int64_t size() const { return static_cast<int64_t>(order_.size()); }
  // Loads sample `index`; the augmentation draws come from `rng`. A missing or undecodable
  // image, or a caption over 256 tokens, is an error naming the file.
  Result<Sample> Get(int64_t index, std::mt19937_64& rng) const;
  const annotations::CocoDataset& annotations() const { return *data_; }
  const DatasetOptions& options() const { return options_; }
  // The image record of sample `index` (its annotations, caption, answer, ...).
  uint32_t image_index(int64_t index) const { return order_[static_cast<size_t>(index)]; }

 private:
  GroundingDataset(DatasetOptions options, std::shared_ptr<const annotations::CocoDataset> data,
                   std::shared_ptr<const text::RobertaTokenizer> tokenizer, TaskFields task);
  DatasetOptions options_;
  std::shared_ptr<const annotations::CocoDataset> data_;
  std::shared_ptr<const text::RobertaTokenizer> tokenizer_;
  TaskFields task_;
  std::vector<uint32_t> order_;  // image indices sorted by id, as the reference iterates
};

}  // namespace mdetr::grounding
