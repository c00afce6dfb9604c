// MDETR's training objective (the reference's SetCriterion): soft-token cross-entropy with a
// down-weighted "no object" slot, L1 and GIoU on matched boxes, the query<->token contrastive
// alignment loss, the is-final loss, and the same losses on every auxiliary decoder layer
// ("_0", "_1", ... suffixes), all normalised by the number of boxes averaged over ranks. With masks,
// the focal and dice mask losses of the last layer (model/objective/mask_losses.h).
#pragma once

#include <torch/torch.h>

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "common/config/experiment.h"
#include "common/status.h"
#include "model/nn/mdetr.h"
#include "model/objective/hungarian_matcher.h"
#include "model/objective/target.h"
#include "model/text/encoding.h"

namespace mdetr::objective {

using LossDict = std::map<std::string, torch::Tensor>;

struct CriterionOptions {
  double eos_coef = 0.1;
  double temperature = 0.07;
  bool contrastive_align = true;
  bool isfinal = false;
  bool masks = false;     // loss_mask and loss_dice on the last layer (segmentation model)
  bool aux_loss = true;  // also every intermediate decoder layer
  MatcherWeights matcher;
  // Averages the local box count over ranks (sum / world size); identity on one process.
  std::function<double(double)> average_over_ranks;
};

CriterionOptions CriterionOptionsFrom(const config::ModelConfig& model, const config::LossConfig& loss);

struct CriterionResult {
  LossDict losses;                          // unweighted terms, aux layers suffixed "_i"
  std::vector<MatchIndices> last_layer_match;
  double num_boxes = 0;
};

class SetCriterion {
 public:
  explicit SetCriterion(CriterionOptions options);
  // `text` is the batch's tokenisation (for the contrastive alignment's char -> token lookups).
  Result<CriterionResult> operator()(const model::MdetrOutputs& out, const std::vector<Target>& targets,
                                     const std::vector<text::Encoding>& text) const;

  // Individual terms for one decoder layer (exposed for tests).
  torch::Tensor LossLabels(const torch::Tensor& logits, const std::vector<Target>& targets,
                           const torch::Tensor& positive_map, const std::vector<MatchIndices>& match,
                           double num_boxes) const;
  std::pair<torch::Tensor, torch::Tensor> LossBoxes(const torch::Tensor& boxes, const std::vector<Target>& targets,
                                                    const std::vector<MatchIndices>& match, double num_boxes) const;
  torch::Tensor LossContrastiveAlign(const torch::Tensor& proj_queries, const torch::Tensor& proj_tokens,
                                     const std::vector<Target>& targets, const std::vector<text::Encoding>& text,
                                     const std::vector<MatchIndices>& match, double num_boxes) const;
  torch::Tensor Cardinality(const torch::Tensor& logits, const std::vector<Target>& targets) const;

 private:
  CriterionOptions opt_;
  HungarianMatcher matcher_;
};

// The reference's weight dictionary: loss name -> coefficient, including every "_i" aux copy.
std::map<std::string, double> WeightDict(const config::ModelConfig& model, const config::LossConfig& loss);

// sum_k losses[k] * weights[k] over the keys present in both.
torch::Tensor WeightedTotal(const LossDict& losses, const std::map<std::string, double>& weights);

}  // namespace mdetr::objective
