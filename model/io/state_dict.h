// A flat, ordered map from parameter name to tensor view: what a model loads.
#pragma once

#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/status.h"
#include "model/io/tensor_view.h"

namespace mdetr::io {

class StateDict {
 public:
  // Fails on a duplicate name.
  Status Add(std::string name, TensorView tensor);

  const TensorView* Find(const std::string& name) const;
  bool contains(const std::string& name) const { return Find(name) != nullptr; }
  size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }
  const std::vector<std::pair<std::string, TensorView>>& entries() const { return entries_; }
  auto begin() const { return entries_.begin(); }
  auto end() const { return entries_.end(); }

  // Sum of every tensor's nbytes (shared storages counted once per tensor).
  size_t TotalBytes() const;

 private:
  std::vector<std::pair<std::string, TensorView>> entries_;
  std::unordered_map<std::string, size_t> index_;
};

}  // namespace mdetr::io
