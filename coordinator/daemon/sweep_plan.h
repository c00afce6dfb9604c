// A sweep's trials: the grid's points crossed with the samples of a seeded random search, each
// trial named by its content. The coordinator expands a submitted sweep with this; the CLI runs the
// same expansion for `mdetr sweep FILE --dry-run`, so the table it prints names the trials the
// coordinator will create.
//
// Ids are derived from content (the sweep's config, overrides, grid and random space; the trial's
// values), so resubmitting a sweep, or retrying it across a coordinator restart, names the same
// trials and runs each once. A grid-only sweep keeps the ids it had before random search existed.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"
#include "common/wire/messages.h"

namespace mdetr::coordinator {

// More trials than this in one sweep is almost surely a mistake in the file (a grid of many axes,
// a missing zero); the submission is refused rather than flooding the queue.
inline constexpr int64_t kMaxSweepTrials = 10000;

// The distributions a random search space may use.
inline constexpr const char* kRandomDistributions[] = {"uniform", "log_uniform", "int_uniform", "choice"};

struct SweepTrial {
  std::string id;
  // (key, value) in order: the grid's axes, then the random space's keys. Values are YAML scalars
  // as the trial's config receives them.
  std::vector<std::pair<std::string, std::string>> params;

  std::vector<std::string> Overrides() const;  // "key=value" each
  std::string Label() const;                   // "key=value key=value"
};

struct SweepPlan {
  std::string sweep_id;
  std::vector<SweepTrial> trials;
  int64_t grid_points = 1;
  int64_t repeated = 0;  // drawn points equal to an earlier trial's: one trial runs for both
};

// What is wrong with one dimension of a random space, or "" when nothing is: an unknown
// distribution, bounds that are not finite or are inverted, a log-uniform bound <= 0, non-integer
// int_uniform bounds, an empty choice list.
std::string RandomParamProblem(const wire::RandomParam& param);

// The value that sample `index` of a sweep seeded with `seed` draws for `param`, as a YAML scalar.
// It depends on (seed, param.key, index) only, so adding a dimension to a space keeps the values
// the other dimensions draw. Reals keep 6 significant digits: the formatted text is what the
// trial's config receives and what its id is derived from.
std::string SampleRandomParam(const wire::RandomParam& param, uint64_t seed, int64_t index);

// Formats a sampled real ("0.000123457", "1e-05") the same way on every platform.
std::string FormatSampledReal(double value);

// Expands a sweep request into its trials, in order (grid point by grid point, each with samples
// 0..samples-1, the same samples for every point); repeated points are run once. Errors are
// INVALID_ARGUMENT naming the field (e.g. "random.space.optim.lr: ..."), UNIMPLEMENTED for an
// unknown search kind.
Result<SweepPlan> PlanSweep(const wire::SubmitSweep& req);

}  // namespace mdetr::coordinator
