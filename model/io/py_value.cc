#include "model/io/py_value.h"

#include <cstdio>

namespace mdetr::io {
namespace {

bool SameScalarKey(const PyNode* a, const PyNode* b) {
  if (a == b) return true;
  auto numeric = [](const PyNode* n) { return n->kind == PyKind::kInt || n->kind == PyKind::kBool; };
  if (numeric(a) && numeric(b)) {
    int64_t x = a->kind == PyKind::kBool ? a->boolean : a->integer;
    int64_t y = b->kind == PyKind::kBool ? b->boolean : b->integer;
    return x == y;
  }
  if (a->kind != b->kind) return false;
  switch (a->kind) {
    case PyKind::kNone:
      return true;
    case PyKind::kFloat:
      return a->real == b->real;
    case PyKind::kString:
    case PyKind::kBytes:
      return a->text == b->text;
    default:
      return false;  // containers and objects compare by identity
  }
}

std::string Quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\x%02x", static_cast<unsigned char>(c));
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "'";
}

std::string FormatDouble(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.17g", v);
  return buf;
}

bool IsPathClass(const std::string& name) {
  return name == "pathlib.PosixPath" || name == "pathlib.WindowsPath" || name == "pathlib.Path" ||
         name == "pathlib.PurePosixPath" || name == "pathlib.PureWindowsPath";
}

void ReprInto(const PyNode* n, int depth, size_t max_items, std::string* out) {
  if (n == nullptr) {
    *out += "<missing>";
    return;
  }
  auto list = [&](const std::vector<PyNode*>& v, const char* open, const char* close) {
    *out += open;
    if (depth <= 0 && !v.empty()) {
      *out += "...";
    } else {
      for (size_t i = 0; i < v.size(); ++i) {
        if (i) *out += ", ";
        if (i == max_items) {
          *out += "... (" + std::to_string(v.size()) + " items)";
          break;
        }
        ReprInto(v[i], depth - 1, max_items, out);
      }
    }
    *out += close;
  };
  auto dict = [&](const PyNode* d) {
    *out += "{";
    if (depth <= 0 && !d->entries.empty()) {
      *out += "...";
    } else {
      for (size_t i = 0; i < d->entries.size(); ++i) {
        if (i) *out += ", ";
        if (i == max_items) {
          *out += "... (" + std::to_string(d->entries.size()) + " items)";
          break;
        }
        ReprInto(d->entries[i].first, depth - 1, max_items, out);
        *out += ": ";
        ReprInto(d->entries[i].second, depth - 1, max_items, out);
      }
    }
    *out += "}";
  };
  switch (n->kind) {
    case PyKind::kMissing:
      *out += "<missing>";
      return;
    case PyKind::kNone:
      *out += "None";
      return;
    case PyKind::kBool:
      *out += n->boolean ? "True" : "False";
      return;
    case PyKind::kInt:
      *out += std::to_string(n->integer);
      return;
    case PyKind::kFloat:
      *out += FormatDouble(n->real);
      return;
    case PyKind::kString:
      *out += Quote(n->text);
      return;
    case PyKind::kBytes:
      *out += "b" + Quote(n->text);
      return;
    case PyKind::kTuple:
      list(n->items, "(", n->items.size() == 1 ? ",)" : ")");
      return;
    case PyKind::kList:
      list(n->items, "[", "]");
      return;
    case PyKind::kDict:
      dict(n);
      return;
    case PyKind::kGlobal:
      *out += "<" + n->text + ">";
      return;
    case PyKind::kTensor:
      *out += "tensor(" + n->tensor->ShapeString() + ")";
      return;
    case PyKind::kStorage:
      *out += "storage(" + n->text + ")";
      return;
    case PyKind::kObject:
      *out += n->text;
      list(n->args, "(", ")");
      if (n->state != nullptr) {
        *out += " state=";
        ReprInto(n->state, depth - 1, max_items, out);
      }
      if (!n->entries.empty()) {
        *out += " items=";
        dict(n);
      }
      return;
  }
}

}  // namespace

