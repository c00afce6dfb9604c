// Random search for sweeps: the generator against the algorithms' published outputs, the
// distributions a space may use, and the expansion of grid x samples into content-named trials.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <map>
#include <set>
#include <string>

#include "common/ids.h"
#include "common/wire/codec.h"
#include "coordinator/daemon/sweep_plan.h"
#include "coordinator/daemon/sweep_random.h"

namespace mdetr::coordinator {
namespace {

wire::RandomParam Param(const std::string& key, const std::string& dist, double low, double high) {
  return wire::RandomParam{key, dist, low, high, {}};
}
wire::RandomParam Choice(const std::string& key, std::vector<std::string> values) {
  return wire::RandomParam{key, "choice", 0, 0, std::move(values)};
}

std::vector<double> Draw(const wire::RandomParam& p, int n, uint64_t seed = 17) {
  std::vector<double> out;
  for (int i = 0; i < n; ++i) out.push_back(std::strtod(SampleRandomParam(p, seed, i).c_str(), nullptr));
  return out;
}

wire::SubmitSweep RandomSweep(int samples, uint64_t seed) {
  wire::SubmitSweep req;
  req.name = "lr-wd";
  req.config_yaml = "name: x\n";
  req.overrides = {"optim.epochs=1"};
  req.search = "random";
  req.random_samples = samples;
  req.random_seed = seed;
  req.random_space = {Param("optim.lr", "log_uniform", 1e-5, 1e-3), Param("optim.weight_decay", "uniform", 0.0, 0.1),
                      Choice("model.num_queries", {"50", "100"}), Param("run.seed", "int_uniform", 0, 1000)};
  return req;
}

// Published outputs: splitmix64 from seed 1477776061723855037 (Vigna's splitmix64.c, as listed in
// the rand_xoshiro tests) and xoshiro256** from the state {1, 2, 3, 4} (Blackman and Vigna).
TEST(SweepRandomTest, MatchesThePublishedOutputsOfSplitmix64AndXoshiro256StarStar) {
  uint64_t state = 1477776061723855037ULL;
  EXPECT_EQ(SplitMix64(&state), 1985237415132408290ULL);
  EXPECT_EQ(SplitMix64(&state), 2979275885539914483ULL);
  EXPECT_EQ(SplitMix64(&state), 13511426838097143398ULL);
  auto rng = Xoshiro256::FromState({1, 2, 3, 4});
  for (uint64_t expected : {11520ULL, 0ULL, 1509978240ULL, 1215971899390074240ULL, 1216172134540287360ULL,
                            607988272756665600ULL, 16172922978634559625ULL, 8476171486693032832ULL}) {
    EXPECT_EQ(rng.Next(), expected);
  }
}

TEST(SweepRandomTest, BelowIsUnbiasedOverASmallRange) {
  Xoshiro256 rng(5);
  std::map<uint64_t, int> counts;
  for (int i = 0; i < 30000; ++i) ++counts[rng.Below(3)];
  ASSERT_EQ(counts.size(), 3u);
  for (const auto& [v, n] : counts) EXPECT_NEAR(n, 10000, 400) << v;  // ~4.5 standard deviations
}

TEST(SweepSamplerTest, SameSeedDrawsTheSameValuesAndAnotherSeedOthers) {
  const auto p = Param("optim.lr", "log_uniform", 1e-5, 1e-3);
  EXPECT_EQ(Draw(p, 50, 17), Draw(p, 50, 17));
  EXPECT_NE(Draw(p, 50, 17), Draw(p, 50, 18));
  auto a = PlanSweep(RandomSweep(8, 17)), b = PlanSweep(RandomSweep(8, 17)), c = PlanSweep(RandomSweep(8, 18));
  ASSERT_TRUE(a.ok() && b.ok() && c.ok()) << a.status();
  EXPECT_EQ(a->sweep_id, b->sweep_id);
  ASSERT_EQ(a->trials.size(), 8u);
  for (size_t i = 0; i < a->trials.size(); ++i) {
    EXPECT_EQ(a->trials[i].id, b->trials[i].id);
    EXPECT_EQ(a->trials[i].params, b->trials[i].params);
  }
  EXPECT_NE(a->sweep_id, c->sweep_id);
  EXPECT_NE(a->trials[0].params, c->trials[0].params);
}

TEST(SweepSamplerTest, EveryDistributionStaysWithinItsBounds) {
  for (double v : Draw(Param("a", "uniform", -0.5, 0.1), 2000)) {
    EXPECT_GE(v, -0.5);
    EXPECT_LE(v, 0.1);
  }
  for (double v : Draw(Param("a", "log_uniform", 1e-5, 1e-3), 2000)) {
    EXPECT_GE(v, 1e-5);
    EXPECT_LE(v, 1e-3);
  }
  std::set<double> ints;
  for (double v : Draw(Param("a", "int_uniform", -3, 3), 2000)) {
    EXPECT_EQ(v, std::floor(v));
    ints.insert(v);
  }
  EXPECT_EQ(ints, (std::set<double>{-3, -2, -1, 0, 1, 2, 3}));  // both ends are included
}

TEST(SweepSamplerTest, UniformFillsTenEqualBinsEvenly) {
  std::vector<int> bins(10, 0);
  for (double v : Draw(Param("a", "uniform", 0.0, 0.1), 5000)) ++bins[std::min(9, static_cast<int>(v / 0.01))];
  for (int n : bins) EXPECT_NEAR(n, 500, 90);
}

TEST(SweepSamplerTest, LogUniformSpreadsEvenlyOverDecades) {
  // Four decades, 1e-6 .. 1e-2: each holds a quarter of the draws, so small learning rates are
  // explored as much as large ones (a plain uniform would put 99% in the top decade).
  std::vector<int> decades(4, 0);
  for (double v : Draw(Param("optim.lr", "log_uniform", 1e-6, 1e-2), 4000)) {
    ++decades[std::min(3, static_cast<int>(std::floor(std::log10(v) + 6)))];
  }
  for (int n : decades) EXPECT_NEAR(n, 1000, 120);
}

TEST(SweepSamplerTest, ChoiceCoversEveryValueAboutEquallyOften) {
  std::map<std::string, int> counts;
  const auto p = Choice("model.num_queries", {"50", "100", "200"});
  for (int i = 0; i < 3000; ++i) ++counts[SampleRandomParam(p, 3, i)];
  ASSERT_EQ(counts.size(), 3u);
  for (const auto& [v, n] : counts) EXPECT_NEAR(n, 1000, 120) << v;
}

TEST(SweepSamplerTest, AddingADimensionKeepsTheOtherDimensionsDraws) {
  auto small = RandomSweep(5, 9);
  auto large = small;
  large.random_space.push_back(Param("optim.lr_backbone", "log_uniform", 1e-6, 1e-4));
  auto a = PlanSweep(small), b = PlanSweep(large);
  ASSERT_TRUE(a.ok() && b.ok());
  for (size_t i = 0; i < 5; ++i) {
    const auto& pa = a->trials[i].params;
    const auto& pb = b->trials[i].params;
    ASSERT_EQ(pb.size(), pa.size() + 1);
    EXPECT_TRUE(std::equal(pa.begin(), pa.end(), pb.begin()));
  }
}

TEST(SweepSamplerTest, SampledRealsKeepSixSignificantDigits) {
  EXPECT_EQ(FormatSampledReal(1e-5), "1e-05");
  EXPECT_EQ(FormatSampledReal(0.000123456789), "0.000123457");
  EXPECT_EQ(FormatSampledReal(0.0734), "0.0734");
  for (const auto& v : Draw(Param("a", "log_uniform", 1e-5, 1e-3), 100)) {
    EXPECT_EQ(std::strtod(FormatSampledReal(v).c_str(), nullptr), v);  // already rounded: a fixed point
  }
}

TEST(SweepPlanTest, EveryGridPointIsCrossedWithTheSameSamples) {
  auto req = RandomSweep(3, 17);
  req.search = "grid+random";
  req.axes = {wire::SweepAxis{"optim.epochs", {"1", "2"}}};
  req.overrides.clear();
  auto plan = PlanSweep(req);
  ASSERT_TRUE(plan.ok()) << plan.status();
  ASSERT_EQ(plan->trials.size(), 6u);
  EXPECT_EQ(plan->grid_points, 2);
  std::set<std::string> ids;
  for (size_t i = 0; i < 3; ++i) {
    const auto& first = plan->trials[i].params;
    const auto& second = plan->trials[3 + i].params;
    EXPECT_EQ(first[0], (std::pair<std::string, std::string>{"optim.epochs", "1"}));
    EXPECT_EQ(second[0], (std::pair<std::string, std::string>{"optim.epochs", "2"}));
    EXPECT_TRUE(std::equal(first.begin() + 1, first.end(), second.begin() + 1));
  }
  for (const auto& t : plan->trials) ids.insert(t.id);
  EXPECT_EQ(ids.size(), 6u);
  EXPECT_EQ(plan->trials[0].Overrides().front(), "optim.epochs=1");
}

TEST(SweepPlanTest, RepeatedDrawsBecomeOneTrial) {
  wire::SubmitSweep req;
  req.name = "q";
  req.random_samples = 8;
  req.random_space = {Choice("model.num_queries", {"50", "100"})};
  auto plan = PlanSweep(req);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->trials.size(), 2u);
  EXPECT_EQ(plan->repeated, 6);
}

TEST(SweepPlanTest, GridOnlySweepsKeepTheIdsTheyHadBeforeRandomSearch) {
  // Sweeps already stored by a coordinator must be recognised when resubmitted after an upgrade:
  // the id of a grid sweep is still derived from name, config, overrides and axes, as it was.
  wire::SubmitSweep req;
  req.name = "lr";
  req.config_yaml = "name: x\n";
  req.overrides = {"optim.epochs=1"};
  req.search = "grid";
  req.axes = {wire::SweepAxis{"optim.lr", {"0.0001", "0.0002"}}};
  auto plan = PlanSweep(req);
  ASSERT_TRUE(plan.ok());
  const std::string sweep_id = StableId("sweep", "lr\nname: x\n\noptim.epochs=1\noptim.lr,0.0001,0.0002");
  EXPECT_EQ(plan->sweep_id, sweep_id);
  ASSERT_EQ(plan->trials.size(), 2u);
  EXPECT_EQ(plan->trials[1].id, StableId("trial", sweep_id + "\noptim.lr=0.0002"));
}

std::string PlanError(const wire::SubmitSweep& req) {
  auto plan = PlanSweep(req);
  return plan.ok() ? "no error" : plan.status().message();
}

TEST(SweepPlanTest, RefusesSpacesThatCannotBeSampled) {
  auto with = [](wire::RandomParam p) {
    auto req = RandomSweep(4, 1);
    req.random_space = {std::move(p)};
    return PlanSweep(req).status();
  };
  auto inverted = with(Param("optim.lr", "uniform", 0.1, 0.0));
  EXPECT_EQ(inverted.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(inverted.message().find("random.space.optim.lr: uniform: expected low < high"), std::string::npos)
      << inverted.message();
  EXPECT_NE(with(Param("optim.lr", "log_uniform", 0.0, 1e-3)).message().find("log_uniform: expected bounds > 0"),
            std::string::npos);
  EXPECT_NE(with(Param("optim.lr", "log_uniform", -1.0, 1e-3)).message().find("bounds > 0"), std::string::npos);
  EXPECT_NE(with(Choice("model.num_queries", {})).message().find("non-empty list"), std::string::npos);
  EXPECT_NE(with(Param("optim.lr", "normal", 0, 1)).message().find("unknown distribution 'normal'"),
            std::string::npos);
  EXPECT_NE(with(Param("run.seed", "int_uniform", 0, 2.5)).message().find("integer bounds"), std::string::npos);
  EXPECT_NE(with(Param("run.seed", "int_uniform", 9, 2)).message().find("bounds inverted"), std::string::npos);
  EXPECT_NE(with(Param("optim.lr", "uniform", 0, std::nan(""))).message().find("finite"), std::string::npos);
  EXPECT_TRUE(with(Param("run.seed", "int_uniform", 4, 4)).ok());
}

TEST(SweepPlanTest, RefusesBadSampleCountsAndOversizedSweeps) {
  auto req = RandomSweep(0, 1);
  EXPECT_NE(PlanError(req).find("random.samples: expected at least 1, got 0"), std::string::npos) << PlanError(req);
  req = RandomSweep(5001, 1);
  req.search = "grid+random";
  req.axes = {wire::SweepAxis{"optim.epochs", {"1", "2"}}};
  EXPECT_NE(PlanError(req).find("10002 trials (2 grid points x 5001 samples); at most 10000"), std::string::npos)
      << PlanError(req);
  wire::SubmitSweep grid;
  grid.name = "huge";
  for (int i = 0; i < 8; ++i) grid.axes.push_back(wire::SweepAxis{"k" + std::to_string(i), {"1", "2", "3", "4"}});
  EXPECT_NE(PlanError(grid).find("over 10000 trials (the grid alone)"), std::string::npos) << PlanError(grid);
  req = RandomSweep(4, 1);
  req.search = "grid+random";
  req.axes = {wire::SweepAxis{"optim.lr", {"0.1"}}};
  EXPECT_NE(PlanError(req).find("random.space.optim.lr: the key is also a grid axis"), std::string::npos)
      << PlanError(req);
  req = RandomSweep(4, 1);
  req.search = "bayes";
  EXPECT_EQ(PlanSweep(req).status().code(), StatusCode::kUnimplemented);
}

TEST(SweepPlanTest, TheRandomSpaceCrossesTheWireIntactAndNamesTheSameTrials) {
  auto req = RandomSweep(6, 0xfedcba9876543210ULL);
  req.random_space[1].high = 1.0 / 3.0;  // not a short decimal: the double must survive exactly
  wire::Envelope env;
  env.request_id = 7;
  env.body = req;
  auto frame = wire::Encode(env);
  ASSERT_TRUE(frame.ok()) << frame.status();
  auto back = wire::Decode(*frame);
  ASSERT_TRUE(back.ok()) << back.status();
  const auto* got = std::get_if<wire::SubmitSweep>(&back->body);
  ASSERT_NE(got, nullptr);
  EXPECT_EQ(*got, req);
  auto a = PlanSweep(req), b = PlanSweep(*got);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->sweep_id, b->sweep_id);
}

}  // namespace
}  // namespace mdetr::coordinator
