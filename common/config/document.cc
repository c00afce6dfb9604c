#include "common/config/document.h"

#include <filesystem>
#include <fstream>
#include <sstream>

namespace mdetr::config {
namespace fs = std::filesystem;

std::string SourceLocation::ToString() const {
  if (line <= 0) return file;
  return file + ":" + std::to_string(line) + ":" + std::to_string(column);
}

namespace {

std::string JoinPath(const std::string& parent, const std::string& key) {
  return parent.empty() ? key : parent + "." + key;
}

// Records `file` as the origin of every key path under `node`.
void RecordOrigins(const YAML::Node& node, const std::string& path, const std::string& file,
                   std::map<std::string, std::string>* origins) {
  (*origins)[path] = file;
  if (node.IsMap()) {
    for (const auto& kv : node) {
      RecordOrigins(kv.second, JoinPath(path, kv.first.as<std::string>()), file, origins);
    }
  }
}

Result<YAML::Node> ParseYaml(const std::string& text, const std::string& name) {
  try {
    YAML::Node node = YAML::Load(text);
    if (!node.IsDefined() || node.IsNull()) return YAML::Node(YAML::NodeType::Map);
    if (!node.IsMap()) {
      return InvalidArgumentError(name + ":1:1: expected a mapping of keys to values at the top level");
    }
    return node;
  } catch (const YAML::Exception& e) {
    return InvalidArgumentError(name + ":" + std::to_string(e.mark.line + 1) + ":" +
                                std::to_string(e.mark.column + 1) + ": invalid YAML: " + e.msg);
  }
}

}  // namespace

void Document::MergeInto(YAML::Node base, const YAML::Node& top, const std::string& path,
                         const std::string& top_file, std::map<std::string, std::string>* origins) {
  for (const auto& kv : top) {
    const std::string key = kv.first.as<std::string>();
    if (path.empty() && key == "extends") continue;
    const std::string child_path = JoinPath(path, key);
    YAML::Node existing = base[key];
    if (existing.IsMap() && kv.second.IsMap()) {
      MergeInto(existing, kv.second, child_path, top_file, origins);
    } else {
      base[key] = kv.second;
      // The value now comes from the top file; forget any origins of what it replaced.
      for (auto it = origins->lower_bound(child_path); it != origins->end();) {
        if (it->first == child_path || it->first.rfind(child_path + ".", 0) == 0) {
          it = origins->erase(it);
        } else {
          break;
        }
      }
      RecordOrigins(kv.second, child_path, top_file, origins);
    }
  }
}

Result<Document> Document::Parse(const std::string& text, const std::string& name) {
  MDETR_ASSIGN_OR_RETURN(YAML::Node node, ParseYaml(text, name));
  if (node["extends"]) {
    return InvalidArgumentError(name + ": 'extends' needs a document loaded from a file");
  }
  Document doc;
  doc.root_ = node;
  doc.file_ = name;
  return doc;
}

Result<Document> Document::Load(const std::string& path) {
  std::vector<std::string> stack;
  return LoadRecursive(path, &stack);
}

Result<Document> Document::LoadRecursive(const std::string& path, std::vector<std::string>* stack) {
  std::error_code ec;
  const std::string canonical = fs::weakly_canonical(path, ec).string();
  for (const auto& seen : *stack) {
    if (seen == canonical) return InvalidArgumentError(path + ": 'extends' forms a cycle");
  }
  std::ifstream in(path);
  if (!in) return NotFoundError(path + ": cannot open config file");
  std::stringstream buffer;
  buffer << in.rdbuf();
  MDETR_ASSIGN_OR_RETURN(YAML::Node node, ParseYaml(buffer.str(), path));

  Document doc;
  doc.file_ = path;
  YAML::Node extends = node["extends"];
  if (!extends) {
    doc.root_ = node;
    return doc;
  }
  std::vector<std::string> bases;
  if (extends.IsScalar()) {
    bases.push_back(extends.as<std::string>());
  } else if (extends.IsSequence()) {
    for (const auto& item : extends) {
      if (!item.IsScalar()) break;
      bases.push_back(item.as<std::string>());
    }
  }
  if (bases.empty() || (extends.IsSequence() && bases.size() != extends.size())) {
    return InvalidArgumentError(path + ":" + std::to_string(extends.Mark().line + 1) + ":" +
                                std::to_string(extends.Mark().column + 1) +
                                ": extends: expected a file path or a list of file paths");
  }

  stack->push_back(canonical);
  YAML::Node merged(YAML::NodeType::Map);
  std::map<std::string, std::string> origins;
  for (const auto& base_rel : bases) {
    const std::string base_path = (fs::path(path).parent_path() / base_rel).lexically_normal().string();
    auto base = LoadRecursive(base_path, stack);
    if (!base.ok()) {
      stack->pop_back();
      return base.status().WithContext(path + ": extends " + base_rel);
    }
    // Origins inside the base document, then the base's own file for the rest of its values.
    std::map<std::string, std::string> base_origins = base->origins_;
    MergeInto(merged, base->root_, "", base->file_, &origins);
    for (const auto& [key, file] : base_origins) origins[key] = file;
  }
  stack->pop_back();
  MergeInto(merged, node, "", path, &origins);
  doc.root_ = merged;
  doc.origins_ = std::move(origins);
  return doc;
}

Status Document::ApplyOverride(const std::string& assignment) {
  const auto eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0) {
    return InvalidArgumentError("--set " + assignment + ": expected key.path=value");
  }
  const std::string key_path = assignment.substr(0, eq);
  const std::string value_text = assignment.substr(eq + 1);
  YAML::Node value;
  try {
    value = YAML::Load(value_text);
  } catch (const YAML::Exception& e) {
    return InvalidArgumentError("--set " + assignment + ": value is not valid YAML: " + e.msg);
  }
  if (!value.IsDefined()) value = YAML::Node(YAML::NodeType::Null);

