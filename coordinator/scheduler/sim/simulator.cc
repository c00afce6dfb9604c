#include "coordinator/scheduler/sim/simulator.h"

#include <algorithm>
#include <chrono>
#include <queue>
#include <random>
#include <set>
#include <unordered_map>

#include <fmt/format.h>

#include "coordinator/scheduler/placement.h"
#include "coordinator/scheduler/sim/invariant_checker.h"

namespace mdetr::scheduler::sim {
namespace {

constexpr SimTime kSecond = 1'000'000;

struct Pending {
  SimTime at;
  uint64_t seq;
  Event event;
  bool operator>(const Pending& o) const { return at != o.at ? at > o.at : seq > o.seq; }
};

class Loop {
 public:
  explicit Loop(const SimOptions& options)
      : options_(options),
        rng_(options.workload.seed ^ 0x9e3779b97f4a7c15ULL),
        scheduler_(options.config),
        checker_(&scheduler_) {}

  SimReport Run() {
    const WorkloadOptions& w = options_.workload;
    std::vector<TaskArrival> arrivals = MakeTasks(w);
    std::uniform_int_distribution<int> node_pick(0, w.nodes - 1);
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    for (int n = 0; n < w.nodes + w.cpu_nodes; ++n) {
      WorkerSpec spec;
      spec.incarnation = 1;
      if (n < w.nodes) {
        spec.id = fmt::format("node-{:03d}", n);
        spec.gpus = w.gpus_per_node;
        spec.labels = {{"gpu", n < w.nodes * w.h100_node_fraction ? "h100" : "a100"}};
      } else {
        spec.id = fmt::format("cpu-node-{:03d}", n - w.nodes);
        spec.cpu_slots = w.cpu_slots_per_node;
      }
      node_names_.push_back(spec.id);
      node_specs_.push_back(spec);
      Push(0, WorkerJoined{spec});
    }
    std::uniform_int_distribution<int> any_node(0, w.nodes + w.cpu_nodes - 1);
    for (int i = 0; i < w.flaky_nodes; ++i) flaky_.insert(node_names_[static_cast<size_t>(node_pick(rng_))]);
    const SimTime horizon = arrivals.empty() ? 0 : arrivals.back().at;
    for (const TaskArrival& a : arrivals) {
      duration_[a.spec.id] = a.duration;
      Push(a.at, SubmitTask{a.spec});
      if (unit(rng_) < w.duplicate_probability) Push(a.at + kSecond, SubmitTask{a.spec});
      if (unit(rng_) < w.cancel_probability) {
        Push(a.at + static_cast<SimTime>(unit(rng_) * 2 * static_cast<double>(a.duration)),
             CancelTask{a.spec.id});
      }
    }
    auto random_time = [&] { return static_cast<SimTime>(unit(rng_) * static_cast<double>(horizon)); };
    for (int i = 0; i < w.worker_losses; ++i) {
      const int n = any_node(rng_);
      const SimTime at = random_time();
      Push(at, WorkerLost{node_names_[static_cast<size_t>(n)]});
      rejoin_.push_back({at + 600 * kSecond, n});
    }
    for (int i = 0; i < w.drains; ++i) {
      const int n = any_node(rng_);
      const SimTime at = random_time();
      Push(at, WorkerDrain{node_names_[static_cast<size_t>(n)]});
      rejoin_.push_back({at + 3600 * kSecond, n});
    }
    // Restarts get their incarnation when they happen, so they stay in order per node.
    for (const auto& [at, n] : rejoin_)
      Push(at, WorkerJoined{WorkerSpec{node_names_[static_cast<size_t>(n)], 0, 0, {}, 0}});

    std::vector<Action> actions;
    while (!queue_.empty()) {
      Pending next = queue_.top();
      queue_.pop();
      now_ = next.at;
      if (auto* j = std::get_if<WorkerJoined>(&next.event); j != nullptr && j->spec.incarnation == 0) {
        const size_t n = static_cast<size_t>(std::find(node_names_.begin(), node_names_.end(), j->spec.id) -
                                             node_names_.begin());
        WorkerSpec& spec = node_specs_[n];
        ++spec.incarnation;
        j->spec = spec;
      }
      if (const auto* s = std::get_if<SubmitTask>(&next.event)) submitted_at_.try_emplace(s->spec.id, now_);
      actions.clear();
      const auto start = std::chrono::steady_clock::now();
      Status status = scheduler_.Handle(next.event, &actions);
      const double us =
          std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count();
      report_.core_seconds += us * 1e-6;
      report_.handle_us.push_back(us);
      ++report_.steps;
      if (!status.ok()) report_.violations.push_back("event refused: " + status.ToString());
      if (options_.check_invariants) {
        checker_.Check(next.event, actions);
        if (options_.check_books_every > 0 && report_.steps % options_.check_books_every == 0)
          checker_.CheckBooks();
      }
      if (const auto* f = std::get_if<TaskFinished>(&next.event)) EndAttempt(f->attempt);
      const bool is_submit = std::holds_alternative<SubmitTask>(next.event);
      bool capacity_shrank = std::holds_alternative<WorkerLost>(next.event) ||
                             std::holds_alternative<WorkerDrain>(next.event) ||
                             std::holds_alternative<WorkerJoined>(next.event);
      for (const Action& a : actions) {
        Play(a, is_submit, us);
        capacity_shrank = capacity_shrank || std::holds_alternative<QuarantineWorker>(a);
      }
      if (options_.check_invariants) WatchHead(actions, capacity_shrank);
      report_.max_pending = std::max(report_.max_pending, scheduler_.pending_count());
    }
    if (options_.check_invariants) checker_.CheckBooks();
    for (const TaskArrival& a : arrivals) {
      const TaskRecord* t = scheduler_.FindTask(a.spec.id);
      if (t == nullptr) continue;
      if (!IsTerminal(t->state)) ++report_.unfinished;
      report_.succeeded += t->state == TaskState::kSucceeded;
      report_.cancelled += t->state == TaskState::kCancelled;
    }
    report_.simulated_hours = static_cast<double>(now_) / 3600e6;
    for (const std::string& v : checker_.violations()) report_.violations.push_back(v);
    return std::move(report_);
  }

