// What PyTorch saw in each fixture (tests/data/checkpoint/expected.json, written by
// tools/parity/checkpoint/make_fixtures.py), and checks of our readers against it.
#pragma once

#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "model/io/state_dict.h"

namespace mdetr::io::testing {

// tests/data/checkpoint/<name>
std::string FixturePath(const std::string& name);
// expected.json, parsed once.
const nlohmann::json& Expected();

// Sum and position-weighted sum over the row-major elements, as the fixture tool computes them.
struct ViewStats {
  double sum = 0;
  double weighted_sum = 0;
};
ViewStats ComputeStats(const TensorView& view);

// Names, order, dtypes, shapes, strides, offsets, storage sharing and data sums of `actual`
// against `expected` (a list from expected.json). `scale` multiplies the expected float sums
// (the fixture's EMA copy is the model times 2).
void ExpectStateDictMatches(const StateDict& actual, const nlohmann::json& expected);

}  // namespace mdetr::io::testing
