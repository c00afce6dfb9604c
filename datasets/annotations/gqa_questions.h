// GQA question files (questions1.2 / balanced splits): a JSON object keyed by question id. The
// fields MDETR's GQA conversion reads are kept; test-split files have no answers.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "common/status.h"

namespace mdetr::annotations {

struct GqaOperation {
  std::string operation;          // "select", "relate", "verify shape", ...
  std::vector<int> dependencies;  // indices of earlier operations
  std::string argument;           // e.g. "chalkboard (0)" with the object id in parentheses
};

struct GqaQuestion {
  std::string id;  // the object key, e.g. "202218649"
  std::string image_id;
  std::string question;
  std::string answer;       // empty when absent (test splits)
  std::string full_answer;  // empty when absent
  bool is_balanced = false;
  std::string type_detailed;    // types.detailed
  std::string type_semantic;    // types.semantic: obj / attr / rel / global / cat (question_type)
  std::string type_structural;  // types.structural
  std::vector<GqaOperation> semantic;
  // annotations.{question,answer,fullAnswer}: token position (a string such as "2" or "3:5") ->
  // scene-graph object id, in file order.
  std::vector<std::pair<std::string, std::string>> question_objects;
  std::vector<std::pair<std::string, std::string>> answer_objects;
  std::vector<std::pair<std::string, std::string>> full_answer_objects;
};

// Questions in file order. Each question needs "question" and "imageId" strings; errors name the
// file and the question id.
Result<std::vector<GqaQuestion>> ReadGqaQuestions(const std::string& path);
Result<std::vector<GqaQuestion>> ParseGqaQuestions(const std::string& json, const std::string& source);

}  // namespace mdetr::annotations