const char* PyKindName(PyKind kind) {
  switch (kind) {
    case PyKind::kMissing:
      return "missing";
    case PyKind::kNone:
      return "None";
    case PyKind::kBool:
      return "bool";
    case PyKind::kInt:
      return "int";
    case PyKind::kFloat:
      return "float";
    case PyKind::kString:
      return "str";
    case PyKind::kBytes:
      return "bytes";
    case PyKind::kTuple:
      return "tuple";
    case PyKind::kList:
      return "list";
    case PyKind::kDict:
      return "dict";
    case PyKind::kObject:
      return "object";
    case PyKind::kGlobal:
      return "global";
    case PyKind::kTensor:
      return "tensor";
    case PyKind::kStorage:
      return "storage";
  }
  return "unknown";
}

void PyNode::SetItem(PyNode* key, PyNode* value) {
  if (key->kind == PyKind::kString) {
    auto [it, inserted] = str_index.emplace(key->text, entries.size());
    if (inserted) {
      entries.emplace_back(key, value);
    } else {
      entries[it->second].second = value;
    }
    return;
  }
  for (auto& entry : entries) {
    if (SameScalarKey(entry.first, key)) {
      entry.second = value;
      return;
    }
  }
  entries.emplace_back(key, value);
}

PyNode* PyNode::FindStr(const std::string& key) const {
  auto it = str_index.find(key);
  return it == str_index.end() ? nullptr : entries[it->second].second;
}

PyValue PyValue::operator[](const std::string& key) const {
  const PyNode* found = node_ && (node_->kind == PyKind::kDict || node_->kind == PyKind::kObject)
                            ? node_->FindStr(key)
                            : nullptr;
  return Child(found, "[" + Quote(key) + "]");
}

PyValue PyValue::item(int64_t key) const {
  const PyNode* found = nullptr;
  if (node_ && (node_->kind == PyKind::kDict || node_->kind == PyKind::kObject)) {
    PyNode probe;
    probe.kind = PyKind::kInt;
    probe.integer = key;
    for (const auto& entry : node_->entries) {
      if (SameScalarKey(entry.first, &probe)) {
        found = entry.second;
        break;
      }
    }
  }
  return Child(found, "[" + std::to_string(key) + "]");
}

PyValue PyValue::at(size_t index) const {
  const PyNode* found = nullptr;
  if (node_ &&
      (node_->kind == PyKind::kTuple || node_->kind == PyKind::kList || node_->kind == PyKind::kObject) &&
      index < node_->items.size()) {
    found = node_->items[index];
  }
  return Child(found, "[" + std::to_string(index) + "]");
}

PyValue PyValue::attr(const std::string& name) const {
  const PyNode* found = nullptr;
  if (node_ && node_->state != nullptr) {
    const PyNode* state = node_->state;
    // BUILD states may be (dict_state, slot_state); attributes live in either.
    if (state->kind == PyKind::kTuple && state->items.size() == 2) {
      for (const PyNode* part : state->items) {
        if (part->kind == PyKind::kDict && (found = part->FindStr(name)) != nullptr) break;
      }
    } else if (state->kind == PyKind::kDict) {
      found = state->FindStr(name);
    }
  }
  return Child(found, "." + name);
}

bool PyValue::contains(const std::string& key) const { return !(*this)[key].is_missing(); }

size_t PyValue::size() const {
  if (!node_) return 0;
  switch (node_->kind) {
    case PyKind::kTuple:
    case PyKind::kList:
      return node_->items.size();
    case PyKind::kDict:
      return node_->entries.size();
    default:
      return 0;
  }
}

std::vector<std::pair<PyValue, PyValue>> PyValue::items() const {
  std::vector<std::pair<PyValue, PyValue>> out;
  if (!node_) return out;
  for (const auto& [key, value] : node_->entries) {
    std::string suffix;
    if (key->kind == PyKind::kString) {
      suffix = "[" + Quote(key->text) + "]";
    } else if (key->kind == PyKind::kInt) {
      suffix = "[" + std::to_string(key->integer) + "]";
    } else {
      suffix = "[<" + std::string(PyKindName(key->kind)) + " key>]";
    }
    out.emplace_back(Child(key, suffix + ".key"), Child(value, suffix));
  }
  return out;
}

