#include "tests/eval/golden_text.h"

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "tests/support/test_paths.h"

namespace mdetr::eval::golden {

std::vector<double> Row::Nums(size_t from) const {
  std::vector<double> out;
  for (size_t i = from; i < fields.size(); ++i) out.push_back(std::stod(fields[i]));
  return out;
}

std::vector<Row> Load(const std::string& name) {
  const std::string path = testing::SourceDir() + "/tests/data/eval/" + name;
  std::ifstream in(path);
  if (!in) {
    ADD_FAILURE() << "cannot open " << path << " (run tools/parity/eval/make_goldens.py)";
    return {};
  }
  std::vector<Row> rows;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream s(line);
    Row r;
    std::string field;
    while (s >> field) r.fields.push_back(field);
    if (!r.fields.empty()) rows.push_back(std::move(r));
  }
  return rows;
}

std::vector<const Row*> Select(const std::vector<Row>& rows, const std::vector<std::string>& prefix) {
  std::vector<const Row*> out;
  for (const Row& r : rows) {
    if (r.fields.size() < prefix.size()) continue;
    bool match = true;
    for (size_t i = 0; i < prefix.size() && match; ++i) match = r.fields[i] == prefix[i];
    if (match) out.push_back(&r);
  }
  return out;
}

}  // namespace mdetr::eval::golden
