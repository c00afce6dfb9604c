// Reader for tests/data/assignment/scipy_goldens.bin: random cost matrices with the assignment that
// scipy.optimize.linear_sum_assignment returned for them (tools/parity/assignment/make_goldens.py
// writes the file and documents its format).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"

namespace mdetr::matching::parity {

enum class GoldenFamily : uint8_t {
  kUniform = 0,
  kIntegerTies = 1,
  kRectangular = 2,
  kMatcherShaped = 3,
  kMatcherShapedTies = 4,
  kDynamicRange = 5,
};

// How the entries were stored. Every stored value is exact in double, and in float unless kFloat64.
enum class GoldenDtype : uint8_t { kInt8 = 0, kFloat32 = 1, kFloat64 = 2 };

struct GoldenCase {
  int index = 0;  // Position in the file, for messages.
  GoldenFamily family = GoldenFamily::kUniform;
  GoldenDtype dtype = GoldenDtype::kFloat64;
  bool maximize = false;
  bool unique = false;  // scipy's optimum is the only one (see make_goldens.py for the margin).
  int64_t rows = 0;
  int64_t cols = 0;
  std::vector<double> cost;  // Row-major.
  double total_cost = 0.0;
  std::vector<int64_t> row_ind;
  std::vector<int64_t> col_ind;

  // Entries as float; exact for every dtype but kFloat64.
  std::vector<float> CostAsFloat() const;
};

struct GoldenFile {
  std::string generator;  // scipy and numpy versions, seed.
  std::vector<GoldenCase> cases;
};

// Errors name the file, the case index and the field that is wrong (kNotFound, kDataLoss).
Result<GoldenFile> ReadScipyGoldens(const std::string& path);

const char* FamilyName(GoldenFamily family);

}  // namespace mdetr::matching::parity
