// Small helpers shared by the tests that run task kinds through `mdetr train`: events and JSON
// files, data overrides, and a two-rank Gloo run.
#pragma once

#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/support/child_process.h"
#include "tests/support/test_paths.h"

namespace mdetr::testing {

using nlohmann::json;

// The events of one type in <out_dir>/events.jsonl, in order.
inline std::vector<json> Events(const std::string& out_dir, const std::string& type) {
  std::istringstream lines(ReadFile(out_dir + "/events.jsonl"));
  std::string line;
  std::vector<json> out;
  while (std::getline(lines, line)) {
    auto ev = json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (ev.is_object() && ev.value("type", "") == type) out.push_back(ev);
  }
  return out;
}

inline json ReadJson(const std::string& path) {
  std::ifstream in(path);
  return json::parse(in);
}

inline void WriteJson(const std::string& path, const json& j) { std::ofstream(path) << j.dump(); }

// data.train and data.val of one dataset entry each.
inline std::vector<std::string> DataOverrides(const std::string& train, const std::string& val,
                                              const std::string& images, const std::string& name) {
  return {"data.train=[{name: " + name + ", ann_file: " + train + ", images: " + images + "}]",
          "data.val=[{name: " + name + ", ann_file: " + val + ", images: " + images + "}]"};
}

inline std::vector<std::string> Plus(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// Runs `cmd` as the two ranks of one Gloo task on a free port (logs: <log_prefix>-rank<r>.log) and
// expects both to succeed.
inline void RunTwoRanks(const std::vector<std::string>& cmd, const std::string& log_prefix) {
  const int port = FreeLocalPort();
  std::vector<std::unique_ptr<ChildProcess>> procs;
  for (int r = 0; r < 2; ++r) {
    auto rank_cmd = cmd;
    rank_cmd.insert(rank_cmd.end(), {"--rank", std::to_string(r), "--world-size", "2", "--master-port",
                                     std::to_string(port)});
    procs.push_back(
        std::make_unique<ChildProcess>(rank_cmd, log_prefix + "-rank" + std::to_string(r) + ".log"));
  }
  for (int r = 0; r < 2; ++r) {
    ASSERT_EQ(procs[static_cast<size_t>(r)]->Wait(), 0)
        << ReadFile(log_prefix + "-rank" + std::to_string(r) + ".log");
  }
}

}  // namespace mdetr::testing
