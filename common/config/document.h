// A YAML configuration document that remembers where every value came from.
//
// A document is loaded from a file, may `extends:` other files (deep-merged underneath it, the
// extending file winning), and may then receive command-line overrides ("train.lr=2e-4"). Every
// value keeps a source location, so an error can name the file, line and column a user must edit.
#pragma once

#include <yaml-cpp/yaml.h>

#include <map>
#include <string>
#include <vector>

#include "common/status.h"

namespace mdetr::config {

struct SourceLocation {
  std::string file;  // a path, or "--set train.lr=..." for a command-line override
  int line = 0;      // 1-based; 0 when unknown
  int column = 0;    // 1-based; 0 when unknown
  std::string ToString() const;  // "file:line:column" or "file" when the position is unknown
};

class Document {
 public:
  // Loads `path`, resolving `extends:` (a path or list of paths relative to the extending file).
  static Result<Document> Load(const std::string& path);
  // Parses `text` as if it were a file named `name`.
  static Result<Document> Parse(const std::string& text, const std::string& name);

  // Applies "a.b.c=value". The value is parsed as YAML, so "3", "1e-4", "true", "[1,2]" and
  // "{x: 1}" get their YAML types. Intermediate mappings are created as needed.
  Status ApplyOverride(const std::string& assignment);
  Status ApplyOverrides(const std::vector<std::string>& assignments);

  const YAML::Node& root() const { return root_; }
  const std::string& file() const { return file_; }

  // Where the value at `key_path` (dotted) was written. `node` is that value, or for a missing
  // key the mapping that should have contained it.
  SourceLocation Locate(const YAML::Node& node, const std::string& key_path) const;

  // The document as YAML text, for recording the effective config of a run.
  std::string ToYaml() const;

 private:
  static Result<Document> LoadRecursive(const std::string& path, std::vector<std::string>* stack);
  static void MergeInto(YAML::Node base, const YAML::Node& top, const std::string& path,
                        const std::string& top_file, std::map<std::string, std::string>* origins);

  YAML::Node root_;
  std::string file_;
  // Key path -> file, for values that came from a file other than file_ (through extends).
  std::map<std::string, std::string> origins_;
  // Key path -> the override text that set it.
  std::map<std::string, std::string> overrides_;
};

}  // namespace mdetr::config
