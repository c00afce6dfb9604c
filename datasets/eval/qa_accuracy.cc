#include "datasets/eval/qa_accuracy.h"

#include <charconv>

#include "datasets/eval/byte_io.h"

namespace mdetr::eval {
namespace {

constexpr uint32_t kStateMagic = 0x41514145;  // "EAQA"
constexpr uint32_t kStateVersion = 1;

}  // namespace

QaAccuracy::QaAccuracy(std::vector<std::string> type_names)
    : type_names_(std::move(type_names)), per_type_(type_names_.size()) {}

Status QaAccuracy::Add(int true_type, int predicted_type, bool head_correct,
                       const std::vector<std::string>& groups) {
  const int n = static_cast<int>(type_names_.size());
  if (true_type < 0 || true_type >= n) {
    return InvalidArgumentError("answer type " + std::to_string(true_type) + ": expected 0.." +
                                std::to_string(n - 1));
  }
  const bool type_ok = predicted_type == true_type;
  const bool correct = type_ok && head_correct;
  ++questions_;
  type_correct_ += type_ok ? 1 : 0;
  total_correct_ += correct ? 1 : 0;
  ++per_type_[true_type].questions;
  per_type_[true_type].head_correct += head_correct ? 1 : 0;
  for (const std::string& g : groups) {
    QaCounts& c = per_group_[g];
    ++c.questions;
    c.correct += correct ? 1 : 0;
  }
  return Status::Ok();
}

std::string QaAccuracy::SerializeState() const {
  ByteWriter w;
  w.U32(kStateMagic);
  w.U32(kStateVersion);
  w.U32(static_cast<uint32_t>(type_names_.size()));
  for (const std::string& name : type_names_) w.Str(name);
  w.I64(questions_);
  w.I64(type_correct_);
  w.I64(total_correct_);
  for (const QaTypeCounts& t : per_type_) {
    w.I64(t.questions);
    w.I64(t.head_correct);
  }
  w.U32(static_cast<uint32_t>(per_group_.size()));
  for (const auto& [name, c] : per_group_) {
    w.Str(name);
    w.I64(c.questions);
    w.I64(c.correct);
  }
  return w.Take();
}

Status QaAccuracy::MergeState(std::string_view bytes) {
  ByteReader r(bytes, "QA accuracy");
  uint32_t magic = 0;
  uint32_t version = 0;
  uint32_t num_types = 0;
  if (!r.U32(&magic) || magic != kStateMagic) return r.Error("expected the QA accuracy magic number");
  if (!r.U32(&version) || version != kStateVersion)
    return r.Error("expected version " + std::to_string(kStateVersion));
  if (!r.U32(&num_types) || num_types != type_names_.size()) {
    return r.Error("expected " + std::to_string(type_names_.size()) + " answer types");
  }
  for (const std::string& expected : type_names_) {
    std::string name;
    if (!r.Str(&name) || name != expected) return r.Error("expected answer type \"" + expected + "\"");
  }
  int64_t questions = 0, type_correct = 0, total_correct = 0;
  if (!r.I64(&questions) || !r.I64(&type_correct) || !r.I64(&total_correct))
    return r.Error("truncated counters");
  std::vector<QaTypeCounts> per_type(num_types);
  for (QaTypeCounts& t : per_type) {
    if (!r.I64(&t.questions) || !r.I64(&t.head_correct)) return r.Error("truncated counters");
  }
  uint32_t num_groups = 0;
  if (!r.Count(&num_groups, 20)) return r.Error("truncated group count");
  std::vector<std::pair<std::string, QaCounts>> groups(num_groups);
  for (auto& [name, c] : groups) {
    if (!r.Str(&name) || !r.I64(&c.questions) || !r.I64(&c.correct)) return r.Error("truncated group");
  }
  if (!r.AtEnd()) return r.Error("expected the end of the state");
  questions_ += questions;
  type_correct_ += type_correct;
  total_correct_ += total_correct;
  for (size_t i = 0; i < per_type.size(); ++i) {
    per_type_[i].questions += per_type[i].questions;
    per_type_[i].head_correct += per_type[i].head_correct;
  }
  for (const auto& [name, c] : groups) {
    per_group_[name].questions += c.questions;
    per_group_[name].correct += c.correct;
  }
  return Status::Ok();
}

QaSummary QaAccuracy::Summarize() const {
  QaSummary s;
  s.questions = questions_;
  const double n = static_cast<double>(questions_);
  s.answer_type_accuracy = questions_ == 0 ? 0.0 : static_cast<double>(type_correct_) / n;
  s.total_accuracy = questions_ == 0 ? 0.0 : static_cast<double>(total_correct_) / n;
  for (size_t i = 0; i < type_names_.size(); ++i) s.per_type.emplace_back(type_names_[i], per_type_[i]);
  s.per_group = per_group_;
  return s;
}

QaAccuracy MakeGqaAccuracy() { return QaAccuracy({"obj", "attr", "rel", "global", "cat"}); }

Status AddGqa(QaAccuracy* acc, const GqaTruth& truth, const GqaPrediction& prediction) {
  if (truth.type < 0 || truth.type >= 5) {
    return InvalidArgumentError("GQA answer type " + std::to_string(truth.type) + ": expected 0..4");
  }
  return acc->Add(truth.type, prediction.predicted_type, prediction.head_answers[truth.type] == truth.answer);
}

const std::array<std::string_view, 15>& ClevrAttributes() {
  static constexpr std::array<std::string_view, 15> kAttributes = {
      "small", "large",  "gray", "red",    "blue",     "green",  "brown", "purple",
      "cyan",  "yellow", "cube", "sphere", "cylinder", "rubber", "metal"};
  return kAttributes;
}

Result<ClevrTruth> ClevrTruthFromAnswer(std::string_view answer) {
  if (answer == "yes" || answer == "no") return ClevrTruth{0, answer == "yes" ? 1 : 0};
  const auto& attributes = ClevrAttributes();
  for (size_t i = 0; i < attributes.size(); ++i) {
    if (attributes[i] == answer) return ClevrTruth{1, static_cast<int>(i)};
  }
  int count = 0;
  const auto [end, ec] = std::from_chars(answer.data(), answer.data() + answer.size(), count);
  if (ec != std::errc() || end != answer.data() + answer.size() || count < 0) {
    return InvalidArgumentError("CLEVR answer \"" + std::string(answer) +
                                "\": expected yes/no, an attribute or a count");
  }
  return ClevrTruth{2, count};
}

QaAccuracy MakeClevrAccuracy() { return QaAccuracy({"binary", "attr", "reg"}); }

Status AddClevr(QaAccuracy* acc, const ClevrTruth& truth, const ClevrPrediction& prediction,
                const std::vector<std::string>& groups) {
  bool head_correct = false;
  switch (truth.type) {
    case 0:
      head_correct = prediction.binary_yes == (truth.answer == 1);
      break;
    case 1:
      head_correct = prediction.attribute == truth.answer;
      break;
    case 2:
      head_correct = prediction.count == truth.answer;
      break;
    default:
      return InvalidArgumentError("CLEVR answer type " + std::to_string(truth.type) + ": expected 0..2");
  }
  return acc->Add(truth.type, prediction.predicted_type, head_correct, groups);
}

}  // namespace mdetr::eval
