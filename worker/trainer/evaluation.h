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

#include <torch/torch.h>

#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/config/experiment.h"
#include "common/status.h"
#include "datasets/grounding/collate.h"
#include "datasets/eval/clevr_templates.h"
#include "datasets/grounding/grounding_dataset.h"
#include "model/nn/mdetr.h"
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

// The labels a CLEVR question's accuracy is tallied under: its kind in the MDETR paper's table
// ("kind:count", "kind:exist", "kind:compare_number", "kind:query_attribute",
// "kind:compare_attribute") and its template family ("family:zero_hop/3").
//
// MDETR's CLEVR files (the reference's clevr_to_coco.py) keep only each question's caption and
// answer, so the family has to come from fields of CLEVR's own question files that a user copies
// into the image entries, read in this order:
//  * "template_filename" (e.g. "zero_hop.json") with "question_family_index" (the template's
//    position in that file), as the question generator writes them; or "question_family_index"
//    alone, the released CLEVR 1.0 files' index over all 90 templates (files in name order).
//    Resolved against the templates in the CLEVR_1.0_templates folder beside the annotation file;
//    kind and family are reported.
//  * "program" (the question's functional program): the kind from its last node's function.
//  * Nothing: the answer still tells count and query_attribute questions apart; the yes/no
//    questions (exist, compare_number, compare_attribute) share "kind:yes_no".
// Either every question of a file has the field used or none does.
class ClevrQuestionGroups {
 public:
  // The templates folder looked for beside `ann_file`.
  static std::string TemplatesDirFor(const std::string& ann_file);
  // Reads the fields above from every image entry of `ann_file` (streamed); the templates only
  // when some question names a family.
  static Result<ClevrQuestionGroups> Read(const std::string& ann_file);

  bool has_families() const { return has_families_; }
  // The labels of the question with this image id; `answer_type` (0 yes/no, 1 attribute,
  // 2 count) gives the kind when the file has neither families nor programs.
  const std::vector<std::string>& Of(int64_t image_id, int answer_type) const;

 private:
  bool has_families_ = false;
  std::vector<std::vector<std::string>> family_labels_;  // by template position, or one per kind
  std::unordered_map<int64_t, uint16_t> label_of_;        // image id -> index in family_labels_
};

// What an evaluation reads besides the dataset, read and checked once when the task starts, so
// that a bad input fails before training rather than at the first evaluation.
struct EvaluationInputs {
  std::shared_ptr<const ClevrQuestionGroups> clevr;  // CLEVR question answering only
};
Result<EvaluationInputs> PrepareEvaluation(const config::DatasetConfig& val, const config::ModelConfig& model);

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
