#include "model/io/tensor_view.h"

#include <cmath>
#include <cstring>

namespace mdetr::io {
namespace {

template <typename T>
T Load(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));  // storage offsets need not be aligned for T
  return v;
}

double HalfToDouble(uint16_t h) {
  int sign = (h >> 15) & 1;
  int exponent = (h >> 10) & 0x1f;
  int mantissa = h & 0x3ff;
  double v;
  if (exponent == 0) {
    v = std::ldexp(mantissa, -24);
  } else if (exponent == 31) {
    v = mantissa ? NAN : INFINITY;
  } else {
    v = std::ldexp(mantissa + 1024, exponent - 25);
  }
  return sign ? -v : v;
}

double BFloat16ToDouble(uint16_t b) {
  uint32_t bits = static_cast<uint32_t>(b) << 16;
  float f;
  std::memcpy(&f, &bits, sizeof(f));
  return f;
}

// float8 with `mantissa_bits` and an exponent bias; e4m3fn has no infinities and one NaN pattern.
double Float8ToDouble(uint8_t b, int mantissa_bits, int bias, bool fn) {
  int sign = b >> 7;
  int exponent_bits = 7 - mantissa_bits;
  int exponent = (b >> mantissa_bits) & ((1 << exponent_bits) - 1);
  int mantissa = b & ((1 << mantissa_bits) - 1);
  int max_exponent = (1 << exponent_bits) - 1;
  double v;
  if (fn && exponent == max_exponent && mantissa == (1 << mantissa_bits) - 1) {
    v = NAN;
  } else if (!fn && exponent == max_exponent) {
    v = mantissa ? NAN : INFINITY;
  } else if (exponent == 0) {
    v = std::ldexp(mantissa, 1 - bias - mantissa_bits);
  } else {
    v = std::ldexp(mantissa + (1 << mantissa_bits), exponent - bias - mantissa_bits);
  }
  return sign ? -v : v;
}

}  // namespace

double ElementToDouble(DType dtype, const uint8_t* p) {
  switch (dtype) {
    case DType::kFloat64:
      return Load<double>(p);
    case DType::kFloat32:
      return Load<float>(p);
    case DType::kFloat16:
      return HalfToDouble(Load<uint16_t>(p));
    case DType::kBFloat16:
      return BFloat16ToDouble(Load<uint16_t>(p));
    case DType::kInt64:
      return static_cast<double>(Load<int64_t>(p));
    case DType::kInt32:
      return Load<int32_t>(p);
    case DType::kInt16:
      return Load<int16_t>(p);
    case DType::kInt8:
      return Load<int8_t>(p);
    case DType::kUInt8:
      return *p;
    case DType::kBool:
      return *p != 0 ? 1.0 : 0.0;
    case DType::kUInt16:
      return Load<uint16_t>(p);
    case DType::kUInt32:
      return Load<uint32_t>(p);
    case DType::kUInt64:
      return static_cast<double>(Load<uint64_t>(p));
    case DType::kFloat8E4M3:
      return Float8ToDouble(*p, 3, 7, true);
    case DType::kFloat8E5M2:
      return Float8ToDouble(*p, 2, 15, false);
  }
  return 0.0;
}

std::vector<int64_t> TensorView::ContiguousStrides(const std::vector<int64_t>& shape) {
  std::vector<int64_t> strides(shape.size());
  int64_t stride = 1;
  for (size_t i = shape.size(); i-- > 0;) {
    strides[i] = stride;
    stride *= shape[i] > 0 ? shape[i] : 1;
  }
  return strides;
}

TensorView TensorView::Contiguous(DType dtype, std::vector<int64_t> shape, const void* data,
                                  std::shared_ptr<const void> owner) {
  TensorView view;
  view.dtype = dtype;
  view.strides = ContiguousStrides(shape);
  view.shape = std::move(shape);
  view.storage = static_cast<const uint8_t*>(data);
  view.storage_nbytes = view.nbytes();
  view.owner = std::move(owner);
  return view;
}

