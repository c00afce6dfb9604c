// Which evaluation figures the CLI tables show, and in what order.
//
// The trainer reports the first data.val entry as "eval/<metric>" and entry i > 0 as
// "eval/<ann_file stem>/<metric>" (a RefExp file's other groups as "eval/[<stem>/]<group>/<metric>").
// The tables show each validation set's headline figures: recall, precision, accuracy or mean IoU.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace mdetr::cli {

// Position of `name` among the headline figures (R@1, precision@1, accuracy, mean_iou, R@5, R@10),
// or -1 for any other metric.
int HeadlineRank(const std::string& name);
inline bool IsHeadlineEvalMetric(const std::string& name) { return HeadlineRank(name) >= 0; }

// Set by set (the first data.val entry's first), then in headline order within a set.
struct HeadlineOrder {
  bool operator()(const std::string& a, const std::string& b) const;
};

// The EVAL cell of `mdetr status`: every validation set's first four headline figures, as
// "R@1=0.52 refs_testA/precision@1=0.61", or "-" when there are none.
std::string EvalCell(const std::vector<std::pair<std::string, double>>& metrics);

// A figure as the tables print it (4 significant digits).
std::string FormatFigure(double v);

}  // namespace mdetr::cli
