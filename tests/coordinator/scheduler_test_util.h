// Helpers for driving a Scheduler in tests: build specs, send events, pick actions by type.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "coordinator/scheduler/scheduler.h"

namespace mdetr::scheduler::testing {

inline TaskSpec Gang(const std::string& id, int ranks, int gpus_per_rank, int priority = 0) {
  TaskSpec spec;
  spec.id = id;
  spec.ranks = ranks;
  spec.gpus_per_rank = gpus_per_rank;
  spec.priority = priority;
  return spec;
}

template <typename T>
std::vector<T> Only(const std::vector<Action>& actions) {
  std::vector<T> out;
  for (const Action& a : actions) {
    if (const auto* t = std::get_if<T>(&a)) out.push_back(*t);
  }
  return out;
}

inline std::string Describe(const std::vector<Action>& actions) {
  std::string out;
  for (const Action& a : actions) out += ToString(a) + "\n";
  return out.empty() ? "(no actions)" : out;
}

// GPUs taken per worker by one placement.
inline std::map<std::string, int> GpusPerWorker(const PlaceTask& place) {
  std::map<std::string, int> out;
  for (const RankPlacement& r : place.ranks) out[r.worker] += static_cast<int>(r.gpus.size());
  return out;
}

class SchedulerHarness {
 public:
  explicit SchedulerHarness(SchedulerConfig config = {}) : scheduler(config) {}

  std::vector<Action> Send(const Event& event) {
    std::vector<Action> actions;
    Status status = scheduler.Handle(event, &actions);
    EXPECT_TRUE(status.ok()) << status;
    return actions;
  }
  void AddWorker(const std::string& id, int gpus, Labels labels = {}, int cpu_slots = 0) {
    Send(WorkerJoined{WorkerSpec{id, gpus, cpu_slots, std::move(labels), 1}});
  }
  std::vector<Action> Submit(const TaskSpec& spec) { return Send(SubmitTask{spec}); }
  // Submits and expects an immediate placement, which it returns.
  PlaceTask SubmitPlaced(const TaskSpec& spec) {
    std::vector<Action> actions = Submit(spec);
    std::vector<PlaceTask> placed = Only<PlaceTask>(actions);
    EXPECT_EQ(placed.size(), 1u) << spec.id << ": " << Describe(actions);
    return placed.empty() ? PlaceTask{} : placed[0];
  }
  std::vector<Action> Finish(const PlaceTask& place, Outcome outcome = Outcome::kSucceeded,
                             const std::string& failed_worker = "") {
    return Send(TaskFinished{place.task, place.attempt, outcome, failed_worker});
  }
  TaskState StateOf(const std::string& id) const {
    const TaskRecord* t = scheduler.FindTask(id);
    EXPECT_NE(t, nullptr) << id;
    return t == nullptr ? TaskState::kRejected : t->state;
  }

  Scheduler scheduler;
};

}  // namespace mdetr::scheduler::testing
