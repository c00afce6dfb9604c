// The released models' state-dict key lists (../shared/reference/mdetr-keys/*.tsv), for tests that
// check our modules register exactly the reference's names and shapes.
#pragma once

#include <cstdint>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace mdetr::testing {

// name -> dims from a key list TSV (columns: name, "[a, b]", dtype; other lines are skipped).
inline std::map<std::string, std::vector<int64_t>> ReadKeyList(const std::string& path) {
  std::map<std::string, std::vector<int64_t>> keys;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream cols(line);
    std::string name, shape;
    if (!std::getline(cols, name, '\t') || !std::getline(cols, shape, '\t')) continue;
    if (shape.empty() || shape[0] != '[') continue;
    std::vector<int64_t> dims;
    std::istringstream ds(shape.substr(1, shape.size() - 2));
    for (std::string d; std::getline(ds, d, ',');) {
      if (!d.empty()) dims.push_back(std::stoll(d));
    }
    keys[name] = dims;
  }
  return keys;
}

}  // namespace mdetr::testing
