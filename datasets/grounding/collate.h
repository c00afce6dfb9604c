// A batch of samples: images padded to the largest (mask true on padding), captions tokenised
// with padding="longest", and the samples' targets.
#pragma once

#include <torch/torch.h>

#include <vector>

#include "datasets/grounding/grounding_dataset.h"

namespace mdetr::grounding {

struct Batch {
  torch::Tensor images;          // [B,3,H,W]
  torch::Tensor mask;            // [B,H,W] bool
  torch::Tensor input_ids;       // [B,T] int64
  torch::Tensor attention_mask;  // [B,T] int64
  std::vector<Sample> samples;   // targets, captions, encodings, evaluation fields
  int64_t epoch = 0;
  int64_t position = 0;          // index of this batch within its epoch (for resume)
  int64_t skipped = 0;           // samples dropped because their image could not be read
};

// pin_memory: allocate the batch tensors in page-locked memory, so that their copy to a GPU can run
// asynchronously (only meaningful, and only allowed, when CUDA is available).
Batch Collate(std::vector<Sample> samples, int64_t pad_id = 1, bool pin_memory = false);

// The batch tensors (images, mask, input_ids, attention_mask) on `device`, copied without blocking
// the host (asynchronous when the source is pinned). On the CPU it returns the batch unchanged.
Batch ToDevice(Batch batch, const torch::Device& device);

}  // namespace mdetr::grounding
