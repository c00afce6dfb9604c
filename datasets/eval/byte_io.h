// Little-endian byte encoding for the evaluators' partial states, so that each rank can send its
// state to one place and the states can be merged there. Internal to the evaluators.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace mdetr::eval {

class ByteWriter {
 public:
  void U8(uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void U32(uint32_t v) { Raw(&v, sizeof(v)); }
  void I32(int32_t v) { Raw(&v, sizeof(v)); }
  void I64(int64_t v) { Raw(&v, sizeof(v)); }
  void F32(float v) { Raw(&v, sizeof(v)); }
  void F64(double v) { Raw(&v, sizeof(v)); }
  void Str(std::string_view s) {
    U32(static_cast<uint32_t>(s.size()));
    out_.append(s.data(), s.size());
  }
  void Bytes(const std::vector<uint8_t>& v) {
    U32(static_cast<uint32_t>(v.size()));
    out_.append(reinterpret_cast<const char*>(v.data()), v.size());
  }
  void F64s(const std::vector<double>& v) {
    U32(static_cast<uint32_t>(v.size()));
    Raw(v.data(), v.size() * sizeof(double));
  }
  void F32s(const std::vector<float>& v) {
    U32(static_cast<uint32_t>(v.size()));
    Raw(v.data(), v.size() * sizeof(float));
  }
  std::string Take() { return std::move(out_); }

 private:
  // The project only targets little-endian machines (x86-64, aarch64), so values are copied as is.
  void Raw(const void* p, size_t n) { out_.append(static_cast<const char*>(p), n); }
  std::string out_;
};

// Reads what ByteWriter wrote; every read fails cleanly (DataLoss) on truncated input.
class ByteReader {
 public:
  ByteReader(std::string_view bytes, std::string what) : in_(bytes), what_(std::move(what)) {}

  bool U8(uint8_t* v) { return Raw(v, sizeof(*v)); }
  bool U32(uint32_t* v) { return Raw(v, sizeof(*v)); }
  bool I32(int32_t* v) { return Raw(v, sizeof(*v)); }
  bool I64(int64_t* v) { return Raw(v, sizeof(*v)); }
  bool F32(float* v) { return Raw(v, sizeof(*v)); }
  bool F64(double* v) { return Raw(v, sizeof(*v)); }
  bool Str(std::string* s) {
    uint32_t n = 0;
    if (!U32(&n) || n > in_.size() - pos_) return Fail();
    s->assign(in_.data() + pos_, n);
    pos_ += n;
    return true;
  }
  bool Bytes(std::vector<uint8_t>* v) { return Array(v); }
  bool F64s(std::vector<double>* v) { return Array(v); }
  bool F32s(std::vector<float>* v) { return Array(v); }

  // A record count, refused when the remaining bytes cannot hold that many records of at least
  // `min_record_bytes` each (so a damaged count never triggers a huge allocation).
  bool Count(uint32_t* n, size_t min_record_bytes) {
    if (!U32(n)) return false;
    return static_cast<size_t>(*n) <= (in_.size() - pos_) / min_record_bytes || Fail();
  }

  bool AtEnd() const { return pos_ == in_.size(); }
  // DataLoss naming the state kind and the offset of the first bad byte.
  Status Error(const std::string& what_was_expected) const {
    return DataLossError(what_ + " state: " + what_was_expected + " at byte " + std::to_string(pos_) +
                         " of " + std::to_string(in_.size()));
  }

 private:
  template <typename T>
  bool Array(std::vector<T>* v) {
    uint32_t n = 0;
    if (!U32(&n) || n > (in_.size() - pos_) / sizeof(T)) return Fail();
    v->resize(n);
    return n == 0 || Raw(v->data(), n * sizeof(T));
  }
  bool Raw(void* p, size_t n) {
    if (n > in_.size() - pos_) return Fail();
    std::memcpy(p, in_.data() + pos_, n);
    pos_ += n;
    return true;
  }
  bool Fail() { return false; }

  std::string_view in_;
  std::string what_;
  size_t pos_ = 0;
};

}  // namespace mdetr::eval
