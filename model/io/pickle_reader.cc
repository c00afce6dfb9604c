#include "model/io/pickle_reader.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <unordered_map>
#include <vector>

#include "model/io/little_endian.h"

namespace mdetr::io {
namespace {

// Opcodes, named as in CPython's pickletools.
enum Op : uint8_t {
  kMark = '(',
  kStop = '.',
  kPop = '0',
  kPopMark = '1',
  kDup = '2',
  kFloat = 'F',
  kInt = 'I',
  kBinInt = 'J',
  kBinInt1 = 'K',
  kLong = 'L',
  kBinInt2 = 'M',
  kNone = 'N',
  kPersId = 'P',
  kBinPersId = 'Q',
  kReduce = 'R',
  kString = 'S',
  kBinString = 'T',
  kShortBinString = 'U',
  kUnicode = 'V',
  kBinUnicode = 'X',
  kAppend = 'a',
  kBuild = 'b',
  kGlobal = 'c',
  kDict = 'd',
  kEmptyDict = '}',
  kAppends = 'e',
  kGet = 'g',
  kBinGet = 'h',
  kInst = 'i',
  kLongBinGet = 'j',
  kList = 'l',
  kEmptyList = ']',
  kObj = 'o',
  kPut = 'p',
  kBinPut = 'q',
  kLongBinPut = 'r',
  kSetItem = 's',
  kTuple = 't',
  kEmptyTuple = ')',
  kSetItems = 'u',
  kBinFloat = 'G',
  kProto = 0x80,
  kNewObj = 0x81,
  kExt1 = 0x82,
  kExt2 = 0x83,
  kExt4 = 0x84,
  kTuple1 = 0x85,
  kTuple2 = 0x86,
  kTuple3 = 0x87,
  kNewTrue = 0x88,
  kNewFalse = 0x89,
  kLong1 = 0x8a,
  kLong4 = 0x8b,
  kBinBytes = 'B',
  kShortBinBytes = 'C',
  kShortBinUnicode = 0x8c,
  kBinUnicode8 = 0x8d,
  kBinBytes8 = 0x8e,
  kEmptySet = 0x8f,
  kAddItems = 0x90,
  kFrozenSet = 0x91,
  kNewObjEx = 0x92,
  kStackGlobal = 0x93,
  kMemoize = 0x94,
  kFrame = 0x95,
  kByteArray8 = 0x96,
  kNextBuffer = 0x97,
  kReadonlyBuffer = 0x98,
};

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xc0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xe0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else {
    out->push_back(static_cast<char>(0xf0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3f)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  }
}

// Protocol 0 UNICODE text: bytes are Latin-1 code points, except \uXXXX and \UXXXXXXXX escapes.
bool DecodeRawUnicodeEscape(const std::string& in, std::string* out) {
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '\\' && i + 1 < in.size() && (in[i + 1] == 'u' || in[i + 1] == 'U')) {
      size_t digits = in[i + 1] == 'u' ? 4 : 8;
      if (i + 2 + digits > in.size()) return false;
      uint32_t cp = 0;
      for (size_t k = 0; k < digits; ++k) {
        char c = in[i + 2 + k];
        int v = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                       : -1;
        if (v < 0) return false;
        cp = cp * 16 + static_cast<uint32_t>(v);
      }
      if (cp > 0x10ffff) return false;
      AppendUtf8(cp, out);
      i += 1 + digits;
    } else {
      AppendUtf8(static_cast<uint8_t>(in[i]), out);
    }
  }
  return true;
}

// Protocols 0-2 spell some modules the Python 2 way (pickle's fix_imports); use the Python 3 names.
std::string Python3Module(const std::string& module) {
  if (module == "__builtin__") return "builtins";
  if (module == "copy_reg") return "copyreg";
  return module;
}

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

