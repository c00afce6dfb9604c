#include "model/objective/qa_losses.h"

#include <algorithm>
#include <array>

namespace mdetr::objective {
namespace {

namespace F = torch::nn::functional;

constexpr int64_t kIgnore = -100;  // torch's default ignore_index, the reference's "other type"
constexpr std::array<const char*, 5> kGqaTypes = {"obj", "attr", "rel", "global", "cat"};
constexpr std::array<const char*, 3> kClevrTypes = {"binary", "attr", "reg"};

std::string Dims(const torch::Tensor& t) {
  std::string s = "[";
  for (int64_t d = 0; d < t.dim(); ++d) s += (d ? "," : "") + std::to_string(t.size(d));
  return s + "]";
}

// Model output `key`: [B, classes] (classes < 0: [B]).
Result<torch::Tensor> Output(const std::map<std::string, torch::Tensor>& answers, const std::string& key,
                             int64_t classes) {
  auto it = answers.find(key);
  if (it == answers.end() || !it->second.defined()) {
    return InvalidArgumentError("QA criterion: model output \"" + key + "\" is missing (is the model's qa_dataset right?)");
  }
  const auto& t = it->second;
  const bool ok = classes < 0 ? t.dim() == 1 : (t.dim() == 2 && t.size(1) == classes);
  if (!ok) {
    return InvalidArgumentError("QA criterion: model output \"" + key + "\" is " + Dims(t) + ", expected [B" +
                                (classes < 0 ? "" : "," + std::to_string(classes)) + "]");
  }
  return t;
}

// Target `key`: [B] with class indices in [0, classes) or, when `allow_ignore`, -100; moved to
// `like`'s device (int64), or for classes < 0 a float [B] of 0/1 values.
Result<torch::Tensor> Target(const QaTargets& targets, const std::string& key, int64_t batch, int64_t classes,
                             bool allow_ignore, const torch::Tensor& like) {
  auto it = targets.find(key);
  if (it == targets.end() || !it->second.defined()) {
    return InvalidArgumentError("QA criterion: target \"" + key + "\" is missing");
  }
  const auto& t = it->second;
  if (t.dim() != 1 || t.size(0) != batch) {
    return InvalidArgumentError("QA criterion: target \"" + key + "\" is " + Dims(t) + ", expected [" +
                                std::to_string(batch) + "] (one per question)");
  }
  if (classes < 0) {
    if (batch > 0 && !(t.eq(0) | t.eq(1)).all().item<bool>()) {
      return InvalidArgumentError("QA criterion: target \"" + key + "\": expected 0 or 1 per question");
    }
    return t.to(like.device(), like.scalar_type());
  }
  if (t.is_floating_point()) {
    return InvalidArgumentError("QA criterion: target \"" + key + "\": expected integer class indices");
  }
  const auto v = t.to(torch::kInt64);
  const auto valid = (v.ge(0) & v.lt(classes)) | (allow_ignore ? v.eq(kIgnore) : torch::zeros_like(v, torch::kBool));
  if (batch > 0 && !valid.all().item<bool>()) {
    return InvalidArgumentError("QA criterion: target \"" + key + "\": expected values in 0.." +
                                std::to_string(classes - 1) + (allow_ignore ? " or -100" : ""));
  }
  return v.to(like.device());
}

torch::Tensor PerQuestionCrossEntropy(const torch::Tensor& logits, const torch::Tensor& target) {
  return F::cross_entropy(logits, target, F::CrossEntropyFuncOptions().reduction(torch::kNone));
}

// sum over the questions of one type / their count (1 when there are none), as the reference.
torch::Tensor TypeLoss(const torch::Tensor& per_question, const torch::Tensor& is_type) {
  const auto summed = per_question.masked_fill(is_type.logical_not(), 0).sum();
  const int64_t count = is_type.sum().item<int64_t>();
  return count > 0 ? summed / static_cast<double>(count) : summed / 1.0;
}

// Share of the questions of one type that its head answered right (1 when there are none).
torch::Tensor TypeAccuracy(const torch::Tensor& correct, const torch::Tensor& is_type) {
  const int64_t count = is_type.sum().item<int64_t>();
  if (count == 0) return torch::ones({}, torch::TensorOptions().device(correct.device()));
  return (correct & is_type).sum().to(torch::kFloat32) / static_cast<double>(count);
}

torch::Tensor Share(const torch::Tensor& correct) {
  return correct.sum().to(torch::kFloat32) / static_cast<double>(std::max<int64_t>(correct.numel(), 1));
}

}  // namespace

Result<QaTargets> GqaTargets(const std::vector<GqaAnswerLabel>& labels) {
  const auto n = static_cast<int64_t>(labels.size());
  std::vector<int64_t> type(labels.size()), all(labels.size());
  std::array<std::vector<int64_t>, 5> per_type;
  for (auto& v : per_type) v.assign(labels.size(), kIgnore);
  for (size_t q = 0; q < labels.size(); ++q) {
    const auto& l = labels[q];
    if (l.type < 0 || l.type >= 5) {
      return InvalidArgumentError("GQA answer of question " + std::to_string(q) + ": type " + std::to_string(l.type) +
                                  ", expected 0..4 (obj, attr, rel, global, cat)");
    }
    if (l.type_answer < 0 || l.answer < 0) {
      return InvalidArgumentError("GQA answer of question " + std::to_string(q) + ": negative answer index");
    }
    type[q] = l.type;
    all[q] = l.answer;
    per_type[static_cast<size_t>(l.type)][q] = l.type_answer;
  }
  QaTargets t;
  t["answer_type"] = torch::tensor(type, torch::kInt64).reshape({n});
  t["answer"] = torch::tensor(all, torch::kInt64).reshape({n});
  for (size_t i = 0; i < kGqaTypes.size(); ++i) {
    t[std::string("answer_") + kGqaTypes[i]] = torch::tensor(per_type[i], torch::kInt64).reshape({n});
  }
  return t;
}

Result<QaTargets> ClevrTargets(const std::vector<ClevrAnswerLabel>& labels) {
  const auto n = static_cast<int64_t>(labels.size());
  std::vector<int64_t> type(labels.size()), attr(labels.size(), kIgnore), reg(labels.size(), kIgnore);
  std::vector<float> binary(labels.size(), 0.0f);
  for (size_t q = 0; q < labels.size(); ++q) {
    const auto& l = labels[q];
    const bool ok = (l.type == 0 && (l.answer == 0 || l.answer == 1)) || (l.type == 1 && l.answer >= 0) ||
                    (l.type == 2 && l.answer >= 0);
    if (!ok) {
      return InvalidArgumentError("CLEVR answer of question " + std::to_string(q) + ": type " +
                                  std::to_string(l.type) + " with answer " + std::to_string(l.answer) +
                                  ", expected type 0 (answer 0/1), 1 or 2 (answer >= 0)");
    }
    type[q] = l.type;
    if (l.type == 0) binary[q] = static_cast<float>(l.answer);
    if (l.type == 1) attr[q] = l.answer;
    if (l.type == 2) reg[q] = l.answer;
  }
  QaTargets t;
  t["answer_type"] = torch::tensor(type, torch::kInt64).reshape({n});
  t["answer_binary"] = torch::tensor(binary, torch::kFloat32).reshape({n});
  t["answer_attr"] = torch::tensor(attr, torch::kInt64).reshape({n});
  t["answer_reg"] = torch::tensor(reg, torch::kInt64).reshape({n});
  return t;
}

Result<QaCriterion> QaCriterion::FromConfig(const config::ModelConfig& model) {
  if (model.qa_dataset == "gqa") return QaCriterion("gqa", model.split_qa_heads);
  if (model.qa_dataset == "clevr") {
    if (!model.split_qa_heads) {
      return InvalidArgumentError("model.split_qa_heads: CLEVR question answering needs split heads");
    }
    return QaCriterion("clevr", true);
  }
  return InvalidArgumentError("model.qa_dataset: \"" + model.qa_dataset + "\" has no QA objective, expected gqa or clevr");
}

Result<QaLossDict> QaCriterion::operator()(const std::map<std::string, torch::Tensor>& answers,
                                           const QaTargets& targets) const {
  if (dataset_ == "clevr") return Clevr(answers, targets);
  return split_heads_ ? Gqa(answers, targets) : GqaAllAnswers(answers, targets);
}

Result<QaLossDict> QaCriterion::GqaAllAnswers(const std::map<std::string, torch::Tensor>& answers,
                                              const QaTargets& targets) const {
  MDETR_ASSIGN_OR_RETURN(auto logits, Output(answers, "answer", 1853));
  MDETR_ASSIGN_OR_RETURN(auto target, Target(targets, "answer", logits.size(0), logits.size(1), false, logits));
  QaLossDict loss;
  loss["loss_answer_total"] = F::cross_entropy(logits, target);
  torch::NoGradGuard no_grad;
  loss["accuracy_answer_total"] = Share(logits.argmax(-1).eq(target));
  return loss;
}

Result<QaLossDict> QaCriterion::Gqa(const std::map<std::string, torch::Tensor>& answers,
                                    const QaTargets& targets) const {
  static constexpr std::array<int64_t, 5> kSizes = {3, 403, 1594, 111, 678};
  MDETR_ASSIGN_OR_RETURN(auto type_logits, Output(answers, "answer_type", 5));
  const int64_t batch = type_logits.size(0);
  MDETR_ASSIGN_OR_RETURN(auto type, Target(targets, "answer_type", batch, 5, false, type_logits));
  QaLossDict loss;
  loss["loss_answer_type"] = F::cross_entropy(type_logits, type);
  const auto type_correct = type_logits.argmax(-1).eq(type);
  loss["accuracy_answer_type"] = Share(type_correct);
  auto head_correct_of_true_type = torch::zeros_like(type_correct);
  for (size_t i = 0; i < kGqaTypes.size(); ++i) {
    const std::string key = std::string("answer_") + kGqaTypes[i];
    MDETR_ASSIGN_OR_RETURN(auto logits, Output(answers, key, kSizes[i]));
    if (logits.size(0) != batch) {
      return InvalidArgumentError("QA criterion: model output \"" + key + "\" has " + std::to_string(logits.size(0)) +
                                  " questions, \"answer_type\" " + std::to_string(batch));
    }
    MDETR_ASSIGN_OR_RETURN(auto target, Target(targets, key, batch, kSizes[i], true, logits));
    const auto is_type = type.eq(static_cast<int64_t>(i));
    loss["loss_" + key] = TypeLoss(PerQuestionCrossEntropy(logits, target), is_type);
    const auto correct = logits.argmax(-1).eq(target);
    loss["accuracy_" + key] = TypeAccuracy(correct, is_type);
    head_correct_of_true_type = head_correct_of_true_type | (correct & is_type);
  }
  loss["accuracy_answer_total"] = Share(type_correct & head_correct_of_true_type);
  return loss;
}

Result<QaLossDict> QaCriterion::Clevr(const std::map<std::string, torch::Tensor>& answers,
                                      const QaTargets& targets) const {
  MDETR_ASSIGN_OR_RETURN(auto type_logits, Output(answers, "answer_type", 3));
  const int64_t batch = type_logits.size(0);
  MDETR_ASSIGN_OR_RETURN(auto type, Target(targets, "answer_type", batch, 3, false, type_logits));
  MDETR_ASSIGN_OR_RETURN(auto binary_logit, Output(answers, "answer_binary", -1));
  MDETR_ASSIGN_OR_RETURN(auto attr_logits, Output(answers, "answer_attr", 15));
  MDETR_ASSIGN_OR_RETURN(auto reg_logits, Output(answers, "answer_reg", 20));
  for (const auto* t : {&binary_logit, &attr_logits, &reg_logits}) {
    if (t->size(0) != batch) {
      return InvalidArgumentError("QA criterion: the CLEVR heads disagree on the number of questions (" +
                                  std::to_string(t->size(0)) + " vs " + std::to_string(batch) + ")");
    }
  }
  MDETR_ASSIGN_OR_RETURN(auto binary, Target(targets, "answer_binary", batch, -1, false, binary_logit));
  MDETR_ASSIGN_OR_RETURN(auto attr, Target(targets, "answer_attr", batch, 15, true, attr_logits));
  MDETR_ASSIGN_OR_RETURN(auto reg, Target(targets, "answer_reg", batch, 20, true, reg_logits));

  QaLossDict loss;
  loss["loss_answer_type"] = F::cross_entropy(type_logits, type);
  const auto type_correct = type_logits.argmax(-1).eq(type);
  loss["accuracy_answer_type"] = Share(type_correct);
  const auto is_binary = type.eq(0), is_attr = type.eq(1), is_reg = type.eq(2);

  loss["loss_answer_binary"] = TypeLoss(
      F::binary_cross_entropy_with_logits(binary_logit, binary,
                                          F::BinaryCrossEntropyWithLogitsFuncOptions().reduction(torch::kNone)),
      is_binary);
  const auto binary_correct = binary_logit.sigmoid().gt(0.5).to(binary.scalar_type()).eq(binary);
  loss["accuracy_answer_binary"] = TypeAccuracy(binary_correct, is_binary);

  loss["loss_answer_reg"] = TypeLoss(PerQuestionCrossEntropy(reg_logits, reg), is_reg);
  const auto reg_correct = reg_logits.argmax(-1).eq(reg);
  loss["accuracy_answer_reg"] = TypeAccuracy(reg_correct, is_reg);

  loss["loss_answer_attr"] = TypeLoss(PerQuestionCrossEntropy(attr_logits, attr), is_attr);
  const auto attr_correct = attr_logits.argmax(-1).eq(attr);
  loss["accuracy_answer_attr"] = TypeAccuracy(attr_correct, is_attr);

  loss["accuracy_answer_total"] =
      Share(type_correct & ((is_binary & binary_correct) | (is_reg & reg_correct) | (is_attr & attr_correct)));
  return loss;
}

void AddQaWeights(const config::ModelConfig& model, const config::LossConfig& loss,
                  std::map<std::string, double>* weights) {
  if (model.qa_dataset.empty()) return;
  auto& w = *weights;
  if (!model.split_qa_heads) {
    w["loss_answer_total"] = loss.qa_loss_coef;
    return;
  }
  w["loss_answer_type"] = loss.qa_loss_coef;
  if (model.qa_dataset == "gqa") {
    for (const char* t : kGqaTypes) w[std::string("loss_answer_") + t] = loss.qa_loss_coef;
  } else {
    for (const char* t : kClevrTypes) w[std::string("loss_answer_") + t] = 1;
  }
}

}  // namespace mdetr::objective
