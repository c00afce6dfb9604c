#include "model/io/state_dict.h"

namespace mdetr::io {

Status StateDict::Add(std::string name, TensorView tensor) {
  if (!index_.emplace(name, entries_.size()).second) {
    return InvalidArgumentError("duplicate tensor name '" + name + "'");
  }
  entries_.emplace_back(std::move(name), std::move(tensor));
  return Status::Ok();
}

const TensorView* StateDict::Find(const std::string& name) const {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : &entries_[it->second].second;
}

size_t StateDict::TotalBytes() const {
  size_t total = 0;
  for (const auto& entry : entries_) total += entry.second.nbytes();
  return total;
}

}  // namespace mdetr::io
