// Collective communication for data-parallel training: Gloo on CPU, NCCL on GPUs (through
// LibTorch's c10d process groups), or nothing for a single process. Every operation has a
// deadline (the watchdog): a rank that stops making progress fails the task with a clear
// reason instead of hanging for c10d's default 30 minutes.
#pragma once

#include <torch/torch.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"

namespace mdetr::trainer {

struct RendezvousOptions {
  int rank = 0;
  int world_size = 1;
  std::string master_addr = "127.0.0.1";
  int master_port = 29500;
  std::string backend = "gloo";  // gloo | nccl (NCCL needs a CUDA build; uses CUDA device 0 of the rank)
  std::chrono::milliseconds timeout{60000};
};

class Collective {
 public:
  virtual ~Collective() = default;
  virtual int rank() const = 0;
  virtual int world_size() const = 0;
  // In place: every tensor becomes the mean over ranks.
  virtual Status AllReduceMean(std::vector<torch::Tensor>& tensors) = 0;
  // Sum of `values` over ranks, element-wise.
  virtual Result<std::vector<double>> AllReduceSum(const std::vector<double>& values) = 0;
  virtual Status Barrier() = 0;
  virtual Status Broadcast(std::vector<torch::Tensor>& tensors, int root) = 0;
  // Starts summing `flat` over ranks in place and returns at once; the returned function waits for
  // the result (within the watchdog deadline). Every rank must start the same reductions in the
  // same order. Errors in starting are reported by the waiter.
  using Waiter = std::function<Status()>;
  virtual Waiter StartAllReduceSum(torch::Tensor flat) = 0;
};

// World size 1: every operation is the identity.
std::unique_ptr<Collective> MakeSingleProcess();
// Connects to the other ranks (rank 0 hosts the TCP store at master_addr:master_port).
Result<std::unique_ptr<Collective>> Connect(const RendezvousOptions& options);

}  // namespace mdetr::trainer
