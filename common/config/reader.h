// Typed reading of a config Document into plain structs.
//
// A schema is ordinary code: for each mapping it names the keys it accepts, their types, whether
// they are required, and checks on their values. Every problem is collected (not just the first)
// and reported as "file:line:column: key.path: what was expected", and keys the schema did not
// read are rejected as unknown, with a suggestion when a known key is close.
//
//   config::Errors errors;
//   config::Object obj(doc, &errors);
//   obj.Required("epochs", &cfg.epochs);
//   obj.Optional("lr", &cfg.lr);
//   obj.Section("model", [&](config::Object& m) { ParseModel(m, &cfg.model); });
//   obj.Finish();
//   MDETR_RETURN_IF_ERROR(errors.ToStatus());
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/config/document.h"
#include "common/status.h"

namespace mdetr::config {

class Errors {
 public:
  void Add(const SourceLocation& where, const std::string& key_path, const std::string& message);
  bool empty() const { return messages_.empty(); }
  const std::vector<std::string>& messages() const { return messages_; }
  // OK when empty; otherwise INVALID_ARGUMENT with one line per problem.
  Status ToStatus() const;

 private:
  std::vector<std::string> messages_;
};

// Decoding of one YAML value into a C++ type. Specialised for the types configs use.
template <typename T>
struct ValueCodec;

template <> struct ValueCodec<bool> {
  static const char* Name() { return "boolean (true/false)"; }
  static bool Decode(const YAML::Node& node, bool* out);
};
template <> struct ValueCodec<int64_t> {
  static const char* Name() { return "integer"; }
  static bool Decode(const YAML::Node& node, int64_t* out);
};
template <> struct ValueCodec<int> {
  static const char* Name() { return "integer"; }
  static bool Decode(const YAML::Node& node, int* out);
};
template <> struct ValueCodec<double> {
  static const char* Name() { return "number"; }
  static bool Decode(const YAML::Node& node, double* out);
};
template <> struct ValueCodec<std::string> {
  static const char* Name() { return "string"; }
  static bool Decode(const YAML::Node& node, std::string* out);
};
template <typename T> struct ValueCodec<std::vector<T>> {
  static std::string Name() { return std::string("list of ") + ValueCodec<T>::Name(); }
  static bool Decode(const YAML::Node& node, std::vector<T>* out) {
    if (!node.IsSequence()) return false;
    std::vector<T> values(node.size());
    for (size_t i = 0; i < node.size(); ++i) {
      if (!ValueCodec<T>::Decode(node[i], &values[i])) return false;
    }
    *out = std::move(values);
    return true;
  }
};

// Describes a YAML node for an error message: "'abc'", "a list", "a mapping", "nothing".
std::string DescribeNode(const YAML::Node& node);

// Reads one mapping of a document.
class Object {
 public:
  // The document's top-level mapping.
  Object(const Document& doc, Errors* errors);

  // Reads `key` into `out`; a missing key is an error. Returns true if a value was stored.
  template <typename T>
  bool Required(const std::string& key, T* out) {
    return Read(key, out, /*required=*/true);
  }
  // Reads `key` into `out` if present; otherwise leaves the default in `out`.
  template <typename T>
  bool Optional(const std::string& key, T* out) {
    return Read(key, out, /*required=*/false);
  }
  // A string restricted to `choices`.
  bool Choice(const std::string& key, std::string* out, std::initializer_list<const char*> choices,
              bool required = false);
  // A nested mapping parsed by `parse`. A missing optional section calls nothing.
  bool Section(const std::string& key, const std::function<void(Object&)>& parse, bool required = false);
  // A list of mappings, each parsed by `parse(index, object)`.
  bool SectionList(const std::string& key, const std::function<void(size_t, Object&)>& parse,
                   bool required = false);
  // The raw node of a key whose shape is free-form (e.g. a sweep's search space). Marks it known.
  std::optional<YAML::Node> Raw(const std::string& key);
  bool Has(const std::string& key) const;

  // Adds an error about `key` unless `ok`; for range and consistency checks after reading.
  void Check(bool ok, const std::string& key, const std::string& message);

  // Reports every key present in the mapping that the schema did not read.
  void Finish();

  const std::string& path() const { return path_; }

 private:
  Object(const Document& doc, Errors* errors, YAML::Node node, std::string path);

  template <typename T>
  bool Read(const std::string& key, T* out, bool required) {
    std::optional<YAML::Node> found = Lookup(key);
    if (!found) {
      if (required) MissingKey(key, ValueCodec<T>::Name());
      return false;
    }
    const YAML::Node& value = *found;
    if (!ValueCodec<T>::Decode(value, out)) {
      errors_->Add(doc_->Locate(value, KeyPath(key)), KeyPath(key),
                   std::string("expected ") + ValueCodec<T>::Name() + ", got " + DescribeNode(value));
      return false;
    }
    return true;
  }

  // The value of `key`, or nothing when absent or null. Marks the key as known.
  std::optional<YAML::Node> Lookup(const std::string& key);
  void MissingKey(const std::string& key, const std::string& type_name);
  std::string KeyPath(const std::string& key) const;

  const Document* doc_;
  Errors* errors_;
  YAML::Node node_;
  std::string path_;
  std::set<std::string> known_;
};

// Levenshtein distance, for "did you mean" suggestions.
size_t EditDistance(const std::string& a, const std::string& b);

}  // namespace mdetr::config