Result<PyValue> Unpickler::Run() {
  while (!stopped_) {
    if (pos_ >= size_) return Fail("pickle ends without a STOP opcode (truncated)");
    op_pos_ = pos_;
    op_ = bytes_[pos_++];
    MDETR_RETURN_IF_ERROR(Step(op_));
  }
  if (stack_.size() != 1 || !marks_.empty()) {
    return Fail("STOP with " + std::to_string(stack_.size()) + " values and " +
                std::to_string(marks_.size()) + " marks on the stack (expected exactly one value)");
  }
  return PyValue(heap_, stack_.back(), "");
}

Status Unpickler::IntFromBytes(const uint8_t* p, uint64_t n) {
  if (n > 8) {
    // Two's complement wider than int64 only fits if it is a sign extension. A wider value (a
    // seed or hash in the args, say) must not make the whole checkpoint unreadable: keep it as an
    // object holding its little-endian bytes, which ToInt() reports as not an int.
    for (uint64_t i = 8; i < n; ++i) {
      uint8_t fill = (p[7] & 0x80) ? 0xff : 0x00;
      if (p[i] != fill) {
        PyNode* big = NewText(PyKind::kObject, "builtins.int");
        big->args.push_back(NewText(PyKind::kBytes, std::string(reinterpret_cast<const char*>(p), n)));
        Push(big);
        return Status::Ok();
      }
    }
    n = 8;
  }
  uint64_t v = n == 0 ? 0 : LoadLE(p, static_cast<int>(n));
  if (n > 0 && n < 8 && (p[n - 1] & 0x80)) v |= ~uint64_t{0} << (8 * n);  // sign-extend
  Push(NewInt(static_cast<int64_t>(v)));
  return Status::Ok();
}

Status Unpickler::IntFromText(const std::string& text) {
  // Protocol 0: "I01\n"/"I00\n" are True/False; LONG ends with 'L'.
  if (text == "01" || text == "00") {
    PyNode* n = New(PyKind::kBool);
    n->boolean = text == "01";
    Push(n);
    return Status::Ok();
  }
  std::string digits = text;
  if (!digits.empty() && digits.back() == 'L') digits.pop_back();
  errno = 0;
  char* end = nullptr;
  long long v = std::strtoll(digits.c_str(), &end, 10);
  if (digits.empty() || end != digits.c_str() + digits.size() || errno == ERANGE) {
    return Fail("bad integer literal '" + text + "'");
  }
  Push(NewInt(v));
  return Status::Ok();
}

Status Unpickler::PushGlobal(const std::string& module, const std::string& name) {
  Push(NewText(PyKind::kGlobal, Python3Module(module) + "." + name));
  return Status::Ok();
}

Status Unpickler::PersistentLoad(PyNode* pid) {
  // torch: ('storage', <class torch.XStorage>, key, location, numel)
  if (pid->kind != PyKind::kTuple || pid->items.size() < 5 || pid->items[0]->kind != PyKind::kString ||
      pid->items[0]->text != "storage") {
    return Fail("persistent id is not a ('storage', type, key, location, numel) tuple");
  }
  PyNode* type = pid->items[1];
  PyNode* key = pid->items[2];
  PyNode* numel = pid->items[4];
  if (type->kind != PyKind::kGlobal || key->kind != PyKind::kString || numel->kind != PyKind::kInt) {
    return Fail("persistent id fields have the wrong types (expected class, str key, int numel)");
  }
  auto cached = storages_.find(key->text);
  if (cached != storages_.end()) {
    Push(cached->second);
    return Status::Ok();
  }
  std::string class_name = type->text;
  if (class_name.rfind("torch.", 0) != 0)
    return Fail("storage type '" + class_name + "' is not a torch class");
  std::optional<DType> dtype = DTypeFromTorchStorage(class_name.substr(6));
  if (!dtype) return Fail("unknown storage dtype '" + class_name + "' for storage '" + key->text + "'");
  if (numel->integer < 0) return Fail("storage '" + key->text + "' has negative size");
  if (!source_.load_storage) return Fail("pickle references storage '" + key->text + "' but has no storages");
  Result<TensorView> storage = source_.load_storage(key->text, *dtype, numel->integer);
  if (!storage.ok()) return storage.status();
  PyNode* node = NewText(PyKind::kStorage, key->text);
  node->tensor = std::make_unique<TensorView>(std::move(storage).value());
  storages_[key->text] = node;
  Push(node);
  return Status::Ok();
}

