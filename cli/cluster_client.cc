#include "cli/cluster_client.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace mdetr::cli {
namespace fs = std::filesystem;

std::string LocalClusterDir() {
  if (const char* home = std::getenv("MDETR_HOME"); home && *home) return home;
  return (fs::current_path() / ".mdetr-cluster").string();
}

Result<ClusterTarget> ResolveTarget(const std::string& flag) {
  ClusterTarget t;
  if (!flag.empty()) {
    t.endpoint = flag;
  } else if (const char* env = std::getenv("MDETR_COORDINATOR"); env && *env) {
    t.endpoint = env;
  } else {
    std::ifstream in(fs::path(LocalClusterDir()) / "coordinator.endpoint");
    if (!(in >> t.endpoint)) {
      return UnavailableError("no coordinator: start a local cluster with 'mdetr up', or pass --coordinator / set "
                              "MDETR_COORDINATOR");
    }
  }
  const fs::path keys = fs::path(LocalClusterDir()) / "keys";
  if (fs::exists(keys / "cli.secret")) t.keys_dir = keys.string();
  return t;
}

Result<wire::Envelope> CallCoordinator(const ClusterTarget& target, wire::Body request,
                                       std::chrono::milliseconds timeout) {
  transport::ClientOptions o;
  o.endpoint = target.endpoint;
  o.name = "cli-" + std::to_string(getpid());
  o.heartbeat.interval = std::chrono::milliseconds(0);  // one request: no heartbeats
  if (!target.keys_dir.empty()) {
    auto curve = transport::LoadClientCurve(target.keys_dir + "/cli.secret", target.keys_dir + "/coordinator.pub");
    if (!curve.ok()) return curve.status();
    o.curve = *curve;
  }
  MDETR_ASSIGN_OR_RETURN(auto client, transport::Client::Connect(o));
  auto reply = client->Call(std::move(request), timeout);
  client->Stop();
  if (!reply.ok()) {
    return UnavailableError("the coordinator at " + target.endpoint + " did not answer (" + reply.status().message() +
                            "); is it running ('mdetr up'), and do your keys match?");
  }
  if (const auto* err = std::get_if<wire::ErrorReply>(&reply->body)) return wire::StatusFromError(*err);
  return reply;
}

}  // namespace mdetr::cli
