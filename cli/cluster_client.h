// Talking to the coordinator from the CLI: where it is (the local cluster's folder, or
// --coordinator / $MDETR_COORDINATOR), a call with a timeout that turns a dead coordinator into
// a one-line error, and the local cluster's layout.
#pragma once

#include <chrono>
#include <string>

#include "common/status.h"
#include "common/transport/client.h"

namespace mdetr::cli {

struct ClusterTarget {
  std::string endpoint;
  std::string keys_dir;  // CURVE keys of the CLI (cli.secret, coordinator.pub); empty: none
};

// The local cluster's folder: $MDETR_HOME, else ./.mdetr-cluster.
std::string LocalClusterDir();

// --coordinator wins, then $MDETR_COORDINATOR, then the endpoint written by `mdetr up`.
Result<ClusterTarget> ResolveTarget(const std::string& flag);

// One request and its reply; a coordinator that does not answer within `timeout` is an error.
Result<wire::Envelope> CallCoordinator(const ClusterTarget& target, wire::Body request,
                                       std::chrono::milliseconds timeout = std::chrono::seconds(10));

}  // namespace mdetr::cli
