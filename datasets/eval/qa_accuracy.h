// Question-answering accuracy of MDETR's QA heads, as its criteria report them
// (QACriterionGQA / QACriterionClevr in models/mdetr.py), over a whole split:
//  * answer_type: the predicted answer type is right;
//  * per type (GQA: obj, attr, rel, global, cat; CLEVR: binary, attr, count): among the questions
//    of that true type, the head of that type picked the right answer, whatever type was
//    predicted; 1.0 for a type with no question (the reference's convention);
//  * total: the type is right and so is that head's answer (the reported accuracy).
// CLEVR questions can also be tallied by template family and by the paper's question kinds
// (clevr_templates.h). The state is a set of counters: merging adds them.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace mdetr::eval {

struct QaCounts {
  int64_t questions = 0;
  int64_t correct = 0;  // type and answer right
  double accuracy() const {
    return questions == 0 ? 0.0 : static_cast<double>(correct) / static_cast<double>(questions);
  }
};

// One answer type's tallies.
struct QaTypeCounts {
  int64_t questions = 0;
  int64_t head_correct = 0;
  // The reference reports 1.0 for a type that no question had.
  double head_accuracy() const {
    return questions == 0 ? 1.0 : static_cast<double>(head_correct) / static_cast<double>(questions);
  }
};

struct QaSummary {
  int64_t questions = 0;
  double answer_type_accuracy = 0;
  double total_accuracy = 0;
  std::vector<std::pair<std::string, QaTypeCounts>> per_type;  // in head order
  std::map<std::string, QaCounts> per_group;                   // family / kind, when given
};

// Shared counting for both datasets: a question has a true type, the predicted type, and whether
// the head of the true type answered right.
class QaAccuracy {
 public:
  explicit QaAccuracy(std::vector<std::string> type_names);

  // group: optional labels (e.g. the CLEVR family and kind) to tally the question under.
  Status Add(int true_type, int predicted_type, bool head_correct,
             const std::vector<std::string>& groups = {});

  std::string SerializeState() const;
  Status MergeState(std::string_view bytes);
  QaSummary Summarize() const;

 private:
  std::vector<std::string> type_names_;
  int64_t questions_ = 0;
  int64_t type_correct_ = 0;
  int64_t total_correct_ = 0;
  std::vector<QaTypeCounts> per_type_;
  std::map<std::string, QaCounts> per_group_;
};

// GQA with split heads: answer ids are indices into each type's answer list
// (gqa_answer2id_by_type.json; an answer missing from it maps to that list's "unknown").
struct GqaPrediction {
  int predicted_type = 0;             // argmax of pred_answer_type
  std::array<int, 5> head_answers{};  // argmax of pred_answer_obj, _attr, _rel, _global, _cat
};
struct GqaTruth {
  int type = 0;    // 0 obj, 1 attr, 2 rel, 3 global, 4 cat
  int answer = 0;  // index in that type's answer list
};
QaAccuracy MakeGqaAccuracy();
Status AddGqa(QaAccuracy* acc, const GqaTruth& truth, const GqaPrediction& prediction);

// CLEVR: type 0 yes/no (sigmoid > 0.5 is "yes"), 1 attribute (15 values), 2 count (0..19).
struct ClevrPrediction {
  int predicted_type = 0;
  bool binary_yes = false;
  int attribute = 0;
  int count = 0;
};
struct ClevrTruth {
  int type = 0;
  int answer = 0;  // 0/1 (no/yes), attribute index, or count
};
// The reference's attribute order (datasets/clevr.py ALL_ATTRIBUTES).
const std::array<std::string_view, 15>& ClevrAttributes();
// Encodes a CLEVR answer string ("yes", "red", "3") as the reference does.
Result<ClevrTruth> ClevrTruthFromAnswer(std::string_view answer);
QaAccuracy MakeClevrAccuracy();
Status AddClevr(QaAccuracy* acc, const ClevrTruth& truth, const ClevrPrediction& prediction,
                const std::vector<std::string>& groups = {});

}  // namespace mdetr::eval
