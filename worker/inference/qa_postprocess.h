// QA heads' outputs -> the answer to each question, as the reference's evaluation scripts
// (scripts/eval_gqa.py, scripts/eval_clevr.py) compute it: the answer type is the argmax of the
// type head, the answer the argmax of that type's head, looked up in that type's answer list
// (GQA: gqa_answer2id_by_type.json; the single-head GQA model: gqa_answer2id.json; CLEVR: "yes"
// when the binary head's sigmoid is > 0.5, else "no", the attribute name, or the count).
// The confidence is the demo's p(type) * p(answer). The same argmaxes, as the structs of
// datasets/eval/qa_accuracy.h, feed the accuracy over a split.
#pragma once

#include <torch/torch.h>

#include <array>
#include <map>
#include <string>
#include <vector>

#include "common/status.h"
#include "datasets/eval/qa_accuracy.h"

namespace mdetr::inference {

// The answer lists of a GQA model, by id.
class GqaAnswerVocabulary {
 public:
  // by_type_path: {"answer_obj": {answer: id}, "answer_attr": ..., "answer_rel": ..., "answer_global":
  // ..., "answer_cat": ...}; all_path: {answer: id}. Either may be empty (split-head models need the
  // first, the single-head model the second). Ids of each list must be 0..n-1, each once.
  static Result<GqaAnswerVocabulary> Load(const std::string& by_type_path, const std::string& all_path);
  // gqa_answer2id_by_type.json and gqa_answer2id.json from a folder (MDETR's annotation layout),
  // whichever of the two are there; at least one must be.
  static Result<GqaAnswerVocabulary> FromFolder(const std::string& dir);

  // type: 0 obj, 1 attr, 2 rel, 3 global, 4 cat.
  const std::vector<std::string>& type_answers(int type) const { return by_type_.at(static_cast<size_t>(type)); }
  const std::vector<std::string>& all_answers() const { return all_; }
  const std::string& by_type_path() const { return by_type_path_; }
  const std::string& all_path() const { return all_path_; }

 private:
  std::array<std::vector<std::string>, 5> by_type_;
  std::vector<std::string> all_;
  std::string by_type_path_, all_path_;
};

struct QaAnswer {
  // GQA: 0 obj, 1 attr, 2 rel, 3 global, 4 cat (-1: the single all-answers head);
  // CLEVR: 0 yes/no, 1 attribute, 2 count.
  int type = -1;
  // Index in that type's answer list (single GQA head: in all answers); CLEVR yes/no: 1 = yes.
  int64_t answer_id = 0;
  std::string answer;
  float confidence = 0;  // p(type) * p(answer); CLEVR yes/no: p of the chosen side
};

// `answers`: MdetrOutputs::answers of a GQA model (split heads, or the single "answer" head).
// Fails when a head is missing or predicts an id the vocabulary does not have.
Result<std::vector<QaAnswer>> GqaAnswers(const std::map<std::string, torch::Tensor>& answers,
                                         const GqaAnswerVocabulary& vocabulary);
Result<std::vector<QaAnswer>> ClevrAnswers(const std::map<std::string, torch::Tensor>& answers);

// The argmaxes per question for eval::AddGqa / eval::AddClevr (split heads).
Result<std::vector<eval::GqaPrediction>> GqaPredictions(const std::map<std::string, torch::Tensor>& answers);
Result<std::vector<eval::ClevrPrediction>> ClevrPredictions(const std::map<std::string, torch::Tensor>& answers);

}  // namespace mdetr::inference
