// Model outputs -> the ranked boxes of a referring expression, as the reference evaluates RefCOCO,
// RefCOCO+, RefCOCOg and CLEVR-Ref+: every query's box (PostProcess: score = 1 - p(no object),
// cx,cy,w,h -> x0,y0,x1,y1 scaled by the original image size) ranked as RefExpEvaluator ranks them
// (sorted by score, then by box, from the largest). The first box is the prediction (top-1);
// precision@1/5/10 looks at the first 1/5/10 boxes (datasets/eval/refexp_evaluator.h).
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <vector>

#include "datasets/eval/detection_matching.h"
#include "model/nn/mdetr.h"

namespace mdetr::inference {

struct RankedBox {
  float score = 0;
  eval::BoxXyxyF box;  // pixels of the original image
  int query = 0;
};

struct RefExpRanking {
  std::vector<RankedBox> boxes;  // best first
  // The same, split as RefExpEvaluator::AddImage takes them.
  std::vector<float> scores() const;
  std::vector<eval::BoxXyxyF> xyxy() const;
};

enum class RefExpScore : uint8_t {
  kDetection = 0,  // 1 - p(no object) (RefCOCO/+/g)
  kIsFinal = 1,    // that times sigmoid(is-final) (CLEVR-Ref+'s scores_refexp)
};

// Image `b` of the batch; `width`/`height`: its original size in pixels. Fails when b is out of the
// batch, the size is not positive, or kIsFinal is asked of a model without the is-final head.
Result<RefExpRanking> RankRefExpBoxes(const model::MdetrOutputs& out, int64_t b, int width, int height,
                                      RefExpScore score = RefExpScore::kDetection);

}  // namespace mdetr::inference
