#include "worker/inference/qa_postprocess.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace mdetr::inference {
namespace {

constexpr std::array<const char*, 5> kGqaTypes = {"obj", "attr", "rel", "global", "cat"};

Result<nlohmann::json> ReadJson(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFoundError(path + ": cannot open the answer vocabulary");
  std::stringstream buffer;
  buffer << in.rdbuf();
  auto doc = nlohmann::json::parse(buffer.str(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return InvalidArgumentError(path + ": not valid JSON");
  return doc;
}

// {answer: id} -> answers by id; `where` names the file and key for messages.
Result<std::vector<std::string>> AnswersById(const nlohmann::json& object, const std::string& where) {
  if (!object.is_object()) return InvalidArgumentError(where + ": expected an object {answer: id}");
  std::vector<std::string> by_id(object.size());
  std::vector<bool> seen(object.size(), false);
  for (const auto& [answer, id] : object.items()) {
    if (!id.is_number_integer() || id.get<int64_t>() < 0 || id.get<int64_t>() >= static_cast<int64_t>(object.size())) {
      return InvalidArgumentError(where + ": \"" + answer + "\": expected an id in 0.." +
                                  std::to_string(static_cast<int64_t>(object.size()) - 1) + ", got " + id.dump());
    }
    const auto i = static_cast<size_t>(id.get<int64_t>());
    if (seen[i]) return InvalidArgumentError(where + ": \"" + answer + "\": id " + std::to_string(i) + " is used twice");
    seen[i] = true;
    by_id[i] = answer;
  }
  return by_id;
}

Result<torch::Tensor> Head(const std::map<std::string, torch::Tensor>& answers, const std::string& key,
                           int64_t batch) {
  auto it = answers.find(key);
  if (it == answers.end() || !it->second.defined()) {
    return InvalidArgumentError("QA outputs: head \"" + key + "\" is missing (is this a model of that dataset?)");
  }
  const int64_t want_dim = key == "answer_binary" ? 1 : 2;
  if (it->second.dim() != want_dim || (batch >= 0 && it->second.size(0) != batch)) {
    return InvalidArgumentError("QA outputs: head \"" + key + "\" has shape " + c10::str(it->second.sizes()) +
                                ", expected " + (want_dim == 1 ? "[B]" : "[B,classes]") +
                                (batch >= 0 ? " with B = " + std::to_string(batch) : ""));
  }
  return it->second.detach().to(torch::kCPU, torch::kFloat32);
}

// The argmax of each row and its softmax probability.
std::pair<std::vector<int64_t>, std::vector<float>> ArgmaxWithProbability(const torch::Tensor& logits) {
  const auto best = logits.argmax(-1);
  const auto p = logits.softmax(-1).gather(1, best.unsqueeze(1)).squeeze(1).contiguous();
  const auto b = best.contiguous();
  return {std::vector<int64_t>(b.data_ptr<int64_t>(), b.data_ptr<int64_t>() + b.numel()),
          std::vector<float>(p.data_ptr<float>(), p.data_ptr<float>() + p.numel())};
}

}  // namespace

Result<GqaAnswerVocabulary> GqaAnswerVocabulary::Load(const std::string& by_type_path, const std::string& all_path) {
  if (by_type_path.empty() && all_path.empty()) {
    return InvalidArgumentError("GQA answer vocabulary: no file given");
  }
  GqaAnswerVocabulary v;
  if (!by_type_path.empty()) {
    MDETR_ASSIGN_OR_RETURN(auto doc, ReadJson(by_type_path));
    if (!doc.is_object()) return InvalidArgumentError(by_type_path + ": expected an object of answer types");
    for (size_t t = 0; t < kGqaTypes.size(); ++t) {
      const std::string key = std::string("answer_") + kGqaTypes[t];
      if (!doc.contains(key)) return InvalidArgumentError(by_type_path + ": \"" + key + "\" is missing");
      MDETR_ASSIGN_OR_RETURN(v.by_type_[t], AnswersById(doc[key], by_type_path + ": " + key));
    }
    v.by_type_path_ = by_type_path;
  }
  if (!all_path.empty()) {
    MDETR_ASSIGN_OR_RETURN(auto doc, ReadJson(all_path));
    MDETR_ASSIGN_OR_RETURN(v.all_, AnswersById(doc, all_path));
    v.all_path_ = all_path;
  }
  return v;
}

Result<GqaAnswerVocabulary> GqaAnswerVocabulary::FromFolder(const std::string& dir) {
  const std::string by_type = dir + "/gqa_answer2id_by_type.json", all = dir + "/gqa_answer2id.json";
  std::error_code ec;
  const bool has_by_type = std::filesystem::exists(by_type, ec), has_all = std::filesystem::exists(all, ec);
  if (!has_by_type && !has_all) {
    return NotFoundError(dir + ": neither gqa_answer2id_by_type.json nor gqa_answer2id.json is there");
  }
  return Load(has_by_type ? by_type : "", has_all ? all : "");
}

Result<std::vector<eval::GqaPrediction>> GqaPredictions(const std::map<std::string, torch::Tensor>& answers) {
  MDETR_ASSIGN_OR_RETURN(auto type_logits, Head(answers, "answer_type", -1));
  const int64_t batch = type_logits.size(0);
  std::vector<eval::GqaPrediction> out(static_cast<size_t>(batch));
  const auto types = ArgmaxWithProbability(type_logits).first;
  for (size_t q = 0; q < out.size(); ++q) out[q].predicted_type = static_cast<int>(types[q]);
  for (size_t t = 0; t < kGqaTypes.size(); ++t) {
    MDETR_ASSIGN_OR_RETURN(auto logits, Head(answers, std::string("answer_") + kGqaTypes[t], batch));
    const auto best = ArgmaxWithProbability(logits).first;
    for (size_t q = 0; q < out.size(); ++q) out[q].head_answers[t] = static_cast<int>(best[q]);
  }
  return out;
}

Result<std::vector<QaAnswer>> GqaAnswers(const std::map<std::string, torch::Tensor>& answers,
                                         const GqaAnswerVocabulary& vocabulary) {
  if (answers.count("answer") != 0) {  // the single all-answers head
    MDETR_ASSIGN_OR_RETURN(auto logits, Head(answers, "answer", -1));
    const auto [best, p] = ArgmaxWithProbability(logits);
    const auto& names = vocabulary.all_answers();
    std::vector<QaAnswer> out;
    for (size_t q = 0; q < best.size(); ++q) {
      if (best[q] >= static_cast<int64_t>(names.size())) {
        return OutOfRangeError("answer id " + std::to_string(best[q]) + " of head \"answer\" is past the " +
                               std::to_string(names.size()) + " answers of the vocabulary" +
                               (vocabulary.all_path().empty() ? " (no gqa_answer2id.json loaded)"
                                                              : " " + vocabulary.all_path()));
      }
      out.push_back({-1, best[q], names[static_cast<size_t>(best[q])], p[q]});
    }
    return out;
  }
  MDETR_ASSIGN_OR_RETURN(auto type_logits, Head(answers, "answer_type", -1));
  const int64_t batch = type_logits.size(0);
  const auto [types, type_p] = ArgmaxWithProbability(type_logits);
  std::array<std::pair<std::vector<int64_t>, std::vector<float>>, 5> heads;
  for (size_t t = 0; t < kGqaTypes.size(); ++t) {
    MDETR_ASSIGN_OR_RETURN(auto logits, Head(answers, std::string("answer_") + kGqaTypes[t], batch));
    heads[t] = ArgmaxWithProbability(logits);
  }
  std::vector<QaAnswer> out;
  for (size_t q = 0; q < static_cast<size_t>(batch); ++q) {
    const auto t = static_cast<size_t>(types[q]);
    if (t >= heads.size()) return InvalidArgumentError("QA outputs: the GQA type head has more than 5 types");
    const int64_t id = heads[t].first[q];
    const auto& names = vocabulary.type_answers(static_cast<int>(t));
    if (id >= static_cast<int64_t>(names.size())) {
      return OutOfRangeError("answer id " + std::to_string(id) + " of head \"answer_" + kGqaTypes[t] +
                             "\" is past the " + std::to_string(names.size()) + " answers of that type" +
                             (vocabulary.by_type_path().empty() ? " (no gqa_answer2id_by_type.json loaded)"
                                                                : " in " + vocabulary.by_type_path()));
    }
    out.push_back({static_cast<int>(t), id, names[static_cast<size_t>(id)], type_p[q] * heads[t].second[q]});
  }
  return out;
}

Result<std::vector<eval::ClevrPrediction>> ClevrPredictions(const std::map<std::string, torch::Tensor>& answers) {
  MDETR_ASSIGN_OR_RETURN(auto type_logits, Head(answers, "answer_type", -1));
  const int64_t batch = type_logits.size(0);
  MDETR_ASSIGN_OR_RETURN(auto binary, Head(answers, "answer_binary", batch));
  MDETR_ASSIGN_OR_RETURN(auto attr, Head(answers, "answer_attr", batch));
  MDETR_ASSIGN_OR_RETURN(auto reg, Head(answers, "answer_reg", batch));
  const auto types = ArgmaxWithProbability(type_logits).first;
  const auto attrs = ArgmaxWithProbability(attr).first;
  const auto counts = ArgmaxWithProbability(reg).first;
  const auto yes = binary.sigmoid().gt(0.5).contiguous();
  std::vector<eval::ClevrPrediction> out(static_cast<size_t>(batch));
  for (size_t q = 0; q < out.size(); ++q) {
    out[q] = {static_cast<int>(types[q]), yes.data_ptr<bool>()[q], static_cast<int>(attrs[q]),
              static_cast<int>(counts[q])};
  }
  return out;
}

Result<std::vector<QaAnswer>> ClevrAnswers(const std::map<std::string, torch::Tensor>& answers) {
  MDETR_ASSIGN_OR_RETURN(auto type_logits, Head(answers, "answer_type", -1));
  const int64_t batch = type_logits.size(0);
  MDETR_ASSIGN_OR_RETURN(auto binary, Head(answers, "answer_binary", batch));
  MDETR_ASSIGN_OR_RETURN(auto attr, Head(answers, "answer_attr", batch));
  MDETR_ASSIGN_OR_RETURN(auto reg, Head(answers, "answer_reg", batch));
  const auto [types, type_p] = ArgmaxWithProbability(type_logits);
  const auto attrs = ArgmaxWithProbability(attr);
  const auto counts = ArgmaxWithProbability(reg);
  const auto p_yes = binary.sigmoid().contiguous();
  const auto& attribute_names = eval::ClevrAttributes();
  if (attr.size(1) != static_cast<int64_t>(attribute_names.size())) {
    return InvalidArgumentError("QA outputs: the CLEVR attribute head has " + std::to_string(attr.size(1)) +
                                " classes, expected " + std::to_string(attribute_names.size()));
  }
  std::vector<QaAnswer> out;
  for (size_t q = 0; q < static_cast<size_t>(batch); ++q) {
    QaAnswer a;
    a.type = static_cast<int>(types[q]);
    switch (a.type) {
      case 0: {
        const float p = p_yes.data_ptr<float>()[q];
        const bool yes = p > 0.5f;
        a.answer_id = yes ? 1 : 0;
        a.answer = yes ? "yes" : "no";
        a.confidence = type_p[q] * (yes ? p : 1.0f - p);
        break;
      }
      case 1:
        a.answer_id = attrs.first[q];
        a.answer = std::string(attribute_names[static_cast<size_t>(a.answer_id)]);
        a.confidence = type_p[q] * attrs.second[q];
        break;
      case 2:
        a.answer_id = counts.first[q];
        a.answer = std::to_string(a.answer_id);
        a.confidence = type_p[q] * counts.second[q];
        break;
      default:
        return InvalidArgumentError("QA outputs: the CLEVR type head has more than 3 types");
    }
    out.push_back(std::move(a));
  }
  return out;
}

}  // namespace mdetr::inference
