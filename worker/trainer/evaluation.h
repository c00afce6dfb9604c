// The evaluation a validation set asks for, chosen by its data.val[].name, each merged over the
// ranks through the collective and reported as flat metric names in the eval events:
//   refcoco, refcoco+, refcocog, synthetic_refexp (the synthetic data's refexp files)
//                                precision@1, @5, @10 (RefExpEvaluator; GIoU >= 0.5 among the top k
//                                boxes); another group of the file as "<group>/precision@k"
//   clevr_ref                    the same over expressions with one box (CLEVR-Ref+ protocol),
//                                scored with is-final when the model predicts it
//   phrasecut                    mean_iou, cum_iou, precision@0.5 .. @0.9 of the masks (the boxes'
//                                when the model has no mask head), box_mean_iou, box_precision@k
//   gqa                          accuracy, accuracy_answer_type, accuracy_<type> per answer type
//   clevr                        the same with CLEVR's answer types, and accuracy_kind/<kind> and
//                                accuracy_family/<family> (ClevrQuestionGroups); a model without
//                                QA heads (CLEVR's detection-only first step): phrase recall
//   anything else                the phrase recall@k of Flickr30k-style files (R@1/5/10)
// Every data.val entry is evaluated; the metrics of entry i > 0 carry ValidationPrefixes()'s prefix.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "common/config/experiment.h"
#include "common/status.h"
#include "datasets/grounding/collate.h"
#include "datasets/grounding/grounding_dataset.h"
#include "model/nn/mdetr.h"
#include "worker/trainer/clevr_question_groups.h"
#include "worker/trainer/collective.h"

namespace mdetr::trainer {

class TaskEvaluation {
 public:
  virtual ~TaskEvaluation() = default;
  // One batch's outputs (float32) on this rank.
  virtual Status Add(const model::MdetrOutputs& out, const grounding::Batch& batch) = 0;
  // Every rank calls it once, after its last batch: the metrics over all ranks' batches.
  virtual Result<std::map<std::string, double>> Finish(Collective& collective) = 0;
};

// What an evaluation reads besides the dataset, read and checked once when the task starts, so
// that a bad input fails before training rather than at the first evaluation.
struct EvaluationInputs {
  std::shared_ptr<const ClevrQuestionGroups> clevr;  // CLEVR question answering only
};
Result<EvaluationInputs> PrepareEvaluation(const config::DatasetConfig& val,
                                           const config::ModelConfig& model);

// `val_set` and `inputs` must outlive the evaluation.
Result<std::unique_ptr<TaskEvaluation>> MakeTaskEvaluation(const config::DatasetConfig& val,
                                                           const config::ModelConfig& model,
                                                           const grounding::GroundingDataset& val_set,
                                                           const EvaluationInputs& inputs);

// The prefix of each data.val entry's metric names: "" for the first (its metrics keep their
// names, which run.best_metric and dashboards use), "<ann_file stem>/" for the others, made
// unique with "#<i>" when a stem is already taken ("val#2/").
std::vector<std::string> ValidationPrefixes(const std::vector<config::DatasetConfig>& val);

// Every rank's `bytes`, by rank, on every rank (an all-gather over the collective's sum).
Result<std::vector<std::string>> AllGatherBytes(Collective& collective, const std::string& bytes);

}  // namespace mdetr::trainer
