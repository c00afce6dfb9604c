// Plain-text tables for the CLI (columns padded to their widest cell).
#pragma once

#include <iostream>
#include <string>
#include <vector>

namespace mdetr::cli {

class Table {
 public:
  explicit Table(std::vector<std::string> header) : rows_{std::move(header)} {}
  void Add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  void Print(std::ostream& os = std::cout) const {
    std::vector<size_t> width;
    for (const auto& r : rows_) {
      for (size_t i = 0; i < r.size(); ++i) {
        if (width.size() <= i) width.push_back(0);
        width[i] = std::max(width[i], r[i].size());
      }
    }
    for (size_t ri = 0; ri < rows_.size(); ++ri) {
      for (size_t i = 0; i < rows_[ri].size(); ++i) {
        os << rows_[ri][i];
        if (i + 1 < rows_[ri].size()) os << std::string(width[i] - rows_[ri][i].size() + 2, ' ');
      }
      os << "\n";
    }
  }

 private:
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace mdetr::cli