  std::vector<std::string> keys;
  std::stringstream ss(key_path);
  for (std::string key; std::getline(ss, key, '.');) {
    if (key.empty()) return InvalidArgumentError("--set " + assignment + ": empty key in '" + key_path + "'");
    keys.push_back(key);
  }
  // yaml-cpp's operator[] returns proxies; walk with fresh handles so each level is created.
  // A numeric key indexes into an existing list ("data.train.0.ann_file").
  auto is_index = [](const std::string& k) {
    return !k.empty() && k.find_first_not_of("0123456789") == std::string::npos;
  };
  YAML::Node current = root_;
  for (size_t i = 0; i + 1 < keys.size(); ++i) {
    if (current.IsSequence()) {
      if (!is_index(keys[i]) || std::stoul(keys[i]) >= current.size()) {
        return InvalidArgumentError("--set " + assignment + ": '" + keys[i] + "' is not an index of a list of " +
                                    std::to_string(current.size()));
      }
      current.reset(current[std::stoul(keys[i])]);
      continue;
    }
    YAML::Node next = current[keys[i]];
    if (next && !next.IsMap() && !next.IsSequence() && !next.IsNull()) {
      return InvalidArgumentError("--set " + assignment + ": '" + keys[i] + "' is not a mapping");
    }
    if (!next || next.IsNull()) {
      current[keys[i]] = YAML::Node(YAML::NodeType::Map);
    }
    current.reset(current[keys[i]]);
  }
  if (current.IsSequence()) {
    if (!is_index(keys.back()) || std::stoul(keys.back()) >= current.size()) {
      return InvalidArgumentError("--set " + assignment + ": '" + keys.back() + "' is not an index of a list of " +
                                  std::to_string(current.size()));
    }
    current[std::stoul(keys.back())] = value;
  } else {
    current[keys.back()] = value;
  }
  for (auto it = origins_.lower_bound(key_path); it != origins_.end();) {
    if (it->first == key_path || it->first.rfind(key_path + ".", 0) == 0) it = origins_.erase(it);
    else break;
  }
  // Recorded in the reader's spelling of list items ("data.train[0].ann_file").
  std::string reader_path;
  for (const auto& k : keys) {
    if (is_index(k) && !reader_path.empty()) reader_path += "[" + k + "]";
    else reader_path += (reader_path.empty() ? "" : ".") + k;
  }
  overrides_[reader_path] = assignment;
  return Status::Ok();
}

Status Document::ApplyOverrides(const std::vector<std::string>& assignments) {
  for (const auto& a : assignments) MDETR_RETURN_IF_ERROR(ApplyOverride(a));
  return Status::Ok();
}

SourceLocation Document::Locate(const YAML::Node& node, const std::string& key_path) const {
  // A value set on the command line, or inside one, is located at the override.
  for (std::string p = key_path;;) {
    auto it = overrides_.find(p);
    if (it != overrides_.end()) return SourceLocation{"--set " + it->second, 0, 0};
    const auto dot = p.rfind('.');
    if (dot == std::string::npos) break;
    p.resize(dot);
  }
  SourceLocation loc{file_, 0, 0};
  for (std::string p = key_path;;) {
    auto it = origins_.find(p);
    if (it != origins_.end()) {
      loc.file = it->second;
      break;
    }
    const auto dot = p.rfind('.');
    if (dot == std::string::npos) break;
    p.resize(dot);
  }
  const YAML::Mark mark = node.Mark();
  if (mark.line >= 0) {
    loc.line = mark.line + 1;
    loc.column = mark.column + 1;
  }
  return loc;
}

std::string Document::ToYaml() const {
  YAML::Emitter out;
  out << root_;
  return out.c_str();
}

}  // namespace mdetr::config