 private:
  template <typename E>
  void Push(SimTime at, E event) {
    queue_.push(Pending{at, seq_++, Event(std::move(event))});
  }

  void EndAttempt(AttemptId attempt) {
    auto it = attempt_ends_.find(attempt);
    if (it == attempt_ends_.end()) return;
    for (auto& [worker, end] : it->second) worker_ends_[worker].erase(end);
    attempt_ends_.erase(it);
  }

  void Violation(std::string message) {
    if (report_.violations.size() < 20) report_.violations.push_back(std::move(message));
  }

  // The blocked head of the queue holds capacity back (the scheduler's reservation). Checked:
  // it does so whenever GPUs are free, the reservation stays put while no capacity goes away, and
  // the head starts at the latest when the attempts running on its reserved workers when it
  // blocked have ended: nothing placed behind it may delay it past that.
  void WatchHead(const std::vector<Action>& actions, bool capacity_shrank) {
    if (!head_.empty()) {
      for (const Action& a : actions) {
        const auto* p = std::get_if<PlaceTask>(&a);
        if (p == nullptr || p->task != head_) continue;
        ++report_.head_waits_checked;
        if (now_ > head_deadline_) {
          Violation(fmt::format(
              "{} blocked at the head of the queue at {:.0f} s started at {:.0f} s, after the "
              "attempts on its reserved workers had ended ({:.0f} s)",
              head_, static_cast<double>(head_since_) / kSecond, static_cast<double>(now_) / kSecond,
              static_cast<double>(head_deadline_) / kSecond));
        }
        head_.clear();
      }
    }
    const TaskRecord* head = scheduler_.QueueHead(true);
    if (head == nullptr) {
      head_.clear();
      return;
    }
    if (head->reservation.empty()) {
      if (HeadCouldReserve(*head)) {
        Violation(fmt::format("{} waits at the head of the queue holding no capacity while GPUs are free",
                              head->spec.id));
      }
      head_.clear();
      return;
    }
    // A task ahead of the head (higher priority) that arrived and started at once may take the
    // capacity the head was waiting for: the bound starts over.
    bool overtaken = false;
    for (const Action& a : actions) {
      const auto* p = std::get_if<PlaceTask>(&a);
      if (p == nullptr) continue;
      const TaskRecord* placed = scheduler_.FindTask(p->task);
      overtaken = overtaken || std::make_pair(-placed->spec.priority, placed->queue_seq) <
                                   std::make_pair(-head->spec.priority, head->queue_seq);
    }
    const bool changed = head->spec.id != head_ || capacity_shrank || overtaken;
    if (!changed && head->reservation != head_reservation_) {
      Violation(fmt::format("the reservation of {} moved while it waited at the head of the queue", head_));
    }
    if (changed || head->reservation != head_reservation_) {
      head_ = head->spec.id;
      head_reservation_ = head->reservation;
      head_since_ = now_;
      head_deadline_ = now_;
      for (const auto& [worker, units] : head_reservation_) {
        const auto& ends = worker_ends_[scheduler_.workers()[static_cast<size_t>(worker)].spec.id];
        if (!ends.empty()) head_deadline_ = std::max(head_deadline_, *ends.rbegin());
      }
    }
  }

