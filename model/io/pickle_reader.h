// An unpickler for the files torch.save writes (protocol 2, and the opcodes of protocols 0-5 that
// Python emits for plain data), with no Python. It rebuilds dicts, lists, tuples and scalars,
// tensors from torch._utils._rebuild_tensor_v2 over persistent-id storages, and keeps objects of
// unknown classes as PyKind::kObject instead of failing.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"
#include "model/io/py_value.h"
#include "model/io/tensor_view.h"

namespace mdetr::io {

struct PickleSource {
  // Names the pickle in error messages, e.g. "ckpt.pth:archive/data.pkl".
  std::string name;
  // Returns the bytes of storage `key` as a 1-D view of `numel` elements of `dtype`. Called once
  // per distinct key. Leave empty for pickles that must not reference storages.
  std::function<Result<TensorView>(const std::string& key, DType dtype, int64_t numel)> load_storage;
  // Kept alive by every value returned (the mapping the storages point into).
  std::shared_ptr<const void> owner;
};

// Runs the pickle in `bytes` to its STOP opcode and returns the value it leaves. Every malformed
// input (bad opcode, truncation, stack underflow, a tensor view outside its storage) is a
// DATA_LOSS status naming the source, the byte offset and the opcode.
Result<PyValue> Unpickle(std::string_view bytes, const PickleSource& source);

}  // namespace mdetr::io
