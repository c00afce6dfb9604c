#include "cli/eval_columns.h"

#include <algorithm>
#include <iomanip>
#include <map>
#include <sstream>

namespace mdetr::cli {

int HeadlineRank(const std::string& name) {
  static const std::vector<std::string> kHeadline = {"R@1", "precision@1", "accuracy", "mean_iou", "R@5", "R@10"};
  if (name.rfind("eval/", 0) != 0) return -1;
  const auto it = std::find(kHeadline.begin(), kHeadline.end(), name.substr(name.rfind('/') + 1));
  return it == kHeadline.end() ? -1 : static_cast<int>(it - kHeadline.begin());
}

bool HeadlineOrder::operator()(const std::string& a, const std::string& b) const {
  const auto set_a = a.substr(0, a.rfind('/')), set_b = b.substr(0, b.rfind('/'));
  if (set_a != set_b) return set_a < set_b;
  return HeadlineRank(a) < HeadlineRank(b);
}

std::string FormatFigure(double v) {
  std::ostringstream os;
  os << std::setprecision(4) << v;
  return os.str();
}

std::string EvalCell(const std::vector<std::pair<std::string, double>>& metrics) {
  std::map<std::string, double, HeadlineOrder> headline;
  for (const auto& [name, value] : metrics) {
    if (IsHeadlineEvalMetric(name) && HeadlineRank(name) < 4) headline[name] = value;
  }
  std::string cell;
  for (const auto& [name, value] : headline) {
    cell += (cell.empty() ? "" : " ") + name.substr(5) + "=" + FormatFigure(value);
  }
  return cell.empty() ? "-" : cell;
}

}  // namespace mdetr::cli
