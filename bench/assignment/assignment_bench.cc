// Time per solve of our assignment solver on the Hungarian matcher's shapes, next to
// scipy.optimize.linear_sum_assignment timed on the same matrices in the same run.
//
// Usage: assignment_bench [--rounds N] [--min-round-seconds S]
// scipy runs under $MDETR_BENCH_PYTHON, else /tmp/venv-lap/bin/python if it exists, else python3.
// Without Python or scipy the bench prints our figures only and says so.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <unistd.h>

#include "common/status.h"
#include "model/matching/assignment.h"

namespace mdetr::matching {
namespace {

struct Shape {
  int64_t rows;
  int64_t cols;
  int count;  // Distinct matrices, so that timing is not of one matrix sitting in cache.
};

// Queries x targets: a typical image, a sparse one, and a large query set; 1x1 shows the fixed
// cost of a call (for scipy, mostly the Python call and argument conversion).
constexpr Shape kShapes[] = {{100, 50, 200}, {100, 10, 500}, {300, 100, 40}, {1, 1, 1000}};

struct Timing {
  double seconds_per_solve = 0.0;
  double total_cost_sum = 0.0;  // Over all matrices: the same optimum must come out of both solvers.
};

using Matrices = std::vector<std::vector<float>>;

// Costs like the matcher's: float32, uniform, one matrix per image.
Matrices RandomMatrices(std::mt19937_64& rng, const Shape& shape) {
  std::uniform_real_distribution<float> unit(0.0f, 1.0f);
  Matrices mats(shape.count, std::vector<float>(shape.rows * shape.cols));
  for (auto& m : mats) {
    for (float& x : m) x = unit(rng);
  }
  return mats;
}

// Median over `rounds` rounds of the time per solve, each round solving every matrix as many times
// as fill `min_round_seconds`.
// Time is the process's CPU time, as in the Python side: the bench machine may be shared, and
// wall time would count the periods when another process had the core.
double CpuSeconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

template <typename SolveAll>
double MedianSecondsPerSolve(int count, int rounds, double min_round_seconds, SolveAll&& solve_all) {
  auto run = [&](int loops) {
    const double start = CpuSeconds();
    for (int l = 0; l < loops; ++l) solve_all();
    return CpuSeconds() - start;
  };
  int loops = 1;
  while (run(loops) < min_round_seconds) loops *= 2;
  std::vector<double> per_solve;
  for (int r = 0; r < rounds; ++r) per_solve.push_back(run(loops) / (static_cast<double>(loops) * count));
  std::sort(per_solve.begin(), per_solve.end());
  return per_solve[per_solve.size() / 2];
}

std::pair<Timing, Timing> TimeOurs(const Shape& shape, const Matrices& mats, int rounds, double min_round) {
  double sink = 0.0;
  Timing one_shot, reused;
  for (const auto& m : mats) {
    one_shot.total_cost_sum +=
        LinearSumAssignment(CostMatrixView<float>::Dense(m.data(), shape.rows, shape.cols))
            .value()
            .total_cost;
  }
  reused.total_cost_sum = one_shot.total_cost_sum;
  one_shot.seconds_per_solve = MedianSecondsPerSolve(shape.count, rounds, min_round, [&] {
    for (const auto& m : mats) {
      sink += LinearSumAssignment(CostMatrixView<float>::Dense(m.data(), shape.rows, shape.cols))
                  .value()
                  .total_cost;
    }
  });
  AssignmentSolver solver;
  reused.seconds_per_solve = MedianSecondsPerSolve(shape.count, rounds, min_round, [&] {
    for (const auto& m : mats) {
      sink += solver.Solve(CostMatrixView<float>::Dense(m.data(), shape.rows, shape.cols)).value().total_cost;
    }
  });
  if (sink == 0.0) std::printf(" ");  // Keeps the solves from being optimized away.
  return {one_shot, reused};
}

std::string PythonForScipy() {
  if (const char* env = std::getenv("MDETR_BENCH_PYTHON"); env != nullptr && *env != '\0') return env;
  if (access("/tmp/venv-lap/bin/python", X_OK) == 0) return "/tmp/venv-lap/bin/python";
  return "python3";
}

std::string Quoted(const std::string& s) { return "'" + s + "'"; }  // Our own paths: no quotes inside.

struct ScipyRun {
  std::string version;
  std::map<std::pair<int64_t, int64_t>, Timing> timings;
};

// Writes every shape's matrices to a temporary folder and times scipy on them in one Python process.
Result<ScipyRun> TimeScipy(const std::vector<Matrices>& all, int rounds, double min_round) {
  std::string dir_template = (std::filesystem::temp_directory_path() / "assignment-bench-XXXXXX").string();
  if (mkdtemp(dir_template.data()) == nullptr) return UnavailableError("cannot create a temporary folder");
  const std::string dir = dir_template;
  std::string command = PythonForScipy() + " " + Quoted(MDETR_SCIPY_TIMING_SCRIPT) + " " +
                        std::to_string(rounds) + " " + std::to_string(min_round);
  for (size_t s = 0; s < all.size(); ++s) {
    const std::string path = dir + "/shape" + std::to_string(s) + ".f32";
    std::ofstream out(path, std::ios::binary);
    for (const auto& m : all[s]) out.write(reinterpret_cast<const char*>(m.data()), m.size() * sizeof(float));
    command += " " + Quoted(path) + " " + std::to_string(kShapes[s].rows) + " " +
               std::to_string(kShapes[s].cols) + " " + std::to_string(kShapes[s].count);
  }
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return UnavailableError("cannot start " + command);
  std::string output;
  char buffer[512];
  while (fgets(buffer, sizeof(buffer), pipe) != nullptr) output += buffer;
  const int status = pclose(pipe);
  std::filesystem::remove_all(dir);
  while (!output.empty() && std::isspace(static_cast<unsigned char>(output.back()))) output.pop_back();
  if (status != 0) return UnavailableError(PythonForScipy() + " with scipy: " + output);

  ScipyRun run;
  std::istringstream lines(output);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind("scipy ", 0) == 0) {
      run.version = line;
      continue;
    }
    std::istringstream fields(line);
    int64_t rows, cols;
    Timing t;
    if (fields >> rows >> cols >> t.seconds_per_solve >> t.total_cost_sum) run.timings[{rows, cols}] = t;
  }
  if (run.timings.size() != all.size())
    return InternalError("unexpected output of the scipy timing:\n" + output);
  return run;
}

