#include "datasets/annotations/gqa_questions.h"

#include <simdjson.h>

#include "datasets/annotations/error_list.h"
#include "datasets/annotations/json_values.h"

namespace mdetr::annotations {
namespace {

using simdjson::SUCCESS;
namespace dom = simdjson::dom;

bool ReadObjectMap(dom::element v, std::vector<std::pair<std::string, std::string>>* out) {
  dom::object obj;
  if (v.get_object().get(obj) != SUCCESS) return false;
  for (dom::key_value_pair kv : obj) {
    std::string_view target;
    if (!json::ReadString(kv.value, &target)) return false;
    out->emplace_back(std::string(kv.key), std::string(target));
  }
  return true;
}

bool ReadProgram(dom::element v, std::vector<GqaOperation>* out) {
  dom::array ops;
  if (v.get_array().get(ops) != SUCCESS) return false;
  for (dom::element op_value : ops) {
    dom::object op;
    if (op_value.get_object().get(op) != SUCCESS) return false;
    GqaOperation parsed;
    for (dom::key_value_pair kv : op) {
      std::string_view s;
      if (kv.key == "operation" || kv.key == "argument") {
        if (!json::ReadString(kv.value, &s)) return false;
        (kv.key == "operation" ? parsed.operation : parsed.argument) = std::string(s);
      } else if (kv.key == "dependencies") {
        dom::array deps;
        if (kv.value.get_array().get(deps) != SUCCESS) return false;
        for (dom::element d : deps) {
          int32_t dep = 0;
          if (!json::ReadInt32(d, &dep)) return false;
          parsed.dependencies.push_back(dep);
        }
      }
    }
    out->push_back(std::move(parsed));
  }
  return true;
}

void ReadQuestion(std::string_view id, dom::object obj, ErrorList* errors, GqaQuestion* q) {
  q->id = std::string(id);
  const std::string where = "questions[\"" + q->id + "\"]";
  bool has_question = false;
  bool has_image = false;
  for (dom::key_value_pair kv : obj) {
    const std::string_view key = kv.key;
    std::string_view s;
    bool ok = true;
    const char* expected = "a string";
    if (key == "question" || key == "imageId" || key == "answer" || key == "fullAnswer") {
      ok = json::ReadString(kv.value, &s);
      if (key == "question") has_question = true;
      if (key == "imageId") has_image = true;
      std::string* field = key == "question"  ? &q->question
                           : key == "imageId" ? &q->image_id
                           : key == "answer"  ? &q->answer
                                              : &q->full_answer;
      if (ok) *field = std::string(s);
    } else if (key == "isBalanced") {
      expected = "true or false";
      ok = kv.value.get_bool().get(q->is_balanced) == SUCCESS;
    } else if (key == "types") {
      expected = "an object of strings";
      dom::object types;
      ok = kv.value.get_object().get(types) == SUCCESS;
      for (dom::key_value_pair t : types) {
        if (!ok || kv.value.is_null()) break;
        if (t.value.is_null()) continue;
        ok = json::ReadString(t.value, &s);
        if (t.key == "detailed") q->type_detailed = std::string(s);
        if (t.key == "semantic") q->type_semantic = std::string(s);
        if (t.key == "structural") q->type_structural = std::string(s);
      }
    } else if (key == "semantic") {
      expected = "a list of {operation, dependencies, argument}";
      ok = ReadProgram(kv.value, &q->semantic);
    } else if (key == "annotations") {
      expected = "{question: {...}, answer: {...}, fullAnswer: {...}} of strings";
      dom::object ann;
      ok = kv.value.get_object().get(ann) == SUCCESS;
      for (dom::key_value_pair a : ann) {
        if (!ok) break;
        if (a.key == "question") ok = ReadObjectMap(a.value, &q->question_objects);
        if (a.key == "answer") ok = ReadObjectMap(a.value, &q->answer_objects);
        if (a.key == "fullAnswer") ok = ReadObjectMap(a.value, &q->full_answer_objects);
      }
    }
    if (!ok) errors->Add(where + "." + std::string(key), std::string("expected ") + expected);
  }
  if (!has_question) errors->Add(where + ".question", "missing");
  if (!has_image) errors->Add(where + ".imageId", "missing");
}

}  // namespace

namespace {

Result<std::vector<GqaQuestion>> ParsePadded(const simdjson::padded_string& json, const std::string& source) {
  dom::parser parser;
  dom::element doc;
  auto code = parser.parse(json).get(doc);
  if (code != SUCCESS)
    return InvalidArgumentError(source + ": not valid JSON (" + simdjson::error_message(code) + ")");
  dom::object root;
  if (doc.get_object().get(root) != SUCCESS) {
    return InvalidArgumentError(source + ": expected an object of questions keyed by question id");
  }
  ErrorList errors(source, 20);
  std::vector<GqaQuestion> questions;
  questions.reserve(root.size());
  for (dom::key_value_pair kv : root) {
    dom::object obj;
    if (kv.value.get_object().get(obj) != SUCCESS) {
      errors.Add("questions[\"" + std::string(kv.key) + "\"]", "expected an object");
      continue;
    }
    questions.emplace_back();
    ReadQuestion(kv.key, obj, &errors, &questions.back());
  }
  MDETR_RETURN_IF_ERROR(errors.ToStatus());
  return questions;
}

}  // namespace

Result<std::vector<GqaQuestion>> ParseGqaQuestions(const std::string& json, const std::string& source) {
  return ParsePadded(simdjson::padded_string(json), source);
}

Result<std::vector<GqaQuestion>> ReadGqaQuestions(const std::string& path) {
  simdjson::padded_string json;
  auto code = simdjson::padded_string::load(path).get(json);
  if (code != SUCCESS)
    return NotFoundError(path + ": cannot read GQA questions (" + simdjson::error_message(code) + ")");
  return ParsePadded(json, path);
}

}  // namespace mdetr::annotations
