// The cluster end to end on loopback: a real coordinator (RocksDB, synced commits) and N real
// worker daemons, driven over the wire protocol as the CLI drives them.
//
//   cluster_bench [--workers N] [--jobs K] [--clients C] [--latency-jobs L] [--json]
//
// * submit throughput: K jobs submitted back to back by one client to a coordinator with no
//   worker (the submit path alone; every job queues), then to a cluster of N workers by one
//   client and by C clients at once;
//   a job counts when its SubmitReply arrives, i.e. after the coordinator committed it (synced)
//   and ran a scheduling pass. The workers launch the jobs they are given (the real mdetr-ml task
//   program; the config points at missing data so each fails fast) while the rest queue.
// * submit -> running: on a fresh cluster with every worker idle, L jobs one at a time; from the
//   submit call returning to the attempt's `started` event (the worker forked the rank and the
//   coordinator recorded it), and from the call's start to the `placed` event. Event times are the
//   coordinator's wall clock in milliseconds (same machine, same clock); the client's own view
//   (polling the events) bounds them from above. Also from the submit returning to the task
//   program's first report of its own (it loaded LibTorch, read its config and failed on the
//   missing data): the cold start of a task process. Each job is then cancelled (no retry), and the
//   next one is submitted when no attempt runs any more.
#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "common/config/document.h"
#include "common/transport/client.h"
#include "tests/support/child_process.h"

namespace {

namespace fs = std::filesystem;
using mdetr::testing::ChildProcess;
using Clock = std::chrono::steady_clock;
namespace wire = mdetr::wire;

struct Options {
  int workers = 4;
  int jobs = 300;
  int clients = 4;
  int latency_jobs = 20;
  bool json = false;
};

double WallMs() {
  return std::chrono::duration<double, std::milli>(std::chrono::system_clock::now().time_since_epoch()).count();
}

double Percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const double k = (static_cast<double>(v.size()) - 1) * q / 100.0;
  const size_t lo = static_cast<size_t>(k);
  const size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (v[hi] - v[lo]) * (k - static_cast<double>(lo));
}

// A coordinator and its workers as child processes in `dir`.
class LocalCluster {
 public:
  LocalCluster(const std::string& bin, const std::string& dir, int workers, int port) : dir_(dir) {
    fs::create_directories(dir);
    endpoint_ = "tcp://127.0.0.1:" + std::to_string(port);
    coordinator_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{bin + "/mdetr-coordinator", "--data-dir", dir + "/coord", "--shared-dir",
                                 dir + "/shared", "--bind", endpoint_, "--heartbeat", "0.5", "--liveness", "10"},
        dir + "/coordinator.log");
    for (int i = 0; i < workers; ++i) {
      const std::string id = "w" + std::to_string(i);
      workers_.push_back(std::make_unique<ChildProcess>(
          std::vector<std::string>{bin + "/mdetr-worker", "--id", id, "--coordinator", endpoint_, "--data-dir",
                                   dir + "/" + id, "--cpu-slots", "1", "--gpus", "0", "--heartbeat", "0.5",
                                   "--liveness", "10"},
          dir + "/" + id + ".log"));
    }
  }
  ~LocalCluster() {
    for (auto& w : workers_) w->Signal(SIGTERM);
    for (auto& w : workers_) w->Wait();
    coordinator_->Signal(SIGTERM);
    coordinator_->Wait();
  }
  const std::string& endpoint() const { return endpoint_; }

 private:
  std::string dir_, endpoint_;
  std::unique_ptr<ChildProcess> coordinator_;
  std::vector<std::unique_ptr<ChildProcess>> workers_;
};

std::unique_ptr<mdetr::transport::Client> Connect(const std::string& endpoint, const std::string& name) {
  mdetr::transport::ClientOptions o;
  o.endpoint = endpoint;
  o.name = name;
  auto client = mdetr::transport::Client::Connect(o);
  if (!client.ok()) {
    std::fprintf(stderr, "cluster_bench: %s\n", client.status().ToString().c_str());
    std::exit(1);
  }
  return std::move(client).value();
}

