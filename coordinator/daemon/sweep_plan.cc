#include "coordinator/daemon/sweep_plan.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>

#include "common/ids.h"
#include "coordinator/daemon/sweep_random.h"

namespace mdetr::coordinator {
namespace {

// Integers up to 2^53 are exact in a double, which is how the wire carries the bounds.
constexpr double kMaxExactInteger = 9007199254740992.0;

std::string Exact(double v) {
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%.17g", v);
  return buf;
}

// For messages: the bounds as a user wrote them (0.1, not 0.10000000000000001).
std::string Readable(double v) {
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%.15g", v);
  return buf;
}

std::string Bounds(const wire::RandomParam& p) { return "[" + Readable(p.low) + ", " + Readable(p.high) + "]"; }

bool IsKnownDistribution(const std::string& d) {
  for (const char* known : kRandomDistributions) {
    if (d == known) return true;
  }
  return false;
}

// A stream per (seed, key, sample): splitmix64's mixing of the three, so that neighbouring seeds
// or sample indices give unrelated streams.
Xoshiro256 StreamFor(uint64_t seed, const std::string& key, int64_t index) {
  uint64_t state = seed;
  uint64_t mixed = SplitMix64(&state) ^ StableHash64(key);
  mixed = SplitMix64(&mixed) + static_cast<uint64_t>(index);
  return Xoshiro256(SplitMix64(&mixed));
}

// The grid's points in order, the first axis slowest; each point is "key=value" pairs.
void GridPoints(const std::vector<wire::SweepAxis>& axes, size_t i,
                std::vector<std::pair<std::string, std::string>>* current,
                std::vector<std::vector<std::pair<std::string, std::string>>>* out) {
  if (i == axes.size()) {
    out->push_back(*current);
    return;
  }
  for (const auto& v : axes[i].values) {
    current->emplace_back(axes[i].key, v);
    GridPoints(axes, i + 1, current, out);
    current->pop_back();
  }
}

std::string KeyProblem(const std::string& key) {
  if (key.empty()) return "a key is empty";
  if (key.find_first_of("= \t\n") != std::string::npos || key[0] == '@') {
    return "'" + key + "' is not a key path (expected dotted names such as optim.lr)";
  }
  return "";
}

}  // namespace

std::vector<std::string> SweepTrial::Overrides() const {
  std::vector<std::string> out;
  out.reserve(params.size());
  for (const auto& [k, v] : params) out.push_back(k + "=" + v);
  return out;
}

std::string SweepTrial::Label() const {
  std::string label;
  for (const auto& [k, v] : params) label += (label.empty() ? "" : " ") + k + "=" + v;
  return label;
}

std::string RandomParamProblem(const wire::RandomParam& p) {
  if (!IsKnownDistribution(p.distribution)) {
    return "unknown distribution '" + p.distribution + "'; expected one of uniform, log_uniform, int_uniform, choice";
  }
  if (p.distribution == "choice") {
    return p.choices.empty() ? "choice: expected a non-empty list of values" : "";
  }
  if (!std::isfinite(p.low) || !std::isfinite(p.high)) {
    return p.distribution + ": expected finite bounds [low, high], got " + Bounds(p);
  }
  if (p.distribution == "int_uniform") {
    if (p.low != std::floor(p.low) || p.high != std::floor(p.high) || std::fabs(p.low) > kMaxExactInteger ||
        std::fabs(p.high) > kMaxExactInteger) {
      return "int_uniform: expected integer bounds [low, high], got " + Bounds(p);
    }
    if (p.low > p.high) return "int_uniform: expected low <= high, got " + Bounds(p) + " (bounds inverted)";
    return "";
  }
  if (p.low >= p.high) return p.distribution + ": expected low < high, got " + Bounds(p) + " (bounds inverted)";
  if (p.distribution == "log_uniform" && p.low <= 0) {
    return "log_uniform: expected bounds > 0 (it samples the logarithm), got " + Bounds(p);
  }
  return "";
}

std::string FormatSampledReal(double value) {
  // %.6g rounds correctly in every C library we build with; 6 digits are plenty for a
  // hyper-parameter and keep the table and the trial's label readable.
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.6g", value);
  return buf;
}

std::string SampleRandomParam(const wire::RandomParam& p, uint64_t seed, int64_t index) {
  Xoshiro256 rng = StreamFor(seed, p.key, index);
  if (p.distribution == "choice") return p.choices[rng.Below(p.choices.size())];
  if (p.distribution == "int_uniform") {
    const auto low = static_cast<int64_t>(p.low);
    const auto span = static_cast<uint64_t>(static_cast<int64_t>(p.high) - low) + 1;
    return std::to_string(low + static_cast<int64_t>(rng.Below(span)));
  }
  const double u = rng.Uniform01();
  double v = 0;
  if (p.distribution == "log_uniform") {
    const double a = std::log(p.low), b = std::log(p.high);
    v = std::exp(a + u * (b - a));
  } else {
    v = p.low + u * (p.high - p.low);
  }
  return FormatSampledReal(std::min(std::max(v, p.low), p.high));
}

Result<SweepPlan> PlanSweep(const wire::SubmitSweep& req) {
  const std::string& search = req.search;
  if (!search.empty() && search != "grid" && search != "random" && search != "grid+random") {
    return UnimplementedError("sweep search '" + search + "': expected grid, random or grid+random");
  }
  const bool random = req.random_samples != 0 || !req.random_space.empty();
  if (search.find("random") != std::string::npos && !random) {
    return InvalidArgumentError("sweep " + req.name + ": search is '" + search + "' but there is no random space");
  }
  if (random && search == "grid") {
    return InvalidArgumentError("sweep " + req.name + ": search is 'grid' but the request has a random space");
  }

  std::set<std::string> keys;
  for (const auto& axis : req.axes) {
    if (auto problem = KeyProblem(axis.key); !problem.empty()) {
      return InvalidArgumentError("sweep " + req.name + ": grid: " + problem);
    }
    if (axis.values.empty()) {
      return InvalidArgumentError("sweep " + req.name + ": grid." + axis.key + ": expected a non-empty list of values");
    }
    if (!keys.insert(axis.key).second) {
      return InvalidArgumentError("sweep " + req.name + ": grid." + axis.key + ": the key appears twice");
    }
  }
  if (random) {
    if (req.random_samples < 1) {
      return InvalidArgumentError("sweep " + req.name + ": random.samples: expected at least 1, got " +
                                  std::to_string(req.random_samples));
    }
    if (req.random_space.empty()) {
      return InvalidArgumentError("sweep " + req.name + ": random.space: expected at least one key to sample");
    }
    for (const auto& p : req.random_space) {
      if (auto problem = KeyProblem(p.key); !problem.empty()) {
        return InvalidArgumentError("sweep " + req.name + ": random.space: " + problem);
      }
      if (auto problem = RandomParamProblem(p); !problem.empty()) {
        return InvalidArgumentError("sweep " + req.name + ": random.space." + p.key + ": " + problem);
      }
      if (!keys.insert(p.key).second) {
        return InvalidArgumentError("sweep " + req.name + ": random.space." + p.key +
                                    ": the key is also a grid axis (or appears twice); give each key one source");
      }
    }
  }

  SweepPlan plan;
  const int64_t samples = random ? req.random_samples : 1;
  for (const auto& axis : req.axes) {
    plan.grid_points *= static_cast<int64_t>(axis.values.size());
    if (plan.grid_points > kMaxSweepTrials) break;  // refused below; keeps the product from overflowing
  }
  if (plan.grid_points > kMaxSweepTrials || plan.grid_points * samples > kMaxSweepTrials) {
    const std::string total = plan.grid_points > kMaxSweepTrials ? "over " + std::to_string(kMaxSweepTrials)
                                                                 : std::to_string(plan.grid_points * samples);
    return InvalidArgumentError("sweep " + req.name + ": " + total + " trials (" +
                                (plan.grid_points > kMaxSweepTrials ? "the grid alone"
                                                                    : std::to_string(plan.grid_points) +
                                                                          " grid points x " + std::to_string(samples) +
                                                                          " samples") +
                                "); at most " + std::to_string(kMaxSweepTrials) + " per sweep");
  }

  // The sweep's id covers everything that shapes its trials. Grid-only sweeps hash exactly what
  // they always did, so their ids survive an upgrade.
  std::string sweep_key = req.name + "\n" + req.config_yaml;
  for (const auto& o : req.overrides) sweep_key += "\n" + o;
  for (const auto& a : req.axes) {
    sweep_key += "\n" + a.key;
    for (const auto& v : a.values) sweep_key += "," + v;
  }
  if (random) {
    sweep_key += "\nrandom samples=" + std::to_string(req.random_samples) + " seed=" + std::to_string(req.random_seed);
    for (const auto& p : req.random_space) {
      sweep_key += "\n" + p.key + " " + p.distribution + " " + Exact(p.low) + " " + Exact(p.high);
      for (const auto& c : p.choices) sweep_key += "," + c;
    }
  }
  plan.sweep_id = StableId("sweep", sweep_key);

  // Samples are drawn once and shared by every grid point: the grid is crossed with one sample set.
  std::vector<std::vector<std::pair<std::string, std::string>>> drawn(static_cast<size_t>(random ? samples : 0));
  for (int64_t i = 0; i < static_cast<int64_t>(drawn.size()); ++i) {
    for (const auto& p : req.random_space) {
      drawn[static_cast<size_t>(i)].emplace_back(p.key, SampleRandomParam(p, req.random_seed, i));
    }
  }
  std::vector<std::vector<std::pair<std::string, std::string>>> points;
  std::vector<std::pair<std::string, std::string>> current;
  GridPoints(req.axes, 0, &current, &points);
  std::set<std::string> seen;
  for (const auto& point : points) {
    for (int64_t i = 0; i < samples; ++i) {
      SweepTrial trial;
      trial.params = point;
      if (random) {
        const auto& d = drawn[static_cast<size_t>(i)];
        trial.params.insert(trial.params.end(), d.begin(), d.end());
      }
      std::string trial_key = plan.sweep_id;
      for (const auto& [k, v] : trial.params) trial_key += "\n" + k + "=" + v;
      trial.id = StableId("trial", trial_key);
      if (!seen.insert(trial.id).second) {
        ++plan.repeated;
        continue;
      }
      plan.trials.push_back(std::move(trial));
    }
  }
  if (req.max_trials > 0 && static_cast<int64_t>(plan.trials.size()) > req.max_trials) {
    plan.trials.resize(static_cast<size_t>(req.max_trials));
  }
  return plan;
}

}  // namespace mdetr::coordinator
