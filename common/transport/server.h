// The coordinator's end of the transport: a ZeroMQ ROUTER that workers and CLIs (DEALERs) connect to.
//
// Execution model: Start() spawns one I/O thread that owns the sockets; the handlers run on it, so
// they must not block for long (hand slow work to another thread and answer later with Send()).
// Send() and Stop() may be called from any thread.
//
// Every inbound frame is decoded with wire::Decode's limits. A frame that does not decode is
// answered with an ErrorReply (request id 0) and dropped; the server goes on serving. Heartbeats
// are handled here: the server heartbeats every peer it has heard from, and a peer silent for
// interval * liveness is dropped and reported to the PeerLostHandler.
//
// Security: with CURVE (the default for any endpoint other machines can reach) the server needs
// its key pair and admits only clients whose public key is in `authorized_keys`; refused clients
// fail the handshake and never reach the handlers.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "common/transport/curve_keys.h"
#include "common/transport/liveness.h"
#include "common/wire/codec.h"
#include "common/wire/messages.h"

namespace mdetr::transport {

enum class Security {
  kAuto,   // CURVE unless the endpoint is local-only (see IsLocalOnlyEndpoint)
  kCurve,  // always CURVE
  kNone,   // plain text; for loopback tests and single-machine use
};

// A connected client as the server sees it.
struct Peer {
  std::string routing_id;  // opaque ZeroMQ routing id; what Send() addresses
  std::string public_key;  // the client's Z85 CURVE key, empty without CURVE
  std::string sender;      // the envelope sender it last used ("worker-3", "cli-ana")
};

struct ServerOptions {
  // "tcp://0.0.0.0:5555"; port 0 or '*' picks a free port (see Server::endpoint()).
  std::string endpoint;
  std::string name = "coordinator";  // the sender of outgoing envelopes
  Security security = Security::kAuto;
  std::optional<CurveKeyPair> curve_keys;    // the server's own pair; required with CURVE
  std::vector<std::string> authorized_keys;  // Z85 public keys of the clients let in
  HeartbeatOptions heartbeat;
  wire::DecodeLimits limits;
  // Called on the I/O thread after every heartbeat round, once silent peers have been reported
  // lost: a clock for work that must wait until a lost peer would have been noticed.
  std::function<void()> on_beat;
  // Called on the I/O thread after each burst of messages read in one go (up to 256): a handler
  // may defer its work and replies to here, to commit a whole burst with one fsync.
  std::function<void()> on_burst_end;
};

// Fills options->curve_keys from a .secret file and options->authorized_keys from an allow-list
// file (formats in curve_keys.h); errors name the file.
Status LoadServerCurve(const std::string& secret_path, const std::string& authorized_keys_path,
                       ServerOptions* options);

class Server {
 public:
  // Called for every decoded message but heartbeats. A returned envelope is sent back to the
  // peer as the reply, with the request's id and this server's name filled in. To answer later
  // (after a synced store commit, say), return nullopt and Send() an envelope whose request_id
  // is the request's.
  using Handler =
      std::function<std::optional<wire::Envelope>(const Peer& peer, const wire::Envelope& message)>;
  // Called for any peer silent for interval * liveness: workers, and CLIs that simply went away.
  // A worker that reconnected has a new routing id, so compare before acting on the old one.
  using PeerLostHandler = std::function<void(const Peer& peer)>;

  // Binds and starts the I/O thread. Errors: kInvalidArgument for a bad endpoint,
  // kFailedPrecondition when CURVE is needed but no key pair was given, kUnavailable when the
  // address is in use.
  static Result<std::unique_ptr<Server>> Start(ServerOptions options, Handler handler,
                                               PeerLostHandler on_peer_lost = nullptr);
  ~Server();  // Stop()s
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // The bound endpoint with the real port, e.g. "tcp://127.0.0.1:40123".
  const std::string& endpoint() const;
  bool curve_enabled() const;

  // Queues `message` for `routing_id`; version and sender are filled in, request_id is sent as
  // given. Thread-safe. Delivery is best effort: a peer that has gone is forgotten.
  Status Send(const std::string& routing_id, wire::Envelope message);

  // Stops the I/O thread and closes the socket; idempotent.
  void Stop();

  // Counters for tests and metrics.
  uint64_t frames_refused() const;
  uint64_t messages_handled() const;
  uint64_t clients_refused() const;

  class Impl;

 private:
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace mdetr::transport
