// A batch's ground truth in the form the objective takes it: per image the boxes, positive map and
// spans, plus the masks (segmentation) and is-final flags (CLEVR-Ref+) the dataset attached; and
// the batch's answers for the QA criterion (GQA / CLEVR), one question per image.
#pragma once

#include <torch/torch.h>

#include <vector>

#include "common/config/experiment.h"
#include "common/status.h"
#include "datasets/grounding/collate.h"
#include "model/objective/qa_losses.h"
#include "model/objective/target.h"

namespace mdetr::trainer {

// What the model needs of the data, from its config: masks, the QA dataset, is-final.
grounding::TaskFieldOptions TaskFieldsFor(const config::ModelConfig& model);

// Fails, naming the sample's image id, when the model needs masks or is-final flags a sample
// does not carry.
Result<std::vector<objective::Target>> BuildTargets(const grounding::Batch& batch, const config::ModelConfig& model,
                                                    const torch::Device& device);

// The reference's answer tensors for QaCriterion (model.qa_dataset set), on `device`.
Result<objective::QaTargets> BuildQaTargets(const grounding::Batch& batch, const config::ModelConfig& model,
                                            const torch::Device& device);

}  // namespace mdetr::trainer