std::vector<std::string> PyValue::keys() const {
  std::vector<std::string> out;
  if (!node_) return out;
  for (const auto& entry : node_->entries) {
    if (entry.first->kind == PyKind::kString) out.push_back(entry.first->text);
  }
  return out;
}

std::vector<std::pair<std::string, PyValue>> PyValue::attrs() const {
  std::vector<std::pair<std::string, PyValue>> out;
  if (!node_ || node_->state == nullptr) return out;
  auto add = [&](const PyNode* dict) {
    for (const auto& [key, value] : dict->entries) {
      if (key->kind == PyKind::kString) out.emplace_back(key->text, Child(value, "." + key->text));
    }
  };
  const PyNode* state = node_->state;
  if (state->kind == PyKind::kDict) add(state);
  if (state->kind == PyKind::kTuple) {
    for (const PyNode* part : state->items) {
      if (part->kind == PyKind::kDict) add(part);
    }
  }
  return out;
}

std::string PyValue::class_name() const {
  if (node_ && (node_->kind == PyKind::kObject || node_->kind == PyKind::kGlobal)) return node_->text;
  return "";
}

std::vector<PyValue> PyValue::args() const {
  std::vector<PyValue> out;
  if (!node_ || node_->kind != PyKind::kObject) return out;
  for (size_t i = 0; i < node_->args.size(); ++i) {
    out.push_back(Child(node_->args[i], ".args[" + std::to_string(i) + "]"));
  }
  return out;
}

Status PyValue::KindError(const char* expected) const {
  std::string where = path_.empty() ? "value" : path_;
  if (is_missing()) return NotFoundError(where + ": not present (expected " + expected + ")");
  std::string found = PyKindName(kind());
  if (kind() == PyKind::kObject) found += " " + node_->text;
  return InvalidArgumentError(where + ": expected " + expected + ", got " + found);
}

Result<bool> PyValue::ToBool() const {
  if (kind() == PyKind::kBool) return node_->boolean;
  return KindError("bool");
}

Result<int64_t> PyValue::ToInt() const {
  if (kind() == PyKind::kInt) return node_->integer;
  if (kind() == PyKind::kBool) return static_cast<int64_t>(node_->boolean);
  return KindError("int");
}

Result<double> PyValue::ToDouble() const {
  if (kind() == PyKind::kFloat) return node_->real;
  if (kind() == PyKind::kInt) return static_cast<double>(node_->integer);
  if (kind() == PyKind::kBool) return node_->boolean ? 1.0 : 0.0;
  return KindError("float");
}

Result<std::string> PyValue::ToString() const {
  if (kind() == PyKind::kString) return node_->text;
  if (kind() == PyKind::kObject && IsPathClass(node_->text)) {
    // pathlib pickles a path as its parts: ('/', 'checkpoint', 'run') -> "/checkpoint/run".
    std::string joined;
    for (const PyNode* part : node_->args) {
      if (part->kind != PyKind::kString) return KindError("str or path");
      if (!joined.empty() && joined.back() != '/') joined += '/';
      joined += part->text;
    }
    return joined;
  }
  return KindError("str");
}

Result<std::string> PyValue::ToBytes() const {
  if (kind() == PyKind::kBytes || kind() == PyKind::kString) return node_->text;
  return KindError("bytes");
}

Result<TensorView> PyValue::ToTensor() const {
  if (kind() == PyKind::kTensor) return *node_->tensor;
  return KindError("tensor");
}

std::string PyValue::Repr(int max_depth, size_t max_items) const {
  std::string out;
  ReprInto(node_, max_depth, max_items, &out);
  return out;
}

}  // namespace mdetr::io
