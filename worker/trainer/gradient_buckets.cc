#include "worker/trainer/gradient_buckets.h"

#include <torch/csrc/autograd/function_hook.h>
#include <torch/csrc/autograd/variable.h>

namespace mdetr::trainer {
namespace {

class ReadyHook final : public torch::autograd::PostAccumulateGradHook {
 public:
  ReadyHook(std::function<void()> on_ready) : on_ready_(std::move(on_ready)) {}
  void operator()(const torch::autograd::Variable&) override { on_ready_(); }

 private:
  std::function<void()> on_ready_;
};

}  // namespace

GradientBuckets::GradientBuckets(Collective& collective, std::vector<torch::Tensor> params, int64_t bucket_bytes)
    : collective_(collective), bucket_bytes_(bucket_bytes) {
  for (auto& p : params) {
    if (p.requires_grad()) params_.push_back(p);
  }
  std::vector<size_t> order;
  for (size_t k = params_.size(); k-- > 0;) order.push_back(k);
  AssignBuckets(order);
  if (collective_.world_size() <= 1) return;  // nothing to communicate: no hooks
  for (size_t k = 0; k < params_.size(); ++k) {
    torch::autograd::impl::set_post_acc_grad_hooks(params_[k],
                                                    std::make_unique<ReadyHook>([this, k] { OnGradReady(k); }));
  }
}

GradientBuckets::~GradientBuckets() {
  if (collective_.world_size() <= 1) return;
  for (auto& p : params_) torch::autograd::impl::set_post_acc_grad_hooks(p, nullptr);
}

void GradientBuckets::AssignBuckets(const std::vector<size_t>& order) {
  buckets_.clear();
  bucket_of_.assign(params_.size(), 0);
  for (size_t k : order) {
    const auto& p = params_[k];
    const int64_t item = static_cast<int64_t>(p.element_size());
    bool fresh = buckets_.empty();
    if (!fresh) {
      const Bucket& last = buckets_.back();
      const auto& first = params_[last.params.front()];
      fresh = (last.numel + p.numel()) * item > bucket_bytes_ || first.scalar_type() != p.scalar_type() ||
              first.device() != p.device();
    }
    if (fresh) buckets_.emplace_back();
    buckets_.back().params.push_back(k);
    buckets_.back().numel += p.numel();
    bucket_of_[k] = buckets_.size() - 1;
  }
}

Status GradientBuckets::RebuildFromArrivalOrder() {
  rebuilt_ = true;
  std::vector<char> seen(params_.size(), 0);
  std::vector<int64_t> order;
  for (size_t k : arrival_order_) {
    if (!seen[k]) order.push_back(static_cast<int64_t>(k));
    seen[k] = 1;
  }
  for (size_t k = params_.size(); k-- > 0;) {
    if (!seen[k]) order.push_back(static_cast<int64_t>(k));
  }
  arrival_order_.clear();
  // Ranks may differ (a head unused on one rank's batch only); bucket layouts must not.
  std::vector<torch::Tensor> shared = {torch::tensor(order, torch::kInt64)};
  if (params_.front().is_cuda()) shared[0] = shared[0].to(params_.front().device());
  MDETR_RETURN_IF_ERROR(collective_.Broadcast(shared, 0));
  const auto agreed = shared[0].cpu();
  const int64_t* data = agreed.data_ptr<int64_t>();
  AssignBuckets(std::vector<size_t>(data, data + agreed.numel()));
  return Status::Ok();
}

void GradientBuckets::BeginBackward(bool sync) {
  std::lock_guard<std::mutex> lock(mu_);
  syncing_ = sync && collective_.world_size() > 1;
  next_to_start_ = 0;
  started_early_ = 0;
  for (auto& b : buckets_) {
    b.pending = static_cast<int>(b.params.size());
    b.started = false;
    b.waiter = nullptr;
  }
}

void GradientBuckets::OnGradReady(size_t param) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!syncing_) return;
  if (!rebuilt_) arrival_order_.push_back(param);
  Bucket& b = buckets_[bucket_of_[param]];
  if (--b.pending > 0 || b.started) return;
  const size_t before = next_to_start_;
  StartReadyBuckets(false);
  started_early_ += static_cast<int>(next_to_start_ - before);
}

void GradientBuckets::StartReadyBuckets(bool force) {
  while (next_to_start_ < buckets_.size()) {
    Bucket& b = buckets_[next_to_start_];
    if (!force && b.pending > 0) return;
    std::vector<torch::Tensor> parts;
    parts.reserve(b.params.size());
    for (size_t k : b.params) {
      torch::Tensor& p = params_[k];
      if (!p.grad().defined()) p.mutable_grad() = torch::zeros_like(p);
      parts.push_back(p.grad().reshape(-1));
    }
    b.flat = torch::cat(parts);
    b.waiter = collective_.StartAllReduceSum(b.flat);
    b.started = true;
    ++next_to_start_;
  }
}

Status GradientBuckets::FinishBackward() {
  if (collective_.world_size() <= 1) return Status::Ok();
  std::lock_guard<std::mutex> lock(mu_);
  if (!syncing_) return Status::Ok();
  StartReadyBuckets(true);
  Status first_error;
  const double world = collective_.world_size();
  for (auto& b : buckets_) {
    Status s = b.waiter ? b.waiter() : InternalError("gradient bucket was never started");
    if (!s.ok()) {
      if (first_error.ok()) first_error = s;
      continue;
    }
    b.flat.div_(world);
    int64_t offset = 0;
    for (size_t k : b.params) {
      torch::Tensor g = params_[k].mutable_grad();
      g.copy_(b.flat.narrow(0, offset, g.numel()).view_as(g));
      offset += g.numel();
    }
    b.flat = torch::Tensor();
    b.waiter = nullptr;
  }
  syncing_ = false;
  if (first_error.ok() && !rebuilt_) return RebuildFromArrivalOrder();
  return first_error;
}

}  // namespace mdetr::trainer
