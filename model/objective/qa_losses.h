// MDETR's question-answering objective (the reference's QACriterionGQA and QACriterionClevr):
// the answer-type cross-entropy and, per answer type, the loss of that type's head on the questions
// of that type only, summed and divided by their count (1 when the batch has none). Also the
// accuracies the reference logs with them. Term names are the reference's:
//   GQA, split heads:  loss_answer_type, loss_answer_{obj,attr,rel,global,cat},
//                      accuracy_answer_{type,obj,attr,rel,global,cat,total}
//   GQA, one head:     loss_answer_total, accuracy_answer_total
//   CLEVR:             loss_answer_type, loss_answer_{binary,attr,reg},
//                      accuracy_answer_{type,binary,attr,reg,total}
// Accuracies carry no gradient; a type absent from the batch has accuracy 1, as in the reference.
#pragma once

#include <torch/torch.h>

#include <map>
#include <string>
#include <vector>

#include "common/config/experiment.h"
#include "common/status.h"

namespace mdetr::objective {

using QaLossDict = std::map<std::string, torch::Tensor>;

// Ground-truth answers of a batch, keyed as the reference's batch["answers"] (one value per
// question, i.e. per image of the batch):
//   GQA:   answer_type [B] int64 (obj=0 attr=1 rel=2 global=3 cat=4); answer_obj, answer_attr,
//          answer_rel, answer_global, answer_cat [B] int64, the index in that type's answer list
//          for questions of that type and -100 for the others; answer [B] int64 (all answers,
//          the single-head model).
//   CLEVR: answer_type [B] int64 (binary=0 attr=1 count=2); answer_binary [B] float (1 = yes,
//          0 otherwise); answer_attr, answer_reg [B] int64, -100 for questions of another type.
using QaTargets = std::map<std::string, torch::Tensor>;

// One question's answer, as the datasets encode it.
struct GqaAnswerLabel {
  int type = 0;                 // 0 obj, 1 attr, 2 rel, 3 global, 4 cat
  int64_t type_answer = 0;      // index in that type's answer list (gqa_answer2id_by_type.json)
  int64_t answer = 0;           // index in the list of all answers (gqa_answer2id.json)
};
struct ClevrAnswerLabel {
  int type = 0;        // 0 yes/no, 1 attribute, 2 count
  int64_t answer = 0;  // 0/1 for yes/no, the attribute index, or the count
};
// The reference's target tensors for these labels (with its -100 "ignore" for other types).
Result<QaTargets> GqaTargets(const std::vector<GqaAnswerLabel>& labels);
Result<QaTargets> ClevrTargets(const std::vector<ClevrAnswerLabel>& labels);

class QaCriterion {
 public:
  // Fails unless model.qa_dataset is "gqa" or "clevr" (CLEVR needs split heads, as the reference).
  static Result<QaCriterion> FromConfig(const config::ModelConfig& model);

  // `answers`: MdetrOutputs::answers ("answer_type", "answer_obj", ... or "answer").
  // Fails, naming the key, when an output or target the dataset needs is missing or has the
  // wrong shape.
  Result<QaLossDict> operator()(const std::map<std::string, torch::Tensor>& answers,
                                const QaTargets& targets) const;

  const std::string& dataset() const { return dataset_; }
  bool split_heads() const { return split_heads_; }

 private:
  QaCriterion(std::string dataset, bool split_heads) : dataset_(std::move(dataset)), split_heads_(split_heads) {}
  Result<QaLossDict> Gqa(const std::map<std::string, torch::Tensor>& answers, const QaTargets& targets) const;
  Result<QaLossDict> GqaAllAnswers(const std::map<std::string, torch::Tensor>& answers,
                                   const QaTargets& targets) const;
  Result<QaLossDict> Clevr(const std::map<std::string, torch::Tensor>& answers, const QaTargets& targets) const;

  std::string dataset_;
  bool split_heads_ = true;
};

// The QA entries of the reference's weight dictionary (main.py/build): with split heads,
// loss_answer_type and GQA's five per-type losses weigh qa_loss_coef while CLEVR's binary, attr and
// reg losses weigh 1; the single GQA head's loss_answer_total weighs qa_loss_coef. Nothing when the
// model has no QA heads.
void AddQaWeights(const config::ModelConfig& model, const config::LossConfig& loss,
                  std::map<std::string, double>* weights);

}  // namespace mdetr::objective
