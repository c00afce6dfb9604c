#include "cli/sweep_file.h"

#include <algorithm>
#include <filesystem>
#include <set>
#include <vector>

#include "common/config/document.h"
#include "common/config/experiment.h"
#include "common/config/reader.h"

namespace mdetr::cli {
namespace fs = std::filesystem;

namespace {

// A value as the trial's override receives it: scalars as written, anything else as flow YAML.
std::string ValueText(const YAML::Node& node) {
  if (node.IsScalar()) return node.Scalar();
  YAML::Emitter out;
  out << YAML::Flow << node;
  return out.c_str();
}

class SweepReader {
 public:
  SweepReader(const config::Document& doc, config::Errors* errors) : doc_(doc), errors_(errors) {}

  void Grid(const YAML::Node& grid, wire::SubmitSweep* req) {
    if (!grid.IsMap()) {
      Error(grid, "grid", "expected a mapping of key -> list of values, got " + config::DescribeNode(grid));
      return;
    }
    for (const auto& kv : grid) {
      const std::string key = kv.first.Scalar();
      const std::string path = "grid." + key;
      if (!kv.second.IsSequence() || kv.second.size() == 0) {
        Error(kv.second, path, "expected a non-empty list of values, got " + config::DescribeNode(kv.second));
        continue;
      }
      if (!Claim(kv.first, key, path)) continue;
      wire::SweepAxis axis;
      axis.key = key;
      for (const auto& v : kv.second) axis.values.push_back(ValueText(v));
      req->axes.push_back(std::move(axis));
    }
  }

  void Random(const YAML::Node& random, wire::SubmitSweep* req) {
    if (!random.IsMap()) {
      Error(random, "random", "expected a mapping with samples, seed and space, got " + config::DescribeNode(random));
      return;
    }
    for (const auto& kv : random) {
      const std::string k = kv.first.Scalar();
      if (k != "samples" && k != "seed" && k != "space") {
        Error(kv.first, "random." + k, "unknown key; expected samples, seed or space");
      }
    }
    const YAML::Node samples = random["samples"];
    int value = 0;
    if (!samples) {
      Error(random, "random.samples", "missing; expected how many trials to draw (an integer >= 1)");
    } else if (!config::ValueCodec<int>::Decode(samples, &value)) {
      Error(samples, "random.samples", "expected an integer, got " + config::DescribeNode(samples));
    } else if (value < 1) {
      Error(samples, "random.samples", "expected at least 1, got " + std::to_string(value));
    } else if (value > coordinator::kMaxSweepTrials) {
      Error(samples, "random.samples",
            "expected at most " + std::to_string(coordinator::kMaxSweepTrials) + " trials, got " + std::to_string(value));
    } else {
      req->random_samples = value;
      samples_node_ = samples;
    }
    if (const YAML::Node seed = random["seed"]) {
      int64_t s = 0;
      if (!config::ValueCodec<int64_t>::Decode(seed, &s) || s < 0) {
        Error(seed, "random.seed", "expected a non-negative integer, got " + config::DescribeNode(seed));
      } else {
        req->random_seed = static_cast<uint64_t>(s);
      }
    }
    const YAML::Node space = random["space"];
    if (!space) {
      Error(random, "random.space", "missing; expected a mapping of key -> {distribution: [arguments]}");
      return;
    }
    if (!space.IsMap() || space.size() == 0) {
      Error(space, "random.space",
            "expected a non-empty mapping of key -> {distribution: [arguments]}, got " + config::DescribeNode(space));
      return;
    }
    for (const auto& kv : space) Param(kv.first, kv.second, req);
  }

  // The sweep's size, checked where a user can fix it: the samples, or the grid.
  void CheckSize(const wire::SubmitSweep& req, const YAML::Node& grid) {
    int64_t points = 1;
    for (const auto& a : req.axes) points = std::min<int64_t>(points * static_cast<int64_t>(a.values.size()),
                                                              coordinator::kMaxSweepTrials + 1);
    const int64_t samples = req.random_samples > 0 ? req.random_samples : 1;
    if (points * samples <= coordinator::kMaxSweepTrials) return;
    const std::string total = points > coordinator::kMaxSweepTrials ? "over " + std::to_string(coordinator::kMaxSweepTrials)
                                                                     : std::to_string(points * samples);
    const std::string message = "the sweep would have " + total + " trials (" + std::to_string(points) +
                                " grid points x " + std::to_string(samples) + " samples); at most " +
                                std::to_string(coordinator::kMaxSweepTrials) + " per sweep";
    if (req.random_samples > 0 && samples_node_) Error(samples_node_, "random.samples", message);
    else Error(grid, "grid", message);
  }

