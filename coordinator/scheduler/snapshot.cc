// Snapshot and restore: the scheduler's plain records out, and back in with every invariant the
// scheduler relies on checked first, so that a damaged store cannot double-book a GPU.
#include <algorithm>

#include <fmt/format.h>

#include "coordinator/scheduler/placement.h"
#include "coordinator/scheduler/scheduler.h"
#include "coordinator/scheduler/scheduler_pool.h"

namespace mdetr::scheduler {
namespace {

uint64_t GpuMaskOf(int gpus) { return gpus >= 64 ? ~uint64_t{0} : (uint64_t{1} << gpus) - 1; }

}  // namespace

SchedulerSnapshot Scheduler::Snapshot() const { return {workers_, tasks_, next_queue_seq_, next_attempt_}; }

Result<std::unique_ptr<Scheduler>> Scheduler::Restore(SchedulerConfig config, SchedulerSnapshot snapshot) {
  auto scheduler = std::make_unique<Scheduler>(config);
  scheduler->workers_ = std::move(snapshot.workers);
  scheduler->tasks_ = std::move(snapshot.tasks);
  scheduler->next_queue_seq_ = snapshot.next_queue_seq;
  scheduler->next_attempt_ = snapshot.next_attempt;
  Status status = scheduler->Rebuild();
  if (!status.ok()) return status.WithContext("scheduler snapshot");
  return scheduler;
}

Status Scheduler::Rebuild() {
  const int worker_count = static_cast<int>(workers_.size());
  // What the running attempts hold, per worker, to compare with the free counts.
  std::vector<uint64_t> held_gpus(workers_.size(), 0);
  std::vector<int> held_cpus(workers_.size(), 0);
  for (int w = 0; w < worker_count; ++w) {
    const WorkerRecord& worker = workers_[w];
    if (worker.spec.id.empty() || !worker_index_.emplace(worker.spec.id, w).second) {
      return DataLossError(fmt::format("worker {}: id '{}' is empty or repeated", w, worker.spec.id));
    }
    if (worker.spec.gpus < 0 || worker.spec.gpus > kMaxGpusPerWorker ||
        (worker.free_gpu_mask & ~GpuMaskOf(worker.spec.gpus)) != 0 ||
        __builtin_popcountll(worker.free_gpu_mask) != worker.free_gpus || worker.free_cpus < 0 ||
        worker.free_cpus > worker.spec.cpu_slots) {
      return DataLossError(
          fmt::format("worker {}: free GPUs or CPU slots do not match its capacity", worker.spec.id));
    }
  }
  for (int t = 0; t < static_cast<int>(tasks_.size()); ++t) {
    const TaskRecord& task = tasks_[t];
    const std::string& id = task.spec.id;
    if (!task_index_.emplace(id, t).second) return DataLossError(fmt::format("task '{}' is repeated", id));
    if (task.spec.ranks < 1 || task.spec.units_per_rank() < 1 || task.queue_seq >= next_queue_seq_ ||
        task.attempt >= next_attempt_) {
      return DataLossError(fmt::format("task {}: spec, queue position or attempt out of range", id));
    }
    const bool running = task.state == TaskState::kRunning;
    if (running != !task.ranks.empty() ||
        (running && static_cast<int>(task.ranks.size()) != task.spec.ranks)) {
      return DataLossError(fmt::format("task {}: {} with {} placed ranks, the gang has {}", id,
                                       TaskStateName(task.state), task.ranks.size(), task.spec.ranks));
    }
    for (const RankSlot& r : task.ranks) {
      if (r.worker < 0 || r.worker >= worker_count) {
        return DataLossError(
            fmt::format("task {}: rank on worker index {} of {}", id, r.worker, worker_count));
      }
      const WorkerRecord& worker = workers_[r.worker];
      if ((r.gpu_mask & (held_gpus[r.worker] | worker.free_gpu_mask)) != 0) {
        return DataLossError(fmt::format("task {}: a GPU of worker {} is held twice", id, worker.spec.id));
      }
      held_gpus[r.worker] |= r.gpu_mask;
      held_cpus[r.worker] += r.cpu_slots;
      if (std::find(worker.tasks.begin(), worker.tasks.end(), t) == worker.tasks.end()) {
        return DataLossError(fmt::format("task {}: worker {} does not list it", id, worker.spec.id));
      }
    }
    for (const auto& [node, units] : task.reservation) {
      if (node < 0 || node >= worker_count || units < 1) {
        return DataLossError(
            fmt::format("task {}: reservation on worker index {} of {}", id, node, worker_count));
      }
    }
    task_options_.push_back(UnitsPerNodeOptions(task.spec.ranks, task.spec.units_per_rank()));
    task_selectors_.push_back(FormatLabels(task.spec.required_labels));
    task_class_.push_back(ClassOf(task.spec, task_selectors_.back()));
    if (task.state == TaskState::kPending) Enqueue(t);
  }
  for (int w = 0; w < worker_count; ++w) {
    const WorkerRecord& worker = workers_[w];
    if ((held_gpus[w] | worker.free_gpu_mask) != GpuMaskOf(worker.spec.gpus) ||
        held_cpus[w] + worker.free_cpus != worker.spec.cpu_slots) {
      return DataLossError(
          fmt::format("worker {}: held and free units do not add up to its capacity", worker.spec.id));
    }
    for (int t : worker.tasks) {
      if (t < 0 || t >= static_cast<int>(tasks_.size()) || tasks_[t].state != TaskState::kRunning) {
        return DataLossError(
            fmt::format("worker {}: lists task index {} which does not run", worker.spec.id, t));
      }
    }
  }
  MarkShapeChanged();
  return Status::Ok();
}

}  // namespace mdetr::scheduler
