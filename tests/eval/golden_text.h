// Reads the evaluator goldens written by tools/parity/eval/make_goldens.py: one record per line,
// "<key> <values...>", '#' lines are comments.
#pragma once

#include <string>
#include <vector>

namespace mdetr::eval::golden {

struct Row {
  std::vector<std::string> fields;  // fields[0] is the key
  const std::string& key() const { return fields[0]; }
  double Num(size_t i) const { return std::stod(fields.at(i)); }
  long long Int(size_t i) const { return std::stoll(fields.at(i)); }
  std::vector<double> Nums(size_t from) const;
};

// Rows of tests/data/eval/<name>; fails the calling test (ADD_FAILURE) when the file is missing.
std::vector<Row> Load(const std::string& name);

// The rows whose first fields equal `prefix` (key first).
std::vector<const Row*> Select(const std::vector<Row>& rows, const std::vector<std::string>& prefix);

}  // namespace mdetr::eval::golden