 private:
  void Param(const YAML::Node& key_node, const YAML::Node& spec, wire::SubmitSweep* req) {
    const std::string key = key_node.Scalar();
    const std::string path = "random.space." + key;
    if (!spec.IsMap() || spec.size() != 1) {
      Error(spec, path,
            "expected one distribution such as {uniform: [low, high]}, {log_uniform: [low, high]}, "
            "{int_uniform: [low, high]} or {choice: [values]}, got " + config::DescribeNode(spec));
      return;
    }
    const auto entry = *spec.begin();
    wire::RandomParam p;
    p.key = key;
    p.distribution = entry.first.Scalar();
    const YAML::Node args = entry.second;
    if (p.distribution == "choice") {
      if (!args.IsSequence()) {
        Error(args, path + ".choice", "expected a list of values, got " + config::DescribeNode(args));
        return;
      }
      for (const auto& v : args) p.choices.push_back(ValueText(v));
    } else if (p.distribution == "uniform" || p.distribution == "log_uniform" || p.distribution == "int_uniform") {
      if (!args.IsSequence() || args.size() != 2 || !config::ValueCodec<double>::Decode(args[0], &p.low) ||
          !config::ValueCodec<double>::Decode(args[1], &p.high)) {
        Error(args, path + "." + p.distribution, "expected two numbers [low, high], got " + config::DescribeNode(args));
        return;
      }
    }
    if (const std::string problem = coordinator::RandomParamProblem(p); !problem.empty()) {
      Error(entry.first, path, problem);
      return;
    }
    if (!Claim(key_node, key, path)) return;
    req->random_space.push_back(std::move(p));
  }

  // Each key may be swept by one source only: a grid axis or one random dimension.
  bool Claim(const YAML::Node& key_node, const std::string& key, const std::string& path) {
    if (key.empty() || key.find_first_of("= \t") != std::string::npos || key[0] == '@') {
      Error(key_node, path, "expected a dotted key path such as optim.lr");
      return false;
    }
    if (!keys_.insert(key).second) {
      Error(key_node, path, "the key is swept twice (grid and random, or repeated); give it one source");
      return false;
    }
    return true;
  }

  void Error(const YAML::Node& node, const std::string& path, const std::string& message) {
    errors_->Add(doc_.Locate(node, path), path, message);
  }

  const config::Document& doc_;
  config::Errors* errors_;
  std::set<std::string> keys_;
  YAML::Node samples_node_;
};

}  // namespace

Result<wire::SubmitSweep> ReadSweepFile(const std::string& path) {
  MDETR_ASSIGN_OR_RETURN(auto doc, config::Document::Load(path));
  config::Errors errors;
  config::Object top(doc, &errors);
  wire::SubmitSweep req;
  std::string base, after;
  top.Required("name", &req.name);
  top.Required("base", &base);
  top.Optional("set", &req.overrides);
  top.Optional("max_concurrent", &req.max_concurrent);
  top.Optional("priority", &req.priority);
  top.Optional("after", &after);
  const auto grid = top.Raw("grid");
  const auto random = top.Raw("random");
  top.Finish();
  top.Check(req.max_concurrent >= 0, "max_concurrent", "expected 0 (no limit) or more");
  SweepReader reader(doc, &errors);
  if (!grid && !random) {
    errors.Add(doc.Locate(doc.root(), "grid"), "grid",
               "a sweep needs a grid (key -> list of values), a random search space, or both");
  }
  if (grid) reader.Grid(*grid, &req);
  if (random) reader.Random(*random, &req);
  if (errors.empty()) reader.CheckSize(req, grid ? *grid : doc.root());
  MDETR_RETURN_IF_ERROR(errors.ToStatus());

  MDETR_ASSIGN_OR_RETURN(auto base_doc, config::Document::Load((fs::path(path).parent_path() / base).string()));
  req.config_yaml = base_doc.ToYaml();
  if (!after.empty()) req.overrides.push_back("@after=" + after);
  req.search = random ? (req.axes.empty() ? "random" : "grid+random") : "grid";
  return req;
}

Status CheckTrialConfigs(const wire::SubmitSweep& req, const coordinator::SweepPlan& plan) {
  std::vector<std::string> common;
  bool after = false;
  for (const auto& o : req.overrides) {
    if (o.rfind("@after=", 0) == 0) after = true;
    else common.push_back(o);
  }
  for (const auto& trial : plan.trials) {
    auto overrides = common;
    for (auto& o : trial.Overrides()) overrides.push_back(std::move(o));
    // A trial that waits for another job starts from its checkpoints; the path is known later.
    if (after) overrides.push_back("model.init_checkpoint=<output of the job it waits for>");
    auto doc = config::Document::Parse(req.config_yaml, req.name + " (base config)");
    Status s = doc.ok() ? doc->ApplyOverrides(overrides) : doc.status();
    if (s.ok()) s = config::ParseExperiment(*doc).status();
    if (!s.ok()) return s.WithContext("trial " + trial.id + " (" + trial.Label() + ")");
  }
  return Status::Ok();
}

}  // namespace mdetr::cli
