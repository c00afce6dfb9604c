// Element types of tensors stored in checkpoints, with their names in each container format.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace mdetr::io {

enum class DType {
  kFloat64,
  kFloat32,
  kFloat16,
  kBFloat16,
  kInt64,
  kInt32,
  kInt16,
  kInt8,
  kUInt8,
  kBool,
  kUInt16,
  kUInt32,
  kUInt64,
  kFloat8E4M3,
  kFloat8E5M2,
};

// Bytes per element.
size_t DTypeSize(DType dtype);
// The torch spelling without the "torch." prefix: "float32", "bfloat16", "int64", "bool".
const char* DTypeName(DType dtype);

// torch.save names storages by their legacy typed-storage class ("FloatStorage", "BFloat16Storage").
std::optional<DType> DTypeFromTorchStorage(std::string_view class_name);
const char* TorchStorageName(DType dtype);

// safetensors header spelling ("F32", "BF16", "I64", "BOOL").
std::optional<DType> DTypeFromSafetensors(std::string_view name);
const char* SafetensorsName(DType dtype);

}  // namespace mdetr::io
