// Typed reads of simdjson DOM values with the leniency of Python's json + the reference: an
// integer field may be written as an integral float ("3.0"). Internal to the readers.
//
// The DOM API is used rather than on-demand because Debian's simdjson dispatches the DOM parser
// at run time to the best SIMD kernel (icelake/haswell), while on-demand code compiled without
// -march flags falls back to the scalar kernel (about 5x slower on our 500 MB benchmark).
#pragma once

#include <cmath>
#include <cstdint>
#include <string_view>

#include <simdjson.h>

namespace mdetr::annotations::json {

using simdjson::dom::element;
using simdjson::dom::element_type;

inline bool ReadDouble(element v, double* out) {
  switch (v.type()) {
    case element_type::DOUBLE:
      *out = v.get_double().value_unsafe();
      return true;
    case element_type::INT64:
      *out = static_cast<double>(v.get_int64().value_unsafe());
      return true;
    case element_type::UINT64:
      *out = static_cast<double>(v.get_uint64().value_unsafe());
      return true;
    default:
      return false;
  }
}

inline bool ReadInt(element v, int64_t* out) {
  switch (v.type()) {
    case element_type::INT64:
      *out = v.get_int64().value_unsafe();
      return true;
    case element_type::DOUBLE: {
      const double d = v.get_double().value_unsafe();
      if (std::floor(d) != d || std::fabs(d) > 9.0e15) return false;
      *out = static_cast<int64_t>(d);
      return true;
    }
    default:
      return false;  // strings, and integers beyond int64
  }
}

inline bool ReadInt32(element v, int32_t* out) {
  int64_t i = 0;
  if (!ReadInt(v, &i) || i < INT32_MIN || i > INT32_MAX) return false;
  *out = static_cast<int32_t>(i);
  return true;
}

inline bool ReadString(element v, std::string_view* out) {
  return v.get_string().get(*out) == simdjson::SUCCESS;
}

inline bool IsNull(element v) { return v.is_null(); }

}  // namespace mdetr::annotations::json
