// The Python-level operations of the unpickler: globals, REDUCE of the callables torch.save and
// argparse produce, BUILD, and tensors rebuilt over persistent-id storages.
#include "model/io/pickle_text.h"
#include "model/io/unpickler.h"

namespace mdetr::io::pickle {

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

}  // namespace mdetr::io::pickle
