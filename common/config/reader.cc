#include "common/config/reader.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>

namespace mdetr::config {

void Errors::Add(const SourceLocation& where, const std::string& key_path, const std::string& message) {
  std::string line = where.ToString();
  line += ": ";
  if (!key_path.empty()) line += key_path + ": ";
  line += message;
  messages_.push_back(std::move(line));
}

Status Errors::ToStatus() const {
  if (messages_.empty()) return Status::Ok();
  std::string text;
  for (size_t i = 0; i < messages_.size(); ++i) {
    if (i) text += "\n";
    text += messages_[i];
  }
  return InvalidArgumentError(text);
}

std::string DescribeNode(const YAML::Node& node) {
  if (!node.IsDefined()) return "nothing";
  switch (node.Type()) {
    case YAML::NodeType::Null: return "null";
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Map: return "a mapping";
    case YAML::NodeType::Scalar: return "'" + node.Scalar() + "'";
    default: return "nothing";
  }
}

bool ValueCodec<bool>::Decode(const YAML::Node& node, bool* out) {
  if (!node.IsScalar()) return false;
  const std::string& s = node.Scalar();
  if (s == "true" || s == "True" || s == "TRUE") { *out = true; return true; }
  if (s == "false" || s == "False" || s == "FALSE") { *out = false; return true; }
  return false;
}

bool ValueCodec<int64_t>::Decode(const YAML::Node& node, int64_t* out) {
  if (!node.IsScalar() || node.Tag() == "!") return false;  // "!" = quoted string
  const std::string& s = node.Scalar();
  if (s.empty()) return false;
  errno = 0;
  char* end = nullptr;
  const long long v = std::strtoll(s.c_str(), &end, 10);
  if (errno != 0 || end != s.c_str() + s.size()) return false;
  *out = v;
  return true;
}

bool ValueCodec<int>::Decode(const YAML::Node& node, int* out) {
  int64_t v = 0;
  if (!ValueCodec<int64_t>::Decode(node, &v)) return false;
  if (v < INT32_MIN || v > INT32_MAX) return false;
  *out = static_cast<int>(v);
  return true;
}

bool ValueCodec<double>::Decode(const YAML::Node& node, double* out) {
  if (!node.IsScalar() || node.Tag() == "!") return false;
  const std::string& s = node.Scalar();
  if (s.empty()) return false;
  errno = 0;
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (errno != 0 || end != s.c_str() + s.size() || !std::isfinite(v)) return false;
  *out = v;
  return true;
}

bool ValueCodec<std::string>::Decode(const YAML::Node& node, std::string* out) {
  if (!node.IsScalar()) return false;
  *out = node.Scalar();
  return true;
}

Object::Object(const Document& doc, Errors* errors) : Object(doc, errors, doc.root(), "") {}

Object::Object(const Document& doc, Errors* errors, YAML::Node node, std::string path)
    : doc_(&doc), errors_(errors), node_(std::move(node)), path_(std::move(path)) {}

std::string Object::KeyPath(const std::string& key) const {
  return path_.empty() ? key : path_ + "." + key;
}

std::optional<YAML::Node> Object::Lookup(const std::string& key) {
  known_.insert(key);
  if (!Has(key)) return std::nullopt;
  const YAML::Node& node = node_;  // const operator[] never inserts the key
  return node[key];
}

bool Object::Has(const std::string& key) const {
  if (!node_.IsMap()) return false;
  const YAML::Node& node = node_;
  const YAML::Node value = node[key];
  return value.IsDefined() && !value.IsNull();
}

void Object::MissingKey(const std::string& key, const std::string& type_name) {
  errors_->Add(doc_->Locate(node_, path_), KeyPath(key), "missing required key (" + type_name + ")");
}

bool Object::Choice(const std::string& key, std::string* out, std::initializer_list<const char*> choices,
                    bool required) {
  std::string value;
  if (!Read(key, &value, required)) return false;
  const YAML::Node node = *Lookup(key);
  std::string list;
  for (const char* c : choices) {
    if (value == c) {
      *out = value;
      return true;
    }
    list += list.empty() ? "" : ", ";
    list += c;
  }
  errors_->Add(doc_->Locate(node, KeyPath(key)), KeyPath(key),
               "expected one of " + list + ", got '" + value + "'");
  return false;
}

bool Object::Section(const std::string& key, const std::function<void(Object&)>& parse, bool required) {
  std::optional<YAML::Node> found = Lookup(key);
  if (!found) {
    if (required) MissingKey(key, "mapping");
    return false;
  }
  const YAML::Node value = *found;
  if (!value.IsMap()) {
    errors_->Add(doc_->Locate(value, KeyPath(key)), KeyPath(key), "expected a mapping, got " + DescribeNode(value));
    return false;
  }
  Object child(*doc_, errors_, value, KeyPath(key));
  parse(child);
  child.Finish();
  return true;
}

bool Object::SectionList(const std::string& key, const std::function<void(size_t, Object&)>& parse,
                         bool required) {
  std::optional<YAML::Node> found = Lookup(key);
  if (!found) {
    if (required) MissingKey(key, "list of mappings");
    return false;
  }
  const YAML::Node value = *found;
  if (!value.IsSequence()) {
    errors_->Add(doc_->Locate(value, KeyPath(key)), KeyPath(key),
                 "expected a list of mappings, got " + DescribeNode(value));
    return false;
  }
  bool all_ok = true;
  for (size_t i = 0; i < value.size(); ++i) {
    const std::string item_path = KeyPath(key) + "[" + std::to_string(i) + "]";
    if (!value[i].IsMap()) {
      errors_->Add(doc_->Locate(value[i], item_path), item_path, "expected a mapping, got " + DescribeNode(value[i]));
      all_ok = false;
      continue;
    }
    Object child(*doc_, errors_, value[i], item_path);
    parse(i, child);
    child.Finish();
  }
  return all_ok;
}

std::optional<YAML::Node> Object::Raw(const std::string& key) { return Lookup(key); }

void Object::Check(bool ok, const std::string& key, const std::string& message) {
  if (ok) return;
  std::optional<YAML::Node> value = Has(key) ? Lookup(key) : std::nullopt;
  errors_->Add(doc_->Locate(value ? *value : node_, KeyPath(key)), KeyPath(key), message);
}

void Object::Finish() {
  if (!node_.IsMap()) return;
  for (const auto& kv : node_) {
    const std::string key = kv.first.as<std::string>();
    if (known_.count(key)) continue;
    std::string message = "unknown key";
    std::string best;
    size_t best_distance = 3;  // suggest only close matches
    for (const auto& candidate : known_) {
      const size_t d = EditDistance(key, candidate);
      if (d < best_distance) {
        best_distance = d;
        best = candidate;
      }
    }
    if (!best.empty()) message += " (did you mean '" + best + "'?)";
    errors_->Add(doc_->Locate(kv.first, KeyPath(key)), KeyPath(key), message);
  }
}

size_t EditDistance(const std::string& a, const std::string& b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t subst = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, subst});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

}  // namespace mdetr::config