int64_t TensorView::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

bool TensorView::is_contiguous() const {
  int64_t expected = 1;
  for (size_t i = shape.size(); i-- > 0;) {
    if (shape[i] == 1) continue;  // torch ignores the stride of size-1 dimensions
    if (strides[i] != expected) return false;
    expected *= shape[i];
  }
  return true;
}

Status TensorView::Validate(const std::string& what) const {
  if (shape.size() != strides.size()) {
    return DataLossError(what + ": shape has " + std::to_string(shape.size()) +
                         " dimensions but stride has " + std::to_string(strides.size()));
  }
  if (storage_offset < 0) {
    return DataLossError(what + ": negative storage offset " + std::to_string(storage_offset));
  }
  bool empty = false;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] < 0 || strides[i] < 0) {
      return DataLossError(what + ": negative size or stride in dimension " + std::to_string(i) + " (" +
                           ShapeString() + ")");
    }
    if (shape[i] == 0) empty = true;
  }
  // The element count must be representable, even for an empty tensor (it sizes buffers).
  uint64_t count = 1;
  for (int64_t d : shape) {
    if (__builtin_mul_overflow(count, static_cast<uint64_t>(d), &count) || count > (uint64_t{1} << 62)) {
      return DataLossError(what + ": element count overflows (" + ShapeString() + ")");
    }
  }
  if (empty) return Status::Ok();
  // Largest element index reached: offset + sum((size - 1) * stride).
  uint64_t last = static_cast<uint64_t>(storage_offset);
  for (size_t i = 0; i < shape.size(); ++i) {
    uint64_t step;
    if (__builtin_mul_overflow(static_cast<uint64_t>(shape[i] - 1), static_cast<uint64_t>(strides[i]),
                               &step) ||
        __builtin_add_overflow(last, step, &last)) {
      return DataLossError(what + ": view extent overflows (" + ShapeString() + ")");
    }
  }
  uint64_t end_byte;
  if (__builtin_add_overflow(last, uint64_t{1}, &end_byte) ||
      __builtin_mul_overflow(end_byte, static_cast<uint64_t>(element_size()), &end_byte) ||
      end_byte > storage_nbytes) {
    return DataLossError(what + ": view " + ShapeString() + " at offset " + std::to_string(storage_offset) +
                         " reaches element " + std::to_string(last) + " but the storage holds " +
                         std::to_string(storage_nbytes / element_size()) + " elements");
  }
  return Status::Ok();
}

std::vector<uint8_t> TensorView::ContiguousBytes() const {
  size_t elem = element_size();
  std::vector<uint8_t> out(nbytes());
  if (out.empty()) return out;
  if (is_contiguous()) {
    std::memcpy(out.data(), data(), out.size());
    return out;
  }
  // Odometer over the index space: the innermost dimension moves fastest.
  std::vector<int64_t> index(shape.size(), 0);
  int64_t offset = storage_offset;
  size_t n = static_cast<size_t>(numel());
  for (size_t k = 0; k < n; ++k) {
    std::memcpy(out.data() + k * elem, storage + static_cast<size_t>(offset) * elem, elem);
    for (size_t d = shape.size(); d-- > 0;) {
      if (++index[d] < shape[d]) {
        offset += strides[d];
        break;
      }
      offset -= strides[d] * (shape[d] - 1);
      index[d] = 0;
    }
  }
  return out;
}

std::vector<double> TensorView::ToDoubles() const {
  std::vector<uint8_t> bytes = ContiguousBytes();
  size_t elem = element_size();
  std::vector<double> out(bytes.size() / elem);
  for (size_t i = 0; i < out.size(); ++i) out[i] = ElementToDouble(dtype, bytes.data() + i * elem);
  return out;
}

std::string TensorView::ShapeString() const {
  std::string s = std::string(DTypeName(dtype)) + "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(shape[i]);
  }
  return s + "]";
}

}  // namespace mdetr::io
