#include "worker/trainer/collective.h"

#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

namespace mdetr::trainer {
namespace {

class SingleProcess final : public Collective {
 public:
  int rank() const override { return 0; }
  int world_size() const override { return 1; }
  Status AllReduceMean(std::vector<torch::Tensor>&) override { return Status::Ok(); }
  Result<std::vector<double>> AllReduceSum(const std::vector<double>& v) override { return v; }
  Status Barrier() override { return Status::Ok(); }
  Status Broadcast(std::vector<torch::Tensor>&, int) override { return Status::Ok(); }
};

class C10dGroup final : public Collective {
 public:
  C10dGroup(c10::intrusive_ptr<c10d::Backend> group, int rank, int world)
      : group_(std::move(group)), rank_(rank), world_(world) {}
  int rank() const override { return rank_; }
  int world_size() const override { return world_; }

  Status AllReduceMean(std::vector<torch::Tensor>& tensors) override {
    return Guard("all-reduce", [&] {
      group_->allreduce(tensors)->wait();
      for (auto& t : tensors) t.div_(world_);
    });
  }
  Result<std::vector<double>> AllReduceSum(const std::vector<double>& values) override {
    std::vector<torch::Tensor> t = {torch::tensor(values, torch::kFloat64)};
    if (device_cuda_) t[0] = t[0].cuda();
    MDETR_RETURN_IF_ERROR(Guard("all-reduce", [&] { group_->allreduce(t)->wait(); }));
    auto cpu = t[0].cpu();
    return std::vector<double>(cpu.data_ptr<double>(), cpu.data_ptr<double>() + cpu.numel());
  }
  Status Barrier() override {
    return Guard("barrier", [&] { group_->barrier()->wait(); });
  }
  Status Broadcast(std::vector<torch::Tensor>& tensors, int root) override {
    // One flat buffer per dtype: a c10d broadcast takes same-shaped tensors only.
    return Guard("broadcast", [&] {
      c10d::BroadcastOptions o;
      o.rootRank = root;
      std::map<c10::ScalarType, std::vector<torch::Tensor>> by_dtype;
      for (auto& t : tensors) by_dtype[t.scalar_type()].push_back(t);
      for (auto& [dtype, group] : by_dtype) {
        std::vector<torch::Tensor> flat_parts;
        for (auto& t : group) flat_parts.push_back(t.reshape(-1));
        std::vector<torch::Tensor> flat = {torch::cat(flat_parts)};
        group_->broadcast(flat, o)->wait();
        int64_t offset = 0;
        for (auto& t : group) {
          t.copy_(flat[0].narrow(0, offset, t.numel()).view_as(t));
          offset += t.numel();
        }
      }
    });
  }
  bool device_cuda_ = false;

 private:
  template <typename F>
  Status Guard(const char* what, F&& f) {
    try {
      f();
      return Status::Ok();
    } catch (const std::exception& e) {
      // A timeout or a dead peer: the task must fail (and be rescheduled), not hang.
      return UnavailableError(std::string(what) + " across " + std::to_string(world_) + " ranks failed on rank " +
                              std::to_string(rank_) + ": " + e.what());
    }
  }
  c10::intrusive_ptr<c10d::Backend> group_;
  int rank_, world_;
};

}  // namespace

std::unique_ptr<Collective> MakeSingleProcess() { return std::make_unique<SingleProcess>(); }

Result<std::unique_ptr<Collective>> Connect(const RendezvousOptions& o) {
  if (o.world_size <= 1) return MakeSingleProcess();
  if (o.rank < 0 || o.rank >= o.world_size) {
    return InvalidArgumentError("rank " + std::to_string(o.rank) + " outside world of " + std::to_string(o.world_size));
  }
  try {
    c10d::TCPStoreOptions so;
    so.port = static_cast<uint16_t>(o.master_port);
    so.isServer = o.rank == 0;
    so.numWorkers = o.world_size;
    so.waitWorkers = false;
    so.timeout = o.timeout;
    auto tcp = c10::make_intrusive<c10d::TCPStore>(o.master_addr, so);
    auto store = c10::make_intrusive<c10d::PrefixStore>("mdetr", tcp);
    if (o.backend == "nccl") {
      return UnimplementedError("the nccl backend needs a CUDA build and a GPU (use gloo on CPU)");
    }
    auto opts = c10d::ProcessGroupGloo::Options::create();
    opts->timeout = o.timeout;
    opts->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname(o.master_addr == "127.0.0.1" ? "127.0.0.1" : ""));
    auto pg = c10::make_intrusive<c10d::ProcessGroupGloo>(store, o.rank, o.world_size, opts);
    return std::unique_ptr<Collective>(std::make_unique<C10dGroup>(pg, o.rank, o.world_size));
  } catch (const std::exception& e) {
    return UnavailableError("rendezvous at " + o.master_addr + ":" + std::to_string(o.master_port) + " as rank " +
                            std::to_string(o.rank) + "/" + std::to_string(o.world_size) + " failed: " + e.what());
  }
}

Status AllReduceGradients(Collective& collective, const std::vector<torch::Tensor>& params) {
  if (collective.world_size() <= 1) return Status::Ok();
  // Every rank must contribute the same buffer: a parameter unused on this rank's batch (an
  // optional head, the pooler) takes part with a zero gradient, as DDP's find_unused_parameters.
  std::vector<torch::Tensor> grads;
  for (auto p : params) {
    if (!p.requires_grad()) continue;
    if (!p.grad().defined()) p.mutable_grad() = torch::zeros_like(p);
    grads.push_back(p.grad());
  }
  if (grads.empty()) return Status::Ok();
  std::vector<torch::Tensor> flat = {torch::cat([&] {
    std::vector<torch::Tensor> v;
    for (const auto& g : grads) v.push_back(g.reshape(-1));
    return v;
  }())};
  MDETR_RETURN_IF_ERROR(collective.AllReduceMean(flat));
  int64_t offset = 0;
  for (auto& g : grads) {
    g.copy_(flat[0].narrow(0, offset, g.numel()).view_as(g));
    offset += g.numel();
  }
  return Status::Ok();
}

}  // namespace mdetr::trainer