Status Unpickler::RebuildTensor(PyNode* args, bool v2) {
  // _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
  // _rebuild_tensor(storage, storage_offset, size, stride)
  if (args->kind != PyKind::kTuple || args->items.size() < 4) {
    return Fail(std::string(v2 ? "_rebuild_tensor_v2" : "_rebuild_tensor") + " needs at least 4 arguments");
  }
  PyNode* storage = args->items[0];
  PyNode* offset = args->items[1];
  if (storage->kind != PyKind::kStorage) return Fail("tensor rebuilt on a non-storage argument");
  if (offset->kind != PyKind::kInt) return Fail("tensor storage offset is not an int");
  auto ints = [&](PyNode* tuple, std::vector<int64_t>* out) {
    if (tuple->kind != PyKind::kTuple && tuple->kind != PyKind::kList) return false;
    for (PyNode* item : tuple->items) {
      if (item->kind != PyKind::kInt) return false;
      out->push_back(item->integer);
    }
    return true;
  };
  TensorView view;
  const TensorView& s = *storage->tensor;
  view.dtype = s.dtype;
  view.storage = s.storage;
  view.storage_nbytes = s.storage_nbytes;
  view.owner = s.owner;
  view.storage_offset = offset->integer;
  if (!ints(args->items[2], &view.shape)) return Fail("tensor size is not a tuple of ints");
  if (!ints(args->items[3], &view.strides)) return Fail("tensor stride is not a tuple of ints");
  Status valid = view.Validate("tensor on storage '" + storage->text + "'");
  if (!valid.ok()) return Fail(valid.message());
  PyNode* node = New(PyKind::kTensor);
  node->text = storage->text;  // the storage key: tensors sharing a storage share it
  node->tensor = std::make_unique<TensorView>(std::move(view));
  Push(node);
  return Status::Ok();
}

