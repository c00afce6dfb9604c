// Gradient averaging over ranks that overlaps communication with the backward pass, as PyTorch's
// DDP does: parameters are grouped into buckets of about `bucket_bytes`, and a bucket's all-reduce
// starts as soon as the last of its gradients has been accumulated, while backward goes on with
// earlier layers. The first step uses reverse registration order (roughly the order backward
// produces gradients); after it, buckets are rebuilt in the order gradients really arrived on
// rank 0, with parameters that got none at the end, so an unused head no longer holds back the
// buckets behind it.
//
// Buckets start strictly in index order on every rank (a ready bucket waits for the ones before
// it), so all ranks issue the same collectives in the same sequence whatever order autograd
// runs hooks in. A parameter that received no gradient in a step (an unused head) takes part
// with zeros, like DDP's find_unused_parameters.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <mutex>
#include <vector>

#include "common/status.h"
#include "worker/trainer/collective.h"

namespace mdetr::trainer {

class GradientBuckets {
 public:
  // `params` are the model's parameters in registration order; those without requires_grad are
  // left out. 25 MB is DDP's default bucket size.
  GradientBuckets(Collective& collective, std::vector<torch::Tensor> params, int64_t bucket_bytes = 25 << 20);
  ~GradientBuckets();
  GradientBuckets(const GradientBuckets&) = delete;
  GradientBuckets& operator=(const GradientBuckets&) = delete;

  // Call before each backward. With `sync` false (a micro-batch of gradient accumulation that is
  // not the last) gradients only accumulate locally.
  void BeginBackward(bool sync);
  // Call after a synchronising backward: starts what did not start during backward, waits for
  // every bucket and leaves the mean over ranks in each parameter's .grad.
  Status FinishBackward();

  size_t bucket_count() const { return buckets_.size(); }
  // How many buckets started before FinishBackward in the last step (overlap achieved).
  int started_during_backward() const { return started_early_; }

 private:
  // Groups parameters, in `order`, into buckets of one dtype and device each.
  void AssignBuckets(const std::vector<size_t>& order);
  // After the first synchronised step: every rank rebuilds its buckets from rank 0's arrival order.
  Status RebuildFromArrivalOrder();

  struct Bucket {
    std::vector<size_t> params;  // indices into params_
    int64_t numel = 0;
    int pending = 0;             // gradients still to come in this step
    torch::Tensor flat;
    Collective::Waiter waiter;
    bool started = false;
  };
  // Called by autograd after a parameter's gradient was accumulated.
  void OnGradReady(size_t param);
  // Starts every bucket from next_to_start_ on that is ready (all if `force`). mu_ held.
  void StartReadyBuckets(bool force);

  Collective& collective_;
  int64_t bucket_bytes_;
  bool rebuilt_ = false;
  std::vector<size_t> arrival_order_;  // of the first synchronised step
  std::vector<torch::Tensor> params_;
  std::vector<size_t> bucket_of_;  // parameter -> bucket
  std::vector<Bucket> buckets_;
  std::mutex mu_;  // autograd may run hooks on its device threads
  bool syncing_ = false;
  size_t next_to_start_ = 0;
  int started_early_ = 0;
};

}  // namespace mdetr::trainer
