#include "model/io/unpickler.h"

#include <cerrno>
#include <cstdlib>

#include "model/io/pickle_opcodes.h"
#include "model/io/pickle_text.h"

namespace mdetr::io::pickle {

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


}  // namespace mdetr::io::pickle