Status Unpickler::Call(PyNode* callable, PyNode* args) {
  if (args->kind != PyKind::kTuple) return Fail("REDUCE arguments are not a tuple");
  const std::string name = callable->kind == PyKind::kGlobal ? callable->text : "";
  if (name == "torch._utils._rebuild_tensor_v2") return RebuildTensor(args, true);
  if (name == "torch._utils._rebuild_tensor") return RebuildTensor(args, false);
  if ((name == "torch._utils._rebuild_parameter" || name == "torch._utils._rebuild_parameter_with_state") &&
      !args->items.empty() && args->items[0]->kind == PyKind::kTensor) {
    Push(args->items[0]);  // a Parameter is its data for our purposes
    return Status::Ok();
  }
  if (name == "collections.OrderedDict" || name == "builtins.dict") {
    PyNode* dict = New(PyKind::kDict);
    if (!args->items.empty()) {
      // OrderedDict([(k, v), ...])
      PyNode* pairs = args->items[0];
      if (pairs->kind == PyKind::kList || pairs->kind == PyKind::kTuple) {
        for (PyNode* pair : pairs->items) {
          if ((pair->kind == PyKind::kTuple || pair->kind == PyKind::kList) && pair->items.size() == 2) {
            dict->SetItem(pair->items[0], pair->items[1]);
          }
        }
      }
    }
    Push(dict);
    return Status::Ok();
  }
  if (name == "builtins.list" || name == "builtins.set" || name == "builtins.frozenset" ||
      name == "builtins.tuple") {
    PyNode* list = New(name == "builtins.tuple" ? PyKind::kTuple : PyKind::kList);
    if (!args->items.empty() &&
        (args->items[0]->kind == PyKind::kList || args->items[0]->kind == PyKind::kTuple)) {
      list->items = args->items[0]->items;
    }
    Push(list);
    return Status::Ok();
  }
  if (name == "_codecs.encode" && !args->items.empty() && args->items[0]->kind == PyKind::kString) {
    // Protocol 2 writes bytes as _codecs.encode(str, 'latin1'): each code point is one byte.
    const std::string& utf8 = args->items[0]->text;
    std::string out;
    for (size_t i = 0; i < utf8.size(); ++i) {
      uint8_t c = static_cast<uint8_t>(utf8[i]);
      if (c < 0x80) {
        out += static_cast<char>(c);
      } else if ((c & 0xe0) == 0xc0 && i + 1 < utf8.size()) {
        out += static_cast<char>(((c & 0x1f) << 6) | (static_cast<uint8_t>(utf8[++i]) & 0x3f));
      } else {
        return Fail("_codecs.encode argument is not latin-1 text");
      }
    }
    Push(NewText(PyKind::kBytes, std::move(out)));
    return Status::Ok();
  }
  if (name == "builtins.bytearray" || name == "builtins.bytes") {
    PyNode* b = New(PyKind::kBytes);
    if (!args->items.empty() &&
        (args->items[0]->kind == PyKind::kBytes || args->items[0]->kind == PyKind::kString)) {
      b->text = args->items[0]->text;
    }
    Push(b);
    return Status::Ok();
  }
  if (name == "copyreg._reconstructor" && args->items.size() >= 1 &&
      args->items[0]->kind == PyKind::kGlobal) {
    // Protocol 0/1 objects: _reconstructor(cls, base, state); BUILD follows with the __dict__.
    PyNode* obj = NewText(PyKind::kObject, args->items[0]->text);
    Push(obj);
    return Status::Ok();
  }
  // Anything else (numpy scalars, pathlib paths, torch.device, rebuild functions we do not
  // implement) is kept as an object named by its callable, with the call's arguments.
  PyNode* obj = NewText(PyKind::kObject, name.empty() ? std::string("<call>") : name);
  obj->args = args->items;
  Push(obj);
  return Status::Ok();
}

Status Unpickler::NewObject(PyNode* cls, PyNode* args) {
  if (args->kind != PyKind::kTuple) return Fail("NEWOBJ arguments are not a tuple");
  if (cls->kind != PyKind::kGlobal) return Fail("NEWOBJ on a " + std::string(PyKindName(cls->kind)));
  // cls.__new__(cls, *args): for the container types this is an empty container.
  if (cls->text == "collections.OrderedDict" || cls->text == "builtins.dict") {
    Push(New(PyKind::kDict));
    return Status::Ok();
  }
  if (cls->text == "builtins.list" || cls->text == "builtins.set") {
    Push(New(PyKind::kList));
    return Status::Ok();
  }
  PyNode* obj = NewText(PyKind::kObject, cls->text);
  obj->args = args->items;
  Push(obj);
  return Status::Ok();
}

Status Unpickler::Build(PyNode* obj, PyNode* state) {
  switch (obj->kind) {
    case PyKind::kObject:
    case PyKind::kDict:  // an OrderedDict's __dict__, e.g. a state dict's _metadata
      if (obj->state != nullptr && obj->state->kind == PyKind::kDict && state->kind == PyKind::kDict &&
          obj->state != state) {
        for (auto& [k, v] : state->entries) obj->state->SetItem(k, v);
      } else {
        obj->state = state;
      }
      return Status::Ok();
    default:
      // __setstate__ of a type we rebuilt natively (a tensor's Python attributes, ...): ignore.
      return Status::Ok();
  }
}

