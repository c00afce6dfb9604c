#include "model/io/dtype.h"

namespace mdetr::io {
namespace {

struct DTypeInfo {
  DType dtype;
  size_t size;
  const char* name;
  const char* torch_storage;
  const char* safetensors;
};

constexpr DTypeInfo kDTypes[] = {
    {DType::kFloat64, 8, "float64", "DoubleStorage", "F64"},
    {DType::kFloat32, 4, "float32", "FloatStorage", "F32"},
    {DType::kFloat16, 2, "float16", "HalfStorage", "F16"},
    {DType::kBFloat16, 2, "bfloat16", "BFloat16Storage", "BF16"},
    {DType::kInt64, 8, "int64", "LongStorage", "I64"},
    {DType::kInt32, 4, "int32", "IntStorage", "I32"},
    {DType::kInt16, 2, "int16", "ShortStorage", "I16"},
    {DType::kInt8, 1, "int8", "CharStorage", "I8"},
    {DType::kUInt8, 1, "uint8", "ByteStorage", "U8"},
    {DType::kBool, 1, "bool", "BoolStorage", "BOOL"},
    {DType::kUInt16, 2, "uint16", "UInt16Storage", "U16"},
    {DType::kUInt32, 4, "uint32", "UInt32Storage", "U32"},
    {DType::kUInt64, 8, "uint64", "UInt64Storage", "U64"},
    {DType::kFloat8E4M3, 1, "float8_e4m3fn", "Float8_e4m3fnStorage", "F8_E4M3"},
    {DType::kFloat8E5M2, 1, "float8_e5m2", "Float8_e5m2Storage", "F8_E5M2"},
};

const DTypeInfo& Info(DType dtype) {
  for (const auto& info : kDTypes) {
    if (info.dtype == dtype) return info;
  }
  return kDTypes[0];  // unreachable: every enumerator has a row
}

}  // namespace

size_t DTypeSize(DType dtype) { return Info(dtype).size; }
const char* DTypeName(DType dtype) { return Info(dtype).name; }
const char* TorchStorageName(DType dtype) { return Info(dtype).torch_storage; }
const char* SafetensorsName(DType dtype) { return Info(dtype).safetensors; }

std::optional<DType> DTypeFromTorchStorage(std::string_view class_name) {
  for (const auto& info : kDTypes) {
    if (class_name == info.torch_storage) return info.dtype;
  }
  // Storages saved untyped hold raw bytes.
  if (class_name == "UntypedStorage") return DType::kUInt8;
  return std::nullopt;
}

std::optional<DType> DTypeFromSafetensors(std::string_view name) {
  for (const auto& info : kDTypes) {
    if (name == info.safetensors) return info.dtype;
  }
  return std::nullopt;
}

}  // namespace mdetr::io
