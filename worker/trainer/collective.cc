#include "worker/trainer/collective.h"

#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include <cstdlib>
#include <map>

#if MDETR_HAS_CUDA && defined(USE_C10D_NCCL)
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#define MDETR_HAS_NCCL 1
#else
#define MDETR_HAS_NCCL 0
#endif

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
  Waiter StartAllReduceSum(torch::Tensor) override {
    return [] { return Status::Ok(); };
  }
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
  Waiter StartAllReduceSum(torch::Tensor flat) override {
    std::vector<torch::Tensor> tensors = {std::move(flat)};
    c10::intrusive_ptr<c10d::Work> work;
    Status started = Guard("all-reduce", [&] { work = group_->allreduce(tensors); });
    if (!started.ok()) return [started] { return started; };
    return [this, work] { return Guard("all-reduce", [&] { work->wait(); }); };
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
#if MDETR_HAS_NCCL
      if (!torch::cuda::is_available()) {
        return FailedPreconditionError("the nccl backend needs a visible GPU (use gloo on CPU)");
      }
      // A blocking wait turns a hung or failed collective into an exception after the timeout,
      // which fails the task with a reason; without it NCCL's watchdog aborts the process.
      setenv("TORCH_NCCL_BLOCKING_WAIT", "1", /*overwrite=*/0);
      auto opts = c10d::ProcessGroupNCCL::Options::create();
      opts->timeout = o.timeout;
      auto pg = c10::make_intrusive<c10d::ProcessGroupNCCL>(store, o.rank, o.world_size, opts);
      auto group = std::make_unique<C10dGroup>(pg, o.rank, o.world_size);
      group->device_cuda_ = true;
      return std::unique_ptr<Collective>(std::move(group));
#else
      return UnimplementedError("the nccl backend needs a CUDA build of mdetr (configure with MDETR_CUDA=ON)");
#endif
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

}  // namespace mdetr::trainer
