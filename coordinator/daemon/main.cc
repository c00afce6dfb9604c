// mdetr-coordinator: the cluster's coordinator daemon.
#include <CLI/CLI.hpp>

#include <csignal>
#include <iostream>
#include <thread>

#include "common/logging.h"
#include "common/transport/endpoint.h"
#include "coordinator/daemon/coordinator_service.h"

namespace {
volatile std::sig_atomic_t g_stop = 0;
extern "C" void OnSignal(int) { g_stop = 1; }
}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"mdetr-coordinator: places MDETR tasks on workers, keeps cluster state in RocksDB"};
  mdetr::coordinator::CoordinatorOptions opt;
  std::string bind = "tcp://127.0.0.1:5555", keys_dir, log_file;
  double heartbeat_s = 1.0;
  int liveness = 5;
  bool insecure = false;
  app.add_option("--data-dir", opt.data_dir, "State folder (RocksDB)")->required();
  app.add_option("--shared-dir", opt.shared_dir, "Folder every worker sees, for task outputs (default: <data-dir>/shared)");
  app.add_option("--bind", bind, "ZeroMQ endpoint to serve")->capture_default_str();
  app.add_option("--keys", keys_dir, "Folder with coordinator.secret and authorized_keys (CURVE)");
  app.add_flag("--insecure", insecure, "Serve without CURVE even on a non-loopback address");
  app.add_option("--heartbeat", heartbeat_s, "Heartbeat interval in seconds")->capture_default_str();
  app.add_option("--liveness", liveness, "Missed heartbeats before a worker is lost")->capture_default_str();
  app.add_option("--log-file", log_file, "Also log to this file");
  CLI11_PARSE(app, argc, argv);
  (void)mdetr::logging::Init({"coordinator", mdetr::logging::Level::kInfo, log_file});
  if (opt.shared_dir.empty()) opt.shared_dir = opt.data_dir + "/shared";
  opt.server.endpoint = bind;
  opt.server.heartbeat.interval = std::chrono::milliseconds(static_cast<int64_t>(heartbeat_s * 1000));
  opt.server.heartbeat.liveness = liveness;
  if (!keys_dir.empty()) {
    if (auto s = mdetr::transport::LoadServerCurve(keys_dir + "/coordinator.secret", keys_dir + "/authorized_keys",
                                                   &opt.server);
        !s.ok()) {
      std::cerr << "mdetr-coordinator: " << s.message() << "\n";
      return 2;
    }
    opt.server.security = mdetr::transport::Security::kCurve;
  } else {
    opt.server.security = insecure ? mdetr::transport::Security::kNone : mdetr::transport::Security::kAuto;
  }
  auto svc = mdetr::coordinator::CoordinatorService::Start(std::move(opt));
  if (!svc.ok()) {
    std::cerr << "mdetr-coordinator: " << svc.status().message() << "\n";
    return 2;
  }
  std::signal(SIGTERM, OnSignal);
  std::signal(SIGINT, OnSignal);
  while (!g_stop) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  MDETR_LOG_INFO("coordinator stopping");
  return 0;
}
