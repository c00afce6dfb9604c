// Ground truth of the segmentation goldens (tools/parity/model/make_segm_goldens.py): boxes,
// caption spans, positive maps from our tokenizer, and masks.
#pragma once

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "model/objective/target.h"
#include "model/text/positive_map.h"
#include "model/text/roberta_tokenizer.h"
#include "tests/model/segmentation_fixture.h"

namespace mdetr::objective {

inline const std::vector<std::string>& SegmCaptions() {
  static const std::vector<std::string> captions = {
      "two cats lying on a pink blanket next to two remote controls",
      "A man in a blue shirt is standing on a ladder cleaning windows.",
  };
  return captions;
}

struct SegmBatch {
  std::vector<Target> targets;
  std::vector<text::Encoding> encodings;
};

inline SegmBatch SegmTargets(const testing::SegmGoldens& g) {
  SegmBatch batch;
  auto tok = text::RobertaTokenizer::FromDirectory("../shared/data/tokenizer/roberta-base");
  if (!tok.ok()) throw std::runtime_error(tok.status().ToString());
  for (size_t b = 0; b < SegmCaptions().size(); ++b) {
    auto enc = tok->Encode(SegmCaptions()[b]);
    if (!enc.ok()) throw std::runtime_error(enc.status().ToString());
    Target t;
    const std::string p = "target." + std::to_string(b) + ".";
    t.boxes = g(p + "boxes");
    t.masks = g(p + "masks");
    const auto spans = g(p + "spans");
    t.tokens_positive.resize(static_cast<size_t>(t.boxes.size(0)));
    for (int64_t s = 0; s < spans.size(0); ++s) {
      t.tokens_positive[static_cast<size_t>(spans[s][0].item<int64_t>())].push_back(
          {spans[s][1].item<int64_t>(), spans[s][2].item<int64_t>()});
    }
    auto map = text::CreatePositiveMap(*enc, t.tokens_positive);
    t.positive_map = torch::from_blob(map.data(), {t.boxes.size(0), 256}, torch::kFloat32).clone();
    batch.targets.push_back(t);
    batch.encodings.push_back(*enc);
  }
  return batch;
}

}  // namespace mdetr::objective