template <typename T>
T Ask(mdetr::transport::Client& client, wire::Body req) {
  auto reply = client.Call(std::move(req), std::chrono::seconds(30));
  if (!reply.ok()) {
    std::fprintf(stderr, "cluster_bench: call failed: %s\n", reply.status().ToString().c_str());
    std::exit(1);
  }
  if (const auto* v = std::get_if<T>(&reply->body)) return *v;
  if (const auto* e = std::get_if<wire::ErrorReply>(&reply->body)) {
    std::fprintf(stderr, "cluster_bench: coordinator: %s\n", e->message.c_str());
  } else {
    std::fprintf(stderr, "cluster_bench: unexpected reply %s\n", wire::MessageKindName(reply->body));
  }
  std::exit(1);
}

void WaitForWorkers(mdetr::transport::Client& client, int n) {
  const auto deadline = Clock::now() + std::chrono::seconds(120);
  while (Clock::now() < deadline) {
    auto reply = client.Call(wire::ListWorkers{false}, std::chrono::seconds(5));
    if (reply.ok()) {
      if (const auto* w = std::get_if<wire::ListWorkersReply>(&reply->body)) {
        int alive = 0;
        for (const auto& x : w->workers) alive += x.alive ? 1 : 0;
        if (alive >= n) return;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  std::fprintf(stderr, "cluster_bench: the workers did not register within 120 s\n");
  std::exit(1);
}

wire::SubmitJob Job(const std::string& config_yaml, int i) {
  wire::SubmitJob job;
  job.name = "bench-" + std::to_string(i);
  job.config_yaml = config_yaml;
  // Missing data: the task program starts, fails on its input and exits.
  job.overrides = {"data.train.0.ann_file=/nonexistent/train.json", "data.val.0.ann_file=/nonexistent/val.json",
                   "run.threads=1"};
  return job;
}

struct Throughput {
  double jobs_per_s = 0;
  std::vector<double> rtt_ms;
};

Throughput SubmitMany(const std::string& endpoint, const std::string& config_yaml, int jobs, int clients) {
  // Each client a name of its own: the coordinator answers a repeated (sender, request id) with
  // the first reply, as for a retried request, and request ids restart at 1 with every client.
  static int round = 0;
  ++round;
  std::vector<std::unique_ptr<mdetr::transport::Client>> conns;
  for (int c = 0; c < clients; ++c) {
    conns.push_back(Connect(endpoint, "bench-" + std::to_string(getpid()) + "-" + std::to_string(round) + "-" +
                                          std::to_string(c)));
    Ask<wire::ListWorkersReply>(*conns.back(), wire::ListWorkers{false});  // connected before timing
  }
  std::vector<std::vector<double>> rtts(static_cast<size_t>(clients));
  std::atomic<int> next{0};
  const auto t0 = Clock::now();
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      for (int i = next++; i < jobs; i = next++) {
        const auto s = Clock::now();
        Ask<wire::SubmitReply>(*conns[static_cast<size_t>(c)], Job(config_yaml, i));
        rtts[static_cast<size_t>(c)].push_back(std::chrono::duration<double, std::milli>(Clock::now() - s).count());
      }
    });
  }
  for (auto& t : threads) t.join();
  const double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  Throughput out;
  out.jobs_per_s = jobs / seconds;
  for (const auto& r : rtts) out.rtt_ms.insert(out.rtt_ms.end(), r.begin(), r.end());
  for (auto& c : conns) c->Stop();
  return out;
}

struct Latency {
  std::vector<double> ack_to_started_ms, ack_to_seen_ms, send_to_placed_ms, ack_to_task_exit_ms;
};

// Event times are whole milliseconds of the coordinator's wall clock (the true time lies in
// [at, at + 1)): the middle of that millisecond is the unbiased estimate.
double EventMs(const wire::Event& e) { return static_cast<double>(e.at_millis) + 0.5; }

