// Line charts as PNG (loss and evaluation curves for `mdetr metrics --plot`).
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"

namespace mdetr::cli {

struct Series {
  std::string name;
  std::vector<std::pair<double, double>> points;  // (step, value)
};

// One panel per chart title, each with its series; written as a PNG.
Status PlotPng(const std::string& path, const std::vector<std::pair<std::string, std::vector<Series>>>& charts);

}  // namespace mdetr::cli
