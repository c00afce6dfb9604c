// Collects the problems found in one input file so they are all reported at once, each as
// "<file>: <record path>: <what was expected>".
#pragma once

#include <string>
#include <vector>

#include "common/status.h"

namespace mdetr::annotations {

class ErrorList {
 public:
  ErrorList(std::string source, int max_reported) : source_(std::move(source)), max_reported_(max_reported) {}

  void Add(const std::string& where, const std::string& what) {
    if (static_cast<int>(messages_.size()) < max_reported_) messages_.push_back(where + ": " + what);
    ++count_;
  }
  bool empty() const { return count_ == 0; }
  size_t count() const { return count_; }

  // OK when nothing was added; otherwise InvalidArgument listing the reported problems.
  Status ToStatus() const {
    if (count_ == 0) return Status::Ok();
    std::string message = source_ + ": " + std::to_string(count_) + " malformed record(s)";
    for (const std::string& m : messages_) message += "\n  " + source_ + ": " + m;
    if (count_ > messages_.size())
      message += "\n  ... and " + std::to_string(count_ - messages_.size()) + " more";
    return InvalidArgumentError(message);
  }

 private:
  std::string source_;
  int max_reported_;
  size_t count_ = 0;
  std::vector<std::string> messages_;
};

}  // namespace mdetr::annotations
