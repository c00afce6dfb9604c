#include "coordinator/daemon/snapshot_json.h"

namespace mdetr::coordinator {
namespace s = scheduler;

namespace {

nlohmann::json SpecJson(const s::TaskSpec& t) {
  return {{"id", t.id}, {"priority", t.priority}, {"ranks", t.ranks}, {"gpus_per_rank", t.gpus_per_rank},
          {"cpus_per_rank", t.cpus_per_rank}, {"labels", t.required_labels},
          {"retries", {t.retries.preempted, t.retries.infrastructure, t.retries.user_error}}};
}

s::TaskSpec SpecFrom(const nlohmann::json& j) {
  s::TaskSpec t;
  t.id = j.at("id").get<std::string>();
  t.priority = j.at("priority").get<int>();
  t.ranks = j.at("ranks").get<int>();
  t.gpus_per_rank = j.at("gpus_per_rank").get<int>();
  t.cpus_per_rank = j.at("cpus_per_rank").get<int>();
  t.required_labels = j.at("labels").get<s::Labels>();
  const auto& r = j.at("retries");
  t.retries = {r.at(0).get<int>(), r.at(1).get<int>(), r.at(2).get<int>()};
  return t;
}

}  // namespace

nlohmann::json SnapshotToJson(const s::SchedulerSnapshot& snap) {
  nlohmann::json workers = nlohmann::json::array(), tasks = nlohmann::json::array();
  for (const auto& w : snap.workers) {
    workers.push_back({{"id", w.spec.id}, {"gpus", w.spec.gpus}, {"cpu_slots", w.spec.cpu_slots},
                       {"labels", w.spec.labels}, {"incarnation", w.spec.incarnation},
                       {"state", static_cast<int>(w.state)}, {"free_gpu_mask", w.free_gpu_mask},
                       {"free_gpus", w.free_gpus}, {"free_cpus", w.free_cpus},
                       {"consecutive_failures", w.consecutive_failures}, {"tasks", w.tasks}});
  }
  for (const auto& t : snap.tasks) {
    nlohmann::json ranks = nlohmann::json::array();
    for (const auto& r : t.ranks) ranks.push_back({r.worker, r.gpu_mask, r.cpu_slots});
    tasks.push_back({{"spec", SpecJson(t.spec)}, {"state", static_cast<int>(t.state)}, {"queue_seq", t.queue_seq},
                     {"attempt", t.attempt}, {"ranks", ranks}, {"reservation", t.reservation},
                     {"failures", {t.preempted_failures, t.infrastructure_failures, t.user_failures}}});
  }
  return {{"workers", workers}, {"tasks", tasks}, {"next_queue_seq", snap.next_queue_seq},
          {"next_attempt", snap.next_attempt}};
}

Result<s::SchedulerSnapshot> SnapshotFromJson(const nlohmann::json& j) {
  try {
    s::SchedulerSnapshot snap;
    for (const auto& w : j.at("workers")) {
      s::WorkerRecord r;
      r.spec.id = w.at("id").get<std::string>();
      r.spec.gpus = w.at("gpus").get<int>();
      r.spec.cpu_slots = w.at("cpu_slots").get<int>();
      r.spec.labels = w.at("labels").get<s::Labels>();
      r.spec.incarnation = w.at("incarnation").get<uint64_t>();
      r.state = static_cast<s::WorkerState>(w.at("state").get<int>());
      r.free_gpu_mask = w.at("free_gpu_mask").get<uint64_t>();
      r.free_gpus = w.at("free_gpus").get<int>();
      r.free_cpus = w.at("free_cpus").get<int>();
      r.consecutive_failures = w.at("consecutive_failures").get<int>();
      r.tasks = w.at("tasks").get<std::vector<int>>();
      snap.workers.push_back(std::move(r));
    }
    for (const auto& t : j.at("tasks")) {
      s::TaskRecord r;
      r.spec = SpecFrom(t.at("spec"));
      r.state = static_cast<s::TaskState>(t.at("state").get<int>());
      r.queue_seq = t.at("queue_seq").get<uint64_t>();
      r.attempt = t.at("attempt").get<uint64_t>();
      for (const auto& rk : t.at("ranks")) r.ranks.push_back({rk.at(0).get<int>(), rk.at(1).get<uint64_t>(), rk.at(2).get<int>()});
      r.reservation = t.at("reservation").get<std::vector<std::pair<int, int>>>();
      const auto& f = t.at("failures");
      r.preempted_failures = f.at(0).get<int>();
      r.infrastructure_failures = f.at(1).get<int>();
      r.user_failures = f.at(2).get<int>();
      snap.tasks.push_back(std::move(r));
    }
    snap.next_queue_seq = j.at("next_queue_seq").get<uint64_t>();
    snap.next_attempt = j.at("next_attempt").get<uint64_t>();
    return snap;
  } catch (const std::exception& e) {
    return DataLossError(std::string("stored scheduler snapshot is unreadable: ") + e.what());
  }
}

}  // namespace mdetr::coordinator