Latency SubmitToRunning(mdetr::transport::Client& client, const std::string& config_yaml, int jobs) {
  Latency out;
  for (int i = 0; i < jobs; ++i) {
    const double sent = WallMs();
    const auto reply = Ask<wire::SubmitReply>(client, Job(config_yaml, 100000 + i));
    const double acked = WallMs();
    const auto deadline = Clock::now() + std::chrono::seconds(120);
    double placed = -1, started = -1, seen = -1, exited = -1;
    uint64_t after = 0;
    while (exited < 0 && Clock::now() < deadline) {
      for (const auto& e : Ask<wire::EventsReply>(client, wire::GetEvents{reply.job_id, after, 0}).events) {
        after = std::max(after, e.seq);
        if (e.kind == "placed" && placed < 0) placed = EventMs(e);
        if (e.kind == "started" && started < 0) {
          started = EventMs(e);
          seen = WallMs();
        }
        // The task program's own report: it loaded, read its config, failed on the missing data.
        if ((e.kind == "attempt-failed" || e.kind == "failed") && exited < 0) exited = EventMs(e);
      }
      if (exited < 0) std::this_thread::sleep_for(std::chrono::microseconds(started < 0 ? 100 : 5000));
    }
    if (started < 0 || exited < 0) {
      std::fprintf(stderr, "cluster_bench: %s did not start and end within 120 s\n", reply.job_id.c_str());
      std::exit(1);
    }
    out.ack_to_started_ms.push_back(started - acked);
    out.ack_to_seen_ms.push_back(seen - acked);
    out.send_to_placed_ms.push_back(placed - sent);
    out.ack_to_task_exit_ms.push_back(exited - acked);
    // Stop its retry, and let every worker go idle before the next job, so each one measures an
    // idle cluster.
    Ask<wire::Ack>(client, wire::CancelJob{reply.job_id, "benchmark"});
    for (bool busy = true; busy && Clock::now() < deadline + std::chrono::seconds(60);) {
      busy = false;
      for (const auto& w : Ask<wire::ListWorkersReply>(client, wire::ListWorkers{false}).workers) {
        busy = busy || !w.running_attempts.empty();
      }
      if (busy) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  return out;
}

bool ParseArgs(int argc, char** argv, Options* o) {
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--json") {
      o->json = true;
      continue;
    }
    if (i + 1 >= argc) {
      std::fprintf(stderr, "cluster_bench: %s needs a value\n", flag.c_str());
      return false;
    }
    const int value = std::atoi(argv[++i]);
    if (value < 1) {
      std::fprintf(stderr, "cluster_bench: %s %s: expected a positive integer\n", flag.c_str(), argv[i]);
      return false;
    }
    if (flag == "--workers") o->workers = value;
    else if (flag == "--jobs") o->jobs = value;
    else if (flag == "--clients") o->clients = value;
    else if (flag == "--latency-jobs") o->latency_jobs = value;
    else {
      std::fprintf(stderr, "cluster_bench: unknown flag %s (expected --workers, --jobs, --clients, --latency-jobs, "
                   "--json)\n", flag.c_str());
      return false;
    }
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (!ParseArgs(argc, argv, &o)) return 2;
  const std::string bin = MDETR_BUILD_BIN_DIR;
  for (const char* exe : {"mdetr-coordinator", "mdetr-worker", "mdetr-ml"}) {
    if (!fs::exists(bin + "/" + exe)) {
      std::fprintf(stderr, "cluster_bench: %s/%s is missing; build mdetr-coordinator, mdetr-worker and mdetr-ml\n",
                   bin.c_str(), exe);
      return 2;
    }
  }
  auto doc = mdetr::config::Document::Load(std::string(MDETR_SOURCE_DIR) + "/configs/tasks/synthetic_tiny.yaml");
  if (!doc.ok()) {
    std::fprintf(stderr, "cluster_bench: %s\n", doc.status().ToString().c_str());
    return 2;
  }
  const std::string config_yaml = doc->ToYaml();
  char pattern[] = "/tmp/mdetr-cluster-bench-XXXXXX";
  const std::string dir = mkdtemp(pattern);

  Throughput alone, alone_many, one, many;
  Latency latency;
  {
    // The submit path alone (validate, commit synced, scheduling pass), no worker to launch on:
    // every job stays queued.
    LocalCluster cluster(bin, dir + "/queue", 0, mdetr::testing::FreeLocalPort());
    alone = SubmitMany(cluster.endpoint(), config_yaml, o.jobs, 1);
  }
  {
    // The same from C clients at once: requests that arrive together share one synced commit.
    LocalCluster cluster(bin, dir + "/queue-many", 0, mdetr::testing::FreeLocalPort());
    alone_many = SubmitMany(cluster.endpoint(), config_yaml, o.jobs, o.clients);
  }
  {
    LocalCluster cluster(bin, dir + "/throughput", o.workers, mdetr::testing::FreeLocalPort());
    auto client = Connect(cluster.endpoint(), "bench-" + std::to_string(getpid()));
    WaitForWorkers(*client, o.workers);
    client->Stop();
    one = SubmitMany(cluster.endpoint(), config_yaml, o.jobs, 1);
    many = SubmitMany(cluster.endpoint(), config_yaml, o.jobs, o.clients);
  }
  {
    LocalCluster cluster(bin, dir + "/latency", o.workers, mdetr::testing::FreeLocalPort());
    auto client = Connect(cluster.endpoint(), "bench-" + std::to_string(getpid()));
    WaitForWorkers(*client, o.workers);
    latency = SubmitToRunning(*client, config_yaml, o.latency_jobs);
    client->Stop();
  }
  std::error_code ec;
  fs::remove_all(dir, ec);

  if (o.json) {
    std::printf(
        "{\"workers\": %d, \"jobs\": %d, \"clients\": %d, \"latency_jobs\": %d, "
        "\"submit_jobs_per_s_no_workers\": %.1f, \"submit_rtt_ms_p50_no_workers\": %.3f, "
        "\"submit_rtt_ms_p99_no_workers\": %.3f, \"submit_jobs_per_s_no_workers_n_clients\": %.1f, \"submit_jobs_per_s_1_client\": %.1f, \"submit_jobs_per_s_n_clients\": %.1f, "
        "\"submit_rtt_ms_p50\": %.3f, \"submit_rtt_ms_p99\": %.3f, "
        "\"ack_to_started_ms_p50\": %.2f, \"ack_to_started_ms_p99\": %.2f, "
        "\"ack_to_seen_ms_p50\": %.2f, \"ack_to_seen_ms_p99\": %.2f, "
        "\"send_to_placed_ms_p50\": %.2f, \"send_to_placed_ms_p99\": %.2f, "
        "\"ack_to_task_exit_ms_p50\": %.1f, \"ack_to_task_exit_ms_p99\": %.1f}\n",
        o.workers, o.jobs, o.clients, o.latency_jobs, alone.jobs_per_s, Percentile(alone.rtt_ms, 50),
        Percentile(alone.rtt_ms, 99), alone_many.jobs_per_s, one.jobs_per_s, many.jobs_per_s, Percentile(one.rtt_ms, 50),
        Percentile(one.rtt_ms, 99), Percentile(latency.ack_to_started_ms, 50),
        Percentile(latency.ack_to_started_ms, 99), Percentile(latency.ack_to_seen_ms, 50),
        Percentile(latency.ack_to_seen_ms, 99), Percentile(latency.send_to_placed_ms, 50),
        Percentile(latency.send_to_placed_ms, 99), Percentile(latency.ack_to_task_exit_ms, 50),
        Percentile(latency.ack_to_task_exit_ms, 99));
    return 0;
  }
  auto row = [](const char* what, const std::vector<double>& ms) {
    std::printf("  %-56s p50 %8.2f ms   p99 %8.2f ms\n", what, Percentile(ms, 50), Percentile(ms, 99));
  };
  std::printf("Coordinator alone (no workers: every job queues), %d jobs\n", o.jobs);
  std::printf("  %-56s %10.1f jobs/s\n", "submit, 1 client (acknowledged = committed, synced)", alone.jobs_per_s);
  std::printf("  %-56s %10.1f jobs/s\n", ("submit, " + std::to_string(o.clients) + " clients").c_str(),
              alone_many.jobs_per_s);
  row("submit round trip, 1 client", alone.rtt_ms);
  std::printf("Cluster on loopback: coordinator + %d workers (real processes, RocksDB synced), %d jobs\n",
              o.workers, o.jobs);
  std::printf("  %-56s %10.1f jobs/s\n", "submit, 1 client (acknowledged = committed, synced)", one.jobs_per_s);
  std::printf("  %-56s %10.1f jobs/s\n", ("submit, " + std::to_string(o.clients) + " clients").c_str(),
              many.jobs_per_s);
  row("submit round trip, 1 client", one.rtt_ms);
  std::printf("  %d jobs one at a time on idle workers:\n", o.latency_jobs);
  row("submit sent -> placed (coordinator clock, +-0.5 ms)", latency.send_to_placed_ms);
  row("submit returned -> started (coordinator clock, +-0.5 ms)", latency.ack_to_started_ms);
  row("submit returned -> started seen by a polling client", latency.ack_to_seen_ms);
  row("submit returned -> task program reported (cold start)", latency.ack_to_task_exit_ms);
  return 0;
}
