#include "tests/checkpoint_io/expectations.h"

#include <cmath>
#include <fstream>

#include "model/io/dtype.h"
#include "tests/support/test_paths.h"

namespace mdetr::io::testing {

std::string FixturePath(const std::string& name) {
  return mdetr::testing::SourceDir() + "/tests/data/checkpoint/" + name;
}

const nlohmann::json& Expected() {
  static const nlohmann::json expected = [] {
    std::ifstream in(FixturePath("expected.json"));
    return nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  }();
  return expected;
}

ViewStats ComputeStats(const TensorView& view) {
  ViewStats stats;
  std::vector<double> values = view.ToDoubles();
  for (size_t i = 0; i < values.size(); ++i) {
    stats.sum += values[i];
    stats.weighted_sum += values[i] * static_cast<double>(i % 7 + 1);
  }
  return stats;
}

void ExpectStateDictMatches(const StateDict& actual, const nlohmann::json& expected) {
  ASSERT_TRUE(expected.is_array()) << "expected.json is missing this fixture; rerun make_fixtures.py";
  ASSERT_EQ(actual.size(), expected.size());
  size_t i = 0;
  for (const auto& [name, view] : actual) {
    const nlohmann::json& e = expected[i++];
    SCOPED_TRACE("tensor " + name);
    EXPECT_EQ(name, e["name"].get<std::string>());
    EXPECT_EQ(DTypeName(view.dtype), e["dtype"].get<std::string>());
    EXPECT_EQ(view.shape, e["shape"].get<std::vector<int64_t>>());
    EXPECT_EQ(view.strides, e["stride"].get<std::vector<int64_t>>());
    EXPECT_EQ(view.storage_offset, e["storage_offset"].get<int64_t>());
    EXPECT_EQ(view.is_contiguous(), e["contiguous"].get<bool>());
    EXPECT_TRUE(view.Validate(name).ok());

    ViewStats stats = ComputeStats(view);
    double sum = e["sum"].get<double>(), weighted = e["weighted_sum"].get<double>();
    // The fixture tool sums exactly (math.fsum); a sequential double sum differs in the last bits.
    double tolerance = 1e-12 * (1 + std::abs(weighted)) * static_cast<double>(view.numel() + 1);
    EXPECT_NEAR(stats.sum, sum, tolerance);
    EXPECT_NEAR(stats.weighted_sum, weighted, tolerance);
    std::vector<double> values = view.ToDoubles();
    std::vector<double> first = e["first"].get<std::vector<double>>();
    ASSERT_LE(first.size(), values.size());
    for (size_t k = 0; k < first.size(); ++k) EXPECT_EQ(values[k], first[k]) << "element " << k;

    // Views that torch saved over one storage must still share it.
    const TensorView* owner = actual.Find(e["shares_storage_with"].get<std::string>());
    ASSERT_NE(owner, nullptr);
    if (view.numel() > 0) EXPECT_EQ(owner->storage, view.storage);
  }
}

}  // namespace mdetr::io::testing
