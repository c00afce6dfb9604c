// Typed reads of simdjson on-demand values with the leniency of Python's json + the reference:
// an integer field may be written as an integral float ("3.0"). Internal to the readers.
#pragma once

#include <simdjson.h>

#include <cmath>
#include <cstdint>
#include <string_view>

namespace mdetr::annotations::json {

using simdjson::ondemand::value;

inline bool ReadDouble(value v, double* out) {
  simdjson::ondemand::number n;
  if (v.get_number().get(n) != simdjson::SUCCESS) return false;
  *out = n.as_double();
  return true;
}

inline bool ReadInt(value v, int64_t* out) {
  simdjson::ondemand::number n;
  if (v.get_number().get(n) != simdjson::SUCCESS) return false;
  if (n.is_int64()) {
    *out = n.get_int64();
    return true;
  }
  const double d = n.as_double();
  if (std::floor(d) != d || std::fabs(d) > 9.0e15) return false;
  *out = static_cast<int64_t>(d);
  return true;
}

inline bool ReadInt32(value v, int32_t* out) {
  int64_t i = 0;
  if (!ReadInt(v, &i) || i < INT32_MIN || i > INT32_MAX) return false;
  *out = static_cast<int32_t>(i);
  return true;
}

inline bool ReadString(value v, std::string_view* out) { return v.get_string().get(*out) == simdjson::SUCCESS; }

inline bool IsNull(value v) {
  simdjson::ondemand::json_type t;
  return v.type().get(t) == simdjson::SUCCESS && t == simdjson::ondemand::json_type::null;
}

}  // namespace mdetr::annotations::json
