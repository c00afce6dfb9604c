#include "tests/matching/scipy_goldens.h"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <iterator>

namespace mdetr::matching::parity {
namespace {

constexpr char kMagic[] = "MDLAPG01";

// Little-endian cursor over the file's bytes; every read is bounds-checked.
class Cursor {
 public:
  Cursor(const std::string& path, const std::vector<char>& bytes) : path_(path), bytes_(bytes) {}

  template <typename T>
  Status Read(const std::string& what, T* out) {
    if (bytes_.size() - pos_ < sizeof(T)) return Truncated(what);
    std::memcpy(out, bytes_.data() + pos_, sizeof(T));  // The host is little-endian, like the file.
    pos_ += sizeof(T);
    return Status::Ok();
  }

  Status ReadBytes(const std::string& what, size_t n, std::string* out) {
    if (bytes_.size() - pos_ < n) return Truncated(what);
    out->assign(bytes_.data() + pos_, n);
    pos_ += n;
    return Status::Ok();
  }

  bool AtEnd() const { return pos_ == bytes_.size(); }
  size_t pos() const { return pos_; }

 private:
  Status Truncated(const std::string& what) const {
    return DataLossError(path_ + ": truncated at byte " + std::to_string(pos_) + " while reading " + what);
  }

  const std::string& path_;
  const std::vector<char>& bytes_;
  size_t pos_ = 0;
};

template <typename T>
Status ReadEntries(Cursor* in, const std::string& what, int64_t count, std::vector<double>* out) {
  for (int64_t k = 0; k < count; ++k) {
    T x;
    MDETR_RETURN_IF_ERROR(in->Read(what, &x));
    out->push_back(static_cast<double>(x));
  }
  return Status::Ok();
}

Status ReadCase(Cursor* in, const std::string& where, GoldenCase* c) {
  uint8_t family, flags, dtype, reserved;
  uint16_t rows, cols;
  MDETR_RETURN_IF_ERROR(in->Read(where + " family", &family));
  MDETR_RETURN_IF_ERROR(in->Read(where + " flags", &flags));
  MDETR_RETURN_IF_ERROR(in->Read(where + " dtype", &dtype));
  MDETR_RETURN_IF_ERROR(in->Read(where + " reserved", &reserved));
  MDETR_RETURN_IF_ERROR(in->Read(where + " rows", &rows));
  MDETR_RETURN_IF_ERROR(in->Read(where + " cols", &cols));
  if (family > static_cast<uint8_t>(GoldenFamily::kDynamicRange) || dtype > 2 || flags > 3) {
    return DataLossError(where + ": family " + std::to_string(family) + ", dtype " + std::to_string(dtype) +
                         ", flags " + std::to_string(flags) +
                         ": expected family <= 5, dtype <= 2, flags <= 3");
  }
  c->family = static_cast<GoldenFamily>(family);
  c->dtype = static_cast<GoldenDtype>(dtype);
  c->maximize = (flags & 1) != 0;
  c->unique = (flags & 2) != 0;
  c->rows = rows;
  c->cols = cols;
  const int64_t n = c->rows * c->cols;
  c->cost.reserve(n);
  switch (c->dtype) {
    case GoldenDtype::kInt8:
      MDETR_RETURN_IF_ERROR(ReadEntries<int8_t>(in, where + " cost", n, &c->cost));
      break;
    case GoldenDtype::kFloat32:
      MDETR_RETURN_IF_ERROR(ReadEntries<float>(in, where + " cost", n, &c->cost));
      break;
    case GoldenDtype::kFloat64:
      MDETR_RETURN_IF_ERROR(ReadEntries<double>(in, where + " cost", n, &c->cost));
      break;
  }
  MDETR_RETURN_IF_ERROR(in->Read(where + " total_cost", &c->total_cost));
  const int64_t k = std::min(c->rows, c->cols);
  for (std::vector<int64_t>* ind : {&c->row_ind, &c->col_ind}) {
    const bool is_row = ind == &c->row_ind;
    for (int64_t i = 0; i < k; ++i) {
      uint16_t x;
      MDETR_RETURN_IF_ERROR(in->Read(where + (is_row ? " row_ind" : " col_ind"), &x));
      if (x >= (is_row ? c->rows : c->cols)) {
        return DataLossError(where + (is_row ? " row_ind[" : " col_ind[") + std::to_string(i) +
                             "] = " + std::to_string(x) + ": out of range for shape " +
                             std::to_string(c->rows) + " x " + std::to_string(c->cols));
      }
      ind->push_back(x);
    }
  }
  return Status::Ok();
}

}  // namespace

std::vector<float> GoldenCase::CostAsFloat() const { return std::vector<float>(cost.begin(), cost.end()); }

const char* FamilyName(GoldenFamily family) {
  switch (family) {
    case GoldenFamily::kUniform:
      return "uniform";
    case GoldenFamily::kIntegerTies:
      return "integer ties";
    case GoldenFamily::kRectangular:
      return "rectangular";
    case GoldenFamily::kMatcherShaped:
      return "matcher-shaped";
    case GoldenFamily::kMatcherShapedTies:
      return "matcher-shaped ties";
    case GoldenFamily::kDynamicRange:
      return "dynamic range";
  }
  return "unknown";
}

Result<GoldenFile> ReadScipyGoldens(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return NotFoundError(path + ": cannot open the scipy goldens");
  const std::vector<char> bytes((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  Cursor in(path, bytes);

  std::string magic;
  MDETR_RETURN_IF_ERROR(in.ReadBytes("magic", 8, &magic));
  if (magic != kMagic) return DataLossError(path + ": magic is not " + std::string(kMagic));
  GoldenFile golden;
  uint32_t generator_size, count;
  MDETR_RETURN_IF_ERROR(in.Read("generator size", &generator_size));
  MDETR_RETURN_IF_ERROR(in.ReadBytes("generator", generator_size, &golden.generator));
  MDETR_RETURN_IF_ERROR(in.Read("case count", &count));
  golden.cases.resize(count);
  for (uint32_t i = 0; i < count; ++i) {
    golden.cases[i].index = static_cast<int>(i);
    MDETR_RETURN_IF_ERROR(ReadCase(&in, path + ": case " + std::to_string(i), &golden.cases[i]));
  }
  if (!in.AtEnd()) {
    return DataLossError(path + ": " + std::to_string(bytes.size() - in.pos()) +
                         " bytes after the last case");
  }
  return golden;
}

}  // namespace mdetr::matching::parity
