// Python values rebuilt from a pickle, as a read-only tree to navigate from C++.
//
// The unpickler allocates every node in one PyHeap; a PyValue is a cheap handle (heap + node +
// the access path, for error messages) that keeps the heap, and the mapped file behind its
// tensors, alive. Containers refer to nodes by plain pointers, so memo references and even
// cyclic pickles are fine. Objects of classes we do not know (argparse.Namespace, PosixPath)
// are kept as kObject values with their class name, constructor args and __dict__ state.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/status.h"
#include "model/io/tensor_view.h"

namespace mdetr::io {

enum class PyKind {
  kMissing,  // the result of looking up something absent; every accessor on it fails cleanly
  kNone,
  kBool,
  kInt,
  kFloat,
  kString,
  kBytes,
  kTuple,
  kList,
  kDict,
  kObject,  // an instance of a class we have no C++ type for
  kGlobal,  // a class or function reference (GLOBAL opcode): "module.name"
  kTensor,
  kStorage,  // a torch storage from a persistent id, before a tensor is built on it
};

const char* PyKindName(PyKind kind);

struct PyNode {
  PyKind kind = PyKind::kNone;
  bool boolean = false;
  int64_t integer = 0;
  double real = 0.0;
  std::string text;            // str/bytes contents; "module.name" for kGlobal and kObject
  std::vector<PyNode*> items;  // tuple/list elements; kObject: its list items
  std::vector<std::pair<PyNode*, PyNode*>> entries;   // dict items in insertion order
  std::unordered_map<std::string, size_t> str_index;  // str key -> position in entries
  std::vector<PyNode*> args;                          // kObject: constructor arguments
  PyNode* state = nullptr;                            // kObject / kDict: the BUILD state (__dict__)
  std::unique_ptr<TensorView> tensor;                 // kTensor, and kStorage (as a 1-D byte view)

  // Inserts or replaces `key`, keeping the first insertion's position as Python dicts do.
  void SetItem(PyNode* key, PyNode* value);
  // The value for a str key, or nullptr.
  PyNode* FindStr(const std::string& key) const;
};

struct PyHeap {
  std::deque<PyNode> nodes;
  std::shared_ptr<const void> owner;  // what tensor views point into (the mapped file)
  PyNode* New(PyKind kind) {
    nodes.emplace_back();
    nodes.back().kind = kind;
    return &nodes.back();
  }
};

class PyValue {
 public:
  PyValue() = default;
  PyValue(std::shared_ptr<const PyHeap> heap, const PyNode* node, std::string path)
      : heap_(std::move(heap)), node_(node), path_(std::move(path)) {}

  PyKind kind() const { return node_ ? node_->kind : PyKind::kMissing; }
  bool is_missing() const { return kind() == PyKind::kMissing; }
  bool is_none() const { return kind() == PyKind::kNone; }
  bool is_dict() const { return kind() == PyKind::kDict; }
  bool is_tensor() const { return kind() == PyKind::kTensor; }
  bool is_object() const { return kind() == PyKind::kObject; }
  // Where this value was reached from the root, e.g. "['args'].lr"; used in error messages.
  const std::string& path() const { return path_; }

  // Navigation. These never fail: a missing key, index or attribute gives a kMissing value whose
  // accessors report the path that was asked for.
  PyValue operator[](const std::string& key) const;  // dict item (str key)
  PyValue item(int64_t key) const;                   // dict item (int key, e.g. optimizer state)
  PyValue at(size_t index) const;                    // tuple/list element
  PyValue attr(const std::string& name) const;       // object attribute from its __dict__ state
  bool contains(const std::string& key) const;
  size_t size() const;  // elements of a tuple/list, items of a dict, 0 otherwise

  // Dict items in order / object attributes in order.
  std::vector<std::pair<PyValue, PyValue>> items() const;
  std::vector<std::string> keys() const;  // str keys of a dict (others are skipped)
  std::vector<std::pair<std::string, PyValue>> attrs() const;
  // kObject/kGlobal: "argparse.Namespace". Empty otherwise.
  std::string class_name() const;
  // kObject: constructor arguments (e.g. the parts of a pathlib.PosixPath).
  std::vector<PyValue> args() const;

  // Typed access with errors naming the path and the kind found.
  Result<bool> ToBool() const;
  Result<int64_t> ToInt() const;         // int or bool
  Result<double> ToDouble() const;       // float, int or bool
  Result<std::string> ToString() const;  // str, or a pathlib path object joined back together
  Result<std::string> ToBytes() const;   // bytes or str
  Result<TensorView> ToTensor() const;

  // A short Python-like rendering, cut at `max_depth` and `max_items`.
  std::string Repr(int max_depth = 3, size_t max_items = 8) const;

 private:
  PyValue Child(const PyNode* node, std::string suffix) const { return PyValue(heap_, node, path_ + suffix); }
  Status KindError(const char* expected) const;

  std::shared_ptr<const PyHeap> heap_;
  const PyNode* node_ = nullptr;
  std::string path_;
};

}  // namespace mdetr::io