  // Whether the head could hold capacity now: some alive worker has a free GPU, and the gang fits
  // the alive workers at all.
  bool HeadCouldReserve(const TaskRecord& head) {
    std::vector<int> eligible, capacity;
    int free = 0;
    for (const WorkerRecord& w : scheduler_.workers()) {
      capacity.push_back(w.spec.gpus);
      if (w.state != WorkerState::kAlive) continue;
      free += w.free_gpus;
      bool labels_ok = true;
      for (const auto& [key, value] : head.spec.required_labels) {
        auto it = w.spec.labels.find(key);
        labels_ok = labels_ok && it != w.spec.labels.end() && it->second == value;
      }
      if (labels_ok) eligible.push_back(static_cast<int>(capacity.size()) - 1);
    }
    GangFitter fitter;
    return free > 0 && fitter.EverFits(UnitsPerNodeOptions(head.spec.ranks, head.spec.gpus_per_rank),
                                       head.spec.total_units(), eligible, capacity);
  }

  // The workers' side of an action.
  void Play(const Action& action, bool during_submit, double handle_us) {
    ++report_.decisions;
    if (const auto* p = std::get_if<PlaceTask>(&action)) {
      ++report_.placements;
      if (placed_once_.insert(p->task).second) {
        report_.wait_s.push_back(static_cast<double>(now_ - submitted_at_[p->task]) / kSecond);
        (during_submit ? report_.submit_to_place_us : report_.freed_to_place_us).push_back(handle_us);
      }
      RunAttempt(*p);
    } else if (const auto* k = std::get_if<KillAttempt>(&action)) {
      EndAttempt(k->attempt);
    } else if (std::holds_alternative<RequeueTask>(action)) {
      ++report_.requeued;
    } else if (std::holds_alternative<FailTask>(action)) {
      ++report_.failed;
    } else if (std::holds_alternative<RejectTask>(action)) {
      ++report_.rejected;
    } else if (const auto* q = std::get_if<QuarantineWorker>(&action)) {
      ++report_.quarantined;
      Push(now_ + kSecond * 2 * 3600, WorkerRelease{q->worker});
    }
  }

  void RunAttempt(const PlaceTask& p) {
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    const SimTime duration = duration_[p.task];
    TaskFinished done{p.task, p.attempt, Outcome::kSucceeded, ""};
    SimTime at = now_ + duration;
    for (const RankPlacement& r : p.ranks) {
      if (flaky_.count(r.worker)) {
        done.outcome = Outcome::kInfrastructure;
        done.failed_worker = r.worker;
        at = now_ + 30 * kSecond;
        break;
      }
    }
    if (done.outcome == Outcome::kSucceeded && unit(rng_) < options_.workload.failure_probability) {
      const Outcome kinds[] = {Outcome::kPreempted, Outcome::kInfrastructure, Outcome::kUserError};
      done.outcome = kinds[std::uniform_int_distribution<int>(0, 2)(rng_)];
      done.failed_worker = p.ranks[std::uniform_int_distribution<size_t>(0, p.ranks.size() - 1)(rng_)].worker;
      at = now_ + static_cast<SimTime>(unit(rng_) * static_cast<double>(duration));
    }
    Push(at, done);
    auto& ends = attempt_ends_[p.attempt];
    for (const RankPlacement& r : p.ranks) {
      if (ends.empty() || ends.back().first != r.worker)
        ends.emplace_back(r.worker, worker_ends_[r.worker].insert(at));
    }
    // A duplicated report, arriving after the first: it must change nothing.
    if (unit(rng_) < options_.workload.duplicate_probability) Push(at + 5 * kSecond, done);
  }

  const SimOptions& options_;
  std::mt19937_64 rng_;
  Scheduler scheduler_;
  InvariantChecker checker_;
  std::priority_queue<Pending, std::vector<Pending>, std::greater<Pending>> queue_;
  uint64_t seq_ = 0;
  SimTime now_ = 0;
  std::vector<std::string> node_names_;
  std::vector<WorkerSpec> node_specs_;  // as they joined last
  std::vector<std::pair<SimTime, int>> rejoin_;
  std::set<std::string> flaky_;
  std::unordered_map<std::string, SimTime> duration_;
  std::unordered_map<std::string, SimTime> submitted_at_;
  std::set<std::string> placed_once_;
  // When the attempts running on each worker will end.
  std::unordered_map<std::string, std::multiset<SimTime>> worker_ends_;
  std::unordered_map<AttemptId, std::vector<std::pair<std::string, std::multiset<SimTime>::iterator>>>
      attempt_ends_;
  std::string head_;  // the blocked head of the GPU queue being watched
  std::vector<std::pair<int, int>> head_reservation_;
  SimTime head_since_ = 0;
  SimTime head_deadline_ = 0;
  SimReport report_;
};

}  // namespace

SimReport RunSimulation(const SimOptions& options) { return Loop(options).Run(); }

double Percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  const auto k =
      static_cast<size_t>(std::clamp(p / 100.0, 0.0, 1.0) * static_cast<double>(values.size() - 1));
  std::nth_element(values.begin(), values.begin() + static_cast<long>(k), values.end());
  return values[k];
}

}  // namespace mdetr::scheduler::sim