int Main(int argc, char** argv) {
  int rounds = 5;
  double min_round = 0.2;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--rounds") {
      rounds = std::max(1, std::atoi(argv[i + 1]));
    } else if (flag == "--min-round-seconds") {
      min_round = std::atof(argv[i + 1]);
    } else {
      std::fprintf(stderr, "unknown flag %s; usage: %s [--rounds N] [--min-round-seconds S]\n", argv[i],
                   argv[0]);
      return 2;
    }
  }

  std::mt19937_64 rng(20261125);
  std::vector<Matrices> all;
  for (const Shape& shape : kShapes) all.push_back(RandomMatrices(rng, shape));
  const Result<ScipyRun> scipy = TimeScipy(all, rounds, min_round);

  std::printf(
      "Linear sum assignment, float32 costs uniform in [0, 1); CPU time per solve, median of %d rounds\n",
      rounds);
  if (scipy.ok()) {
    std::printf("%-9s %10s %16s %16s %10s  %s\n", "shape", "ours", "ours (reused)",
                (scipy->version + " (incl. Python call)").c_str(), "scipy/ours", "same optimum");
  } else {
    std::printf("scipy not measured: %s\n", scipy.status().message().c_str());
    std::printf("%-9s %10s %16s\n", "shape", "ours", "ours (reused)");
  }
  for (size_t s = 0; s < all.size(); ++s) {
    const Shape& shape = kShapes[s];
    const auto [one_shot, reused] = TimeOurs(shape, all[s], rounds, min_round);
    const std::string name = std::to_string(shape.rows) + "x" + std::to_string(shape.cols);
    if (!scipy.ok()) {
      std::printf("%-9s %8.1f us %13.1f us\n", name.c_str(), one_shot.seconds_per_solve * 1e6,
                  reused.seconds_per_solve * 1e6);
      continue;
    }
    const Timing& theirs = scipy->timings.at({shape.rows, shape.cols});
    const bool same =
        std::abs(theirs.total_cost_sum - one_shot.total_cost_sum) <= 1e-9 * std::abs(theirs.total_cost_sum);
    std::printf("%-9s %8.1f us %13.1f us %37.1f us %10.2f  %s\n", name.c_str(),
                one_shot.seconds_per_solve * 1e6, reused.seconds_per_solve * 1e6,
                theirs.seconds_per_solve * 1e6, theirs.seconds_per_solve / one_shot.seconds_per_solve,
                same ? "yes" : "NO");
  }
  return 0;
}

}  // namespace
}  // namespace mdetr::matching

int main(int argc, char** argv) { return mdetr::matching::Main(argc, argv); }
