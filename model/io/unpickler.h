// The pickle virtual machine behind Unpickle() (pickle_reader.h): input, stack, memo and marks here;
// the opcode loop in unpickler.cc; the Python-level operations (globals, REDUCE, BUILD, torch's
// tensor rebuild over persistent storages) in unpickler_objects.cc.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/status.h"
#include "model/io/little_endian.h"
#include "model/io/pickle_reader.h"
#include "model/io/py_value.h"

namespace mdetr::io::pickle {

class Unpickler {
 public:
  Unpickler(std::string_view bytes, const PickleSource& source)
      : bytes_(reinterpret_cast<const uint8_t*>(bytes.data())), size_(bytes.size()), source_(source) {
    heap_ = std::make_shared<PyHeap>();
    heap_->owner = source.owner;
  }

  Result<PyValue> Run();

 private:
  Status Step(uint8_t op);
  Status Fail(const std::string& what) const {
    char opname[16];
    uint8_t op = op_;
    if (op >= 0x20 && op < 0x7f) {
      std::snprintf(opname, sizeof(opname), "'%c'", op);
    } else {
      std::snprintf(opname, sizeof(opname), "0x%02x", op);
    }
    return DataLossError(source_.name + ": pickle offset " + std::to_string(op_pos_) + ", opcode " + opname +
                         ": " + what);
  }

  // Input.
  Status Take(uint64_t n, const uint8_t** out) {
    if (n > size_ - pos_) {
      return Fail("needs " + std::to_string(n) + " bytes but " + std::to_string(size_ - pos_) +
                  " remain (truncated pickle)");
    }
    *out = bytes_ + pos_;
    pos_ += static_cast<size_t>(n);
    return Status::Ok();
  }
  Status TakeUInt(int n, uint64_t* out) {
    const uint8_t* p;
    MDETR_RETURN_IF_ERROR(Take(static_cast<size_t>(n), &p));
    *out = LoadLE(p, n);
    return Status::Ok();
  }
  Status TakeLine(std::string* out) {
    const void* nl = std::memchr(bytes_ + pos_, '\n', size_ - pos_);
    if (nl == nullptr) return Fail("unterminated text argument");
    size_t n = static_cast<const uint8_t*>(nl) - (bytes_ + pos_);
    out->assign(reinterpret_cast<const char*>(bytes_ + pos_), n);
    pos_ += n + 1;
    return Status::Ok();
  }
  Status TakeString(uint64_t n, std::string* out) {
    const uint8_t* p;
    MDETR_RETURN_IF_ERROR(Take(n, &p));
    out->assign(reinterpret_cast<const char*>(p), static_cast<size_t>(n));
    return Status::Ok();
  }

  // Stack.
  Status Pop(PyNode** out) {
    if (stack_.size() <= MarkBase()) return Fail("stack underflow");
    *out = stack_.back();
    stack_.pop_back();
    return Status::Ok();
  }
  Status Top(PyNode** out) {
    if (stack_.size() <= MarkBase()) return Fail("stack underflow");
    *out = stack_.back();
    return Status::Ok();
  }
  size_t MarkBase() const { return marks_.empty() ? 0 : marks_.back(); }
  Status PopMark(std::vector<PyNode*>* items) {
    if (marks_.empty()) return Fail("no MARK on the stack");
    size_t base = marks_.back();
    marks_.pop_back();
    items->assign(stack_.begin() + static_cast<std::ptrdiff_t>(base), stack_.end());
    stack_.resize(base);
    return Status::Ok();
  }
  void Push(PyNode* node) { stack_.push_back(node); }
  PyNode* New(PyKind kind) { return heap_->New(kind); }
  PyNode* NewInt(int64_t v) {
    PyNode* n = New(PyKind::kInt);
    n->integer = v;
    return n;
  }
  PyNode* NewText(PyKind kind, std::string text) {
    PyNode* n = New(kind);
    n->text = std::move(text);
    return n;
  }

  Status Memo(uint64_t index, PyNode** out) {
    auto it = memo_.find(index);
    if (it == memo_.end()) return Fail("memo key " + std::to_string(index) + " was never stored");
    *out = it->second;
    return Status::Ok();
  }
  Status Put(uint64_t index) {
    PyNode* top;
    MDETR_RETURN_IF_ERROR(Top(&top));
    memo_[index] = top;
    return Status::Ok();
  }

  // Python-level operations.
  Status PushGlobal(const std::string& module, const std::string& name);
  Status Call(PyNode* callable, PyNode* args);
  Status NewObject(PyNode* cls, PyNode* args);
  Status Build(PyNode* obj, PyNode* state);
  Status SetItems(PyNode* target, const std::vector<PyNode*>& kv);
  Status Append(PyNode* target, const std::vector<PyNode*>& values);
  Status PersistentLoad(PyNode* pid);
  Status RebuildTensor(PyNode* args, bool v2);
  Status IntFromBytes(const uint8_t* p, uint64_t n);
  Status IntFromText(const std::string& text);

  const uint8_t* bytes_;
  size_t size_;
  size_t pos_ = 0;
  size_t op_pos_ = 0;
  uint8_t op_ = 0;
  const PickleSource& source_;
  std::shared_ptr<PyHeap> heap_;
  std::vector<PyNode*> stack_;
  std::vector<size_t> marks_;
  std::unordered_map<uint64_t, PyNode*> memo_;
  std::unordered_map<std::string, PyNode*> storages_;
  bool stopped_ = false;
};

}  // namespace mdetr::io::pickle
