#include "worker/trainer/task_targets.h"

namespace mdetr::trainer {

grounding::TaskFieldOptions TaskFieldsFor(const config::ModelConfig& model) {
  grounding::TaskFieldOptions o;
  o.masks = model.masks;
  o.qa_dataset = model.qa_dataset;
  o.isfinal = model.predict_final;
  return o;
}

Result<std::vector<objective::Target>> BuildTargets(const grounding::Batch& batch, const config::ModelConfig& model,
                                                    const torch::Device& device) {
  std::vector<objective::Target> ts;
  for (const auto& s : batch.samples) {
    objective::Target t;
    t.boxes = s.boxes.to(device);
    t.positive_map = s.positive_map.to(device);
    t.tokens_positive = s.tokens_positive;
    const std::string who = "sample of image id " + std::to_string(s.image_id);
    if (model.masks) {
      if (!s.masks.defined() || s.masks.size(0) != t.size()) {
        return FailedPreconditionError(who + ": the model has masks but the sample carries no mask per box");
      }
      t.masks = s.masks.to(device);
    }
    if (model.predict_final) {
      if (!s.isfinal.defined() || s.isfinal.size(0) != t.size()) {
        return FailedPreconditionError(who + ": the model predicts is-final but the sample has no flag per box");
      }
      t.isfinal = s.isfinal.to(device);
    }
    ts.push_back(std::move(t));
  }
  return ts;
}

Result<objective::QaTargets> BuildQaTargets(const grounding::Batch& batch, const config::ModelConfig& model,
                                            const torch::Device& device) {
  Result<objective::QaTargets> targets = objective::QaTargets{};
  if (model.qa_dataset == "gqa") {
    std::vector<objective::GqaAnswerLabel> labels;
    for (const auto& s : batch.samples) labels.push_back({s.answer.type, s.answer.type_answer, s.answer.answer});
    targets = objective::GqaTargets(labels);
  } else if (model.qa_dataset == "clevr") {
    std::vector<objective::ClevrAnswerLabel> labels;
    for (const auto& s : batch.samples) labels.push_back({s.answer.type, s.answer.type_answer});
    targets = objective::ClevrTargets(labels);
  }
  if (!targets.ok()) return targets.status();
  for (auto& [k, v] : *targets) v = v.to(device);
  return targets;
}

}  // namespace mdetr::trainer
