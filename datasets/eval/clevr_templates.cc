#include "datasets/eval/clevr_templates.h"

#include <algorithm>
#include <filesystem>

#include <simdjson.h>

namespace mdetr::eval {

std::string ClevrKindOfNode(std::string_view node) {
  auto ends_with = [&](std::string_view s) {
    return node.size() >= s.size() && node.substr(node.size() - s.size()) == s;
  };
  if (ends_with("count")) return "count";
  if (ends_with("exist")) return "exist";
  if (node == "equal_integer" || node == "less_than" || node == "greater_than") return "compare_number";
  if (node.substr(0, 6) == "query_") return "query_attribute";
  if (node.substr(0, 6) == "equal_") return "compare_attribute";
  return "";
}

Result<ClevrTemplates> ClevrTemplates::Load(const std::string& dir) {
  std::error_code ec;
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (entry.path().extension() == ".json") files.push_back(entry.path());
  }
  if (ec) return NotFoundError(dir + ": cannot list the CLEVR template folder: " + ec.message());
  if (files.empty()) return NotFoundError(dir + ": no CLEVR template (*.json) found");
  std::sort(files.begin(), files.end());

  ClevrTemplates out;
  simdjson::dom::parser parser;
  for (const auto& path : files) {
    const std::string source = path.string();
    simdjson::dom::element doc;
    if (parser.load(source).get(doc) != simdjson::SUCCESS) {
      return InvalidArgumentError(source + ": not a readable JSON file");
    }
    simdjson::dom::array templates;
    if (doc.get_array().get(templates) != simdjson::SUCCESS) {
      return InvalidArgumentError(source + ": expected a list of templates");
    }
    int index = 0;
    for (simdjson::dom::element t : templates) {
      const std::string where = source + ": [" + std::to_string(index) + "]";
      simdjson::dom::array nodes;
      if (t["nodes"].get_array().get(nodes) != simdjson::SUCCESS || nodes.size() == 0) {
        return InvalidArgumentError(where + ".nodes: expected a non-empty list");
      }
      std::string_view type;
      if (nodes.at(nodes.size() - 1)["type"].get_string().get(type) != simdjson::SUCCESS) {
        return InvalidArgumentError(where + ".nodes[-1].type: expected a string");
      }
      ClevrFamily f;
      f.file = path.stem().string();
      f.index = index;
      f.last_node = std::string(type);
      f.kind = ClevrKindOfNode(type);
      if (f.kind.empty()) {
        return InvalidArgumentError(where + ".nodes[-1].type: \"" + f.last_node +
                                    "\" ends no CLEVR question kind");
      }
      out.families_.push_back(std::move(f));
      ++index;
    }
  }
  return out;
}

const ClevrFamily* ClevrTemplates::Find(std::string_view file, int index) const {
  if (file.size() > 5 && file.substr(file.size() - 5) == ".json") file.remove_suffix(5);
  for (const ClevrFamily& f : families_) {
    if (f.file == file && f.index == index) return &f;
  }
  return nullptr;
}

}  // namespace mdetr::eval
