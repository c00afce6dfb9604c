// mdetr-worker: runs the ranks the coordinator places on this machine.
#include <CLI/CLI.hpp>

#include <csignal>
#include <filesystem>
#include <iostream>

#include "common/logging.h"
#include "worker/daemon/worker_service.h"

namespace {
mdetr::worker::WorkerService* g_service = nullptr;
extern "C" void OnSignal(int) {
  if (g_service) g_service->Stop();
}
}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"mdetr-worker: runs MDETR task ranks for the coordinator"};
  mdetr::worker::WorkerOptions opt;
  std::string keys_dir, log_file;
  std::vector<std::string> labels;
  double heartbeat_s = 1.0;
  int liveness = 5;
  app.add_option("--id", opt.worker_id, "Worker id (unique in the cluster)")->required();
  app.add_option("--coordinator", opt.coordinator, "Coordinator endpoint")->required();
  app.add_option("--data-dir", opt.data_dir, "Working folder for attempts")->required();
  app.add_option("--advertise", opt.advertise_address, "Address other ranks use to reach this host")->capture_default_str();
  app.add_option("--cpu-slots", opt.cpu_slots, "Ranks this worker runs without a GPU")->capture_default_str();
  app.add_option("--gpus", opt.gpus, "GPUs to offer (-1: detect)")->capture_default_str();
  app.add_option("--label", labels, "key=value labels tasks can require (repeatable)");
  app.add_option("--ml-binary", opt.ml_binary, "mdetr-ml to run ranks with (default: next to this binary)");
  app.add_option("--keys", keys_dir, "Folder with this worker's CURVE secret (worker.secret) and coordinator.pub");
  app.add_option("--heartbeat", heartbeat_s, "Heartbeat interval in seconds")->capture_default_str();
  app.add_option("--liveness", liveness, "Missed heartbeats before the coordinator counts as lost")->capture_default_str();
  app.add_option("--log-file", log_file, "Also log to this file");
  CLI11_PARSE(app, argc, argv);
  (void)mdetr::logging::Init({opt.worker_id, mdetr::logging::Level::kInfo, log_file});
  for (const auto& l : labels) {
    const auto eq = l.find('=');
    if (eq == std::string::npos) {
      std::cerr << "mdetr-worker: --label " << l << ": expected key=value\n";
      return 2;
    }
    opt.labels[l.substr(0, eq)] = l.substr(eq + 1);
  }
  if (opt.ml_binary.empty()) {
    opt.ml_binary = (std::filesystem::read_symlink("/proc/self/exe").parent_path() / "mdetr-ml").string();
  }
  if (!keys_dir.empty()) {
    auto curve = mdetr::transport::LoadClientCurve(keys_dir + "/worker.secret", keys_dir + "/coordinator.pub");
    if (!curve.ok()) {
      std::cerr << "mdetr-worker: " << curve.status().message() << "\n";
      return 2;
    }
    opt.curve = *curve;
  }
  opt.heartbeat.interval = std::chrono::milliseconds(static_cast<int64_t>(heartbeat_s * 1000));
  opt.heartbeat.liveness = liveness;
  auto svc = mdetr::worker::WorkerService::Start(opt);
  if (!svc.ok()) {
    std::cerr << "mdetr-worker: " << svc.status().message() << "\n";
    return 2;
  }
  g_service = svc->get();
  std::signal(SIGTERM, OnSignal);
  std::signal(SIGINT, OnSignal);
  (*svc)->Run();
  return 0;
}
