// CLEVR questions' families and kinds, read from an annotation file for the per-family accuracy.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/status.h"
#include "datasets/eval/clevr_templates.h"

namespace mdetr::trainer {

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
  std::unordered_map<int64_t, uint16_t> label_of_;       // image id -> index in family_labels_
};

}  // namespace mdetr::trainer