Status Unpickler::SetItems(PyNode* target, const std::vector<PyNode*>& kv) {
  if (kv.size() % 2 != 0) return Fail("SETITEMS with an odd number of values");
  if (target->kind != PyKind::kDict && target->kind != PyKind::kObject) {
    return Fail("SETITEM(S) on a " + std::string(PyKindName(target->kind)));
  }
  for (size_t i = 0; i < kv.size(); i += 2) target->SetItem(kv[i], kv[i + 1]);
  return Status::Ok();
}

Status Unpickler::Append(PyNode* target, const std::vector<PyNode*>& values) {
  if (target->kind != PyKind::kList && target->kind != PyKind::kObject) {
    return Fail("APPEND(S)/ADDITEMS on a " + std::string(PyKindName(target->kind)));
  }
  target->items.insert(target->items.end(), values.begin(), values.end());
  return Status::Ok();
}

Status Unpickler::Step(uint8_t op) {
  uint64_t n = 0;
  const uint8_t* p = nullptr;
  std::string text;
  PyNode *a = nullptr, *b = nullptr, *c = nullptr;
  std::vector<PyNode*> items;
  switch (op) {
    case kProto:
      MDETR_RETURN_IF_ERROR(TakeUInt(1, &n));
      if (n > 5) return Fail("unsupported pickle protocol " + std::to_string(n));
      return Status::Ok();
    case kFrame:
      return TakeUInt(8, &n);  // frames only group bytes; the opcodes inside are read as usual
    case kStop:
      stopped_ = true;
      return Status::Ok();
    case kMark:
      marks_.push_back(stack_.size());
      return Status::Ok();
    case kPop:
      if (!marks_.empty() && marks_.back() == stack_.size()) {
        marks_.pop_back();  // POP of a bare MARK
        return Status::Ok();
      }
      return Pop(&a);
    case kPopMark:
      return PopMark(&items);
    case kDup:
      MDETR_RETURN_IF_ERROR(Top(&a));
      Push(a);
      return Status::Ok();

    // Scalars.
    case kNone:
      Push(New(PyKind::kNone));
      return Status::Ok();
    case kNewTrue:
    case kNewFalse:
      a = New(PyKind::kBool);
      a->boolean = op == kNewTrue;
      Push(a);
      return Status::Ok();
    case kBinInt:
      MDETR_RETURN_IF_ERROR(Take(4, &p));
      return IntFromBytes(p, 4);
    case kBinInt1:
      MDETR_RETURN_IF_ERROR(TakeUInt(1, &n));
      Push(NewInt(static_cast<int64_t>(n)));
      return Status::Ok();
    case kBinInt2:
      MDETR_RETURN_IF_ERROR(TakeUInt(2, &n));
      Push(NewInt(static_cast<int64_t>(n)));
      return Status::Ok();
    case kLong1:
    case kLong4:
      MDETR_RETURN_IF_ERROR(TakeUInt(op == kLong1 ? 1 : 4, &n));
      MDETR_RETURN_IF_ERROR(Take(n, &p));
      return IntFromBytes(p, n);
    case kInt:
    case kLong:
      MDETR_RETURN_IF_ERROR(TakeLine(&text));
      return IntFromText(text);
    case kBinFloat: {
      MDETR_RETURN_IF_ERROR(Take(8, &p));
      uint64_t bits = 0;
      for (int i = 0; i < 8; ++i) bits = (bits << 8) | p[i];  // big-endian, unlike everything else
      a = New(PyKind::kFloat);
      std::memcpy(&a->real, &bits, sizeof(double));
      Push(a);
      return Status::Ok();
    }
    case kFloat: {
      MDETR_RETURN_IF_ERROR(TakeLine(&text));
      char* end = nullptr;
      double v = std::strtod(text.c_str(), &end);
      if (text.empty() || end != text.c_str() + text.size()) return Fail("bad float literal '" + text + "'");
      a = New(PyKind::kFloat);
      a->real = v;
      Push(a);
      return Status::Ok();
    }

    // Strings and bytes.
    case kBinUnicode:
    case kShortBinUnicode:
    case kBinUnicode8:
      MDETR_RETURN_IF_ERROR(TakeUInt(op == kShortBinUnicode ? 1 : op == kBinUnicode ? 4 : 8, &n));
      MDETR_RETURN_IF_ERROR(TakeString(n, &text));
      Push(NewText(PyKind::kString, std::move(text)));
      return Status::Ok();
    case kBinBytes:
    case kShortBinBytes:
    case kBinBytes8:
    case kByteArray8:
      MDETR_RETURN_IF_ERROR(TakeUInt(op == kShortBinBytes ? 1 : op == kBinBytes ? 4 : 8, &n));
      MDETR_RETURN_IF_ERROR(TakeString(n, &text));
      Push(NewText(PyKind::kBytes, std::move(text)));
      return Status::Ok();
    case kBinString:
    case kShortBinString:
      // Python 2 str: decoded as text, as torch.load(encoding="utf-8") does.
      MDETR_RETURN_IF_ERROR(TakeUInt(op == kShortBinString ? 1 : 4, &n));
      MDETR_RETURN_IF_ERROR(TakeString(n, &text));
      Push(NewText(PyKind::kString, std::move(text)));
      return Status::Ok();
    case kString:
      MDETR_RETURN_IF_ERROR(TakeLine(&text));
      if (text.size() < 2 || (text.front() != '\'' && text.front() != '"') || text.back() != text.front()) {
        return Fail("STRING argument is not quoted");
      }
      Push(NewText(PyKind::kString, text.substr(1, text.size() - 2)));
      return Status::Ok();
    case kUnicode: {
      MDETR_RETURN_IF_ERROR(TakeLine(&text));
      std::string utf8;
      if (!DecodeRawUnicodeEscape(text, &utf8)) return Fail("bad raw-unicode-escape text");
      Push(NewText(PyKind::kString, std::move(utf8)));
      return Status::Ok();
    }

    // Containers.
    case kEmptyDict:
      Push(New(PyKind::kDict));
      return Status::Ok();
    case kEmptyList:
    case kEmptySet:
      Push(New(PyKind::kList));
      return Status::Ok();
    case kEmptyTuple:
      Push(New(PyKind::kTuple));
      return Status::Ok();
    case kTuple1:
    case kTuple2:
    case kTuple3: {
      size_t count = static_cast<size_t>(op) - kTuple1 + 1;
      if (stack_.size() < MarkBase() + count) return Fail("stack underflow");
      a = New(PyKind::kTuple);
      a->items.assign(stack_.end() - static_cast<std::ptrdiff_t>(count), stack_.end());
      stack_.resize(stack_.size() - count);
      Push(a);
      return Status::Ok();
    }
    case kTuple:
    case kList:
    case kFrozenSet:
      MDETR_RETURN_IF_ERROR(PopMark(&items));
      a = New(op == kTuple ? PyKind::kTuple : PyKind::kList);
      a->items = std::move(items);
      Push(a);
      return Status::Ok();
    case kDict:
      MDETR_RETURN_IF_ERROR(PopMark(&items));
      a = New(PyKind::kDict);
      Push(a);
      return SetItems(a, items);
    case kSetItem:
      MDETR_RETURN_IF_ERROR(Pop(&c));
      MDETR_RETURN_IF_ERROR(Pop(&b));
      MDETR_RETURN_IF_ERROR(Top(&a));
      return SetItems(a, {b, c});
    case kSetItems:
      MDETR_RETURN_IF_ERROR(PopMark(&items));
      MDETR_RETURN_IF_ERROR(Top(&a));
      return SetItems(a, items);
    case kAppend:
      MDETR_RETURN_IF_ERROR(Pop(&b));
      MDETR_RETURN_IF_ERROR(Top(&a));
      return Append(a, {b});
    case kAppends:
    case kAddItems:
      MDETR_RETURN_IF_ERROR(PopMark(&items));
      MDETR_RETURN_IF_ERROR(Top(&a));
      return Append(a, items);

    // Memo.
    case kBinPut:
    case kLongBinPut:
      MDETR_RETURN_IF_ERROR(TakeUInt(op == kBinPut ? 1 : 4, &n));
      return Put(n);
    case kPut:
      MDETR_RETURN_IF_ERROR(TakeLine(&text));
      return Put(std::strtoull(text.c_str(), nullptr, 10));
    case kMemoize:
      return Put(memo_.size());
    case kBinGet:
    case kLongBinGet:
      MDETR_RETURN_IF_ERROR(TakeUInt(op == kBinGet ? 1 : 4, &n));
      MDETR_RETURN_IF_ERROR(Memo(n, &a));
      Push(a);
      return Status::Ok();
    case kGet:
      MDETR_RETURN_IF_ERROR(TakeLine(&text));
      MDETR_RETURN_IF_ERROR(Memo(std::strtoull(text.c_str(), nullptr, 10), &a));
      Push(a);
      return Status::Ok();

    // Classes, calls and objects.
    case kGlobal: {
      std::string module;
      MDETR_RETURN_IF_ERROR(TakeLine(&module));
      MDETR_RETURN_IF_ERROR(TakeLine(&text));
      return PushGlobal(module, text);
    }
    case kStackGlobal:
      MDETR_RETURN_IF_ERROR(Pop(&b));
      MDETR_RETURN_IF_ERROR(Pop(&a));
      if (a->kind != PyKind::kString || b->kind != PyKind::kString)
        return Fail("STACK_GLOBAL needs two strs");
      return PushGlobal(a->text, b->text);
    case kReduce:
      MDETR_RETURN_IF_ERROR(Pop(&b));
      MDETR_RETURN_IF_ERROR(Pop(&a));
      return Call(a, b);
    case kNewObj:
      MDETR_RETURN_IF_ERROR(Pop(&b));
      MDETR_RETURN_IF_ERROR(Pop(&a));
      return NewObject(a, b);
    case kNewObjEx:
      MDETR_RETURN_IF_ERROR(Pop(&c));  // kwargs: not needed to name the object
      MDETR_RETURN_IF_ERROR(Pop(&b));
      MDETR_RETURN_IF_ERROR(Pop(&a));
      return NewObject(a, b);
    case kBuild:
      MDETR_RETURN_IF_ERROR(Pop(&b));
      MDETR_RETURN_IF_ERROR(Top(&a));
      return Build(a, b);
    case kInst: {
      std::string module;
      MDETR_RETURN_IF_ERROR(TakeLine(&module));
      MDETR_RETURN_IF_ERROR(TakeLine(&text));
      MDETR_RETURN_IF_ERROR(PopMark(&items));
      a = NewText(PyKind::kObject, Python3Module(module) + "." + text);
      a->args = std::move(items);
      Push(a);
      return Status::Ok();
    }
    case kObj:
      MDETR_RETURN_IF_ERROR(PopMark(&items));
      if (items.empty() || items[0]->kind != PyKind::kGlobal) return Fail("OBJ without a class");
      a = NewText(PyKind::kObject, items[0]->text);
      a->args.assign(items.begin() + 1, items.end());
      Push(a);
      return Status::Ok();
    case kBinPersId:
      MDETR_RETURN_IF_ERROR(Pop(&a));
      return PersistentLoad(a);
    case kPersId:
      return Fail("text persistent ids (protocol 0) are not used by torch.save");
    case kExt1:
    case kExt2:
    case kExt4:
      return Fail("extension registry codes are not supported");
    case kNextBuffer:
      return Fail("out-of-band buffers are not supported");
    case kReadonlyBuffer:
      return Status::Ok();
    default:
      return Fail("unknown opcode");
  }
}

}  // namespace

Result<PyValue> Unpickle(std::string_view bytes, const PickleSource& source) {
  Unpickler unpickler(bytes, source);
  return unpickler.Run();
}

}  // namespace mdetr::io
