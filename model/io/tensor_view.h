// A tensor that does not own its data: dtype, shape, strides and a storage offset over a byte
// range that something else owns (a mapped checkpoint, a caller's buffer). This is torch's own
// layout, so non-contiguous views sharing one storage are represented without copying.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "model/io/dtype.h"

namespace mdetr::io {

struct TensorView {
  DType dtype = DType::kFloat32;
  std::vector<int64_t> shape;
  std::vector<int64_t> strides;  // in elements, as torch counts them
  int64_t storage_offset = 0;    // in elements

  const uint8_t* storage = nullptr;  // first byte of the storage
  size_t storage_nbytes = 0;
  // Keeps the storage alive (the mapping or buffer); may be null for caller-managed memory.
  std::shared_ptr<const void> owner;

  // A contiguous tensor over `data`, which must hold numel * element size bytes.
  static TensorView Contiguous(DType dtype, std::vector<int64_t> shape, const void* data,
                               std::shared_ptr<const void> owner = nullptr);
  // Row-major strides for `shape`.
  static std::vector<int64_t> ContiguousStrides(const std::vector<int64_t>& shape);

  int64_t numel() const;
  size_t element_size() const { return DTypeSize(dtype); }
  size_t nbytes() const { return static_cast<size_t>(numel()) * element_size(); }
  bool is_contiguous() const;
  // The first element. Only meaningful for a valid view; an empty view gives the storage start
  // (its offset is not bounded by the storage, so it is not applied).
  const uint8_t* data() const {
    return numel() == 0 ? storage : storage + static_cast<size_t>(storage_offset) * element_size();
  }

  // OK when the shape and strides are non-negative and every element lies inside the storage,
  // checked without overflow; otherwise names `what` and the offending numbers.
  Status Validate(const std::string& what) const;

  // The elements in row-major order as bytes (copies; gathers non-contiguous views).
  std::vector<uint8_t> ContiguousBytes() const;
  // The elements in row-major order converted to double (for checks and small tensors).
  std::vector<double> ToDoubles() const;

  // "float32[2, 3]"
  std::string ShapeString() const;
};

// Converts one stored element to double (IEEE half, bfloat16, float8 included).
double ElementToDouble(DType dtype, const uint8_t* p);

}  // namespace mdetr::io
