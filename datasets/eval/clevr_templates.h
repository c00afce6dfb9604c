// CLEVR question families from the dataset's template files (CLEVR_1.0_templates/*.json): a
// family is one template, named "<file stem>/<index in file>", and its kind is the one the MDETR
// paper reports accuracy by, taken from the template's last program node:
//   count, exist, compare_number (equal_integer/less_than/greater_than),
//   query_attribute (query_*), compare_attribute (equal_<attribute>).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace mdetr::eval {

struct ClevrFamily {
  std::string file;  // file stem, e.g. "zero_hop"
  int index = 0;     // position in that file
  std::string last_node;
  std::string kind;
  std::string name() const { return file + "/" + std::to_string(index); }
};

// The kind of a program whose last function is `node` ("filter_count", "query_color", ...), or
// an empty string for a function that ends no question.
std::string ClevrKindOfNode(std::string_view node);

class ClevrTemplates {
 public:
  // Reads every *.json of `dir`, files in name order.
  static Result<ClevrTemplates> Load(const std::string& dir);

  const std::vector<ClevrFamily>& families() const { return families_; }
  // The family of template `index` of file `file` ("zero_hop" or "zero_hop.json"), or nullptr.
  const ClevrFamily* Find(std::string_view file, int index) const;

 private:
  std::vector<ClevrFamily> families_;
};

}  // namespace mdetr::eval
