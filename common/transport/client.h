// The worker's and the CLI's end of the transport: a ZeroMQ DEALER connected to the coordinator.
//
// Execution model: Connect() spawns one I/O thread that owns the socket. Call() and Send() may be
// used from any thread; the MessageHandler (messages the server sends on its own, such as
// PlaceAttempt) and the ConnectionHandler run on the I/O thread and must not block for long.
//
// Liveness (the Paranoid Pirate pattern): both sides heartbeat; when nothing has come from the
// server for interval * liveness, the client declares it lost, fails the calls in flight with
// kUnavailable, closes the socket and opens a new one after an exponential back-off. The first
// message after that reports connected again, which is when a worker re-registers.
//
// Call() never hangs: without a reply within its timeout it returns kDeadlineExceeded, naming
// the endpoint (and the handshake failure, if the server refused this client's CURVE key).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "common/status.h"
#include "common/transport/curve_keys.h"
#include "common/transport/liveness.h"
#include "common/wire/codec.h"
#include "common/wire/messages.h"

namespace mdetr::transport {

struct ClientCurve {
  CurveKeyPair client_keys;       // this client's pair; its public key must be on the server's list
  std::string server_public_key;  // Z85
};

// This client's pair from its .secret file and the server's key from its .pub file.
Result<ClientCurve> LoadClientCurve(const std::string& client_secret_path,
                                    const std::string& server_public_path);

struct ClientOptions {
  std::string endpoint;  // "tcp://coordinator.example:5555"
  std::string name;      // the sender of outgoing envelopes: a worker id, "cli-<user>"
  std::optional<ClientCurve> curve;
  HeartbeatOptions heartbeat;
  Duration reconnect_min = std::chrono::milliseconds(100);
  Duration reconnect_max = std::chrono::seconds(32);
  wire::DecodeLimits limits;
};

class Client {
 public:
  using MessageHandler = std::function<void(const wire::Envelope& message)>;
  using ConnectionHandler = std::function<void(bool connected)>;

  // Opens the socket and starts connecting (ZeroMQ connects in the background, so a server that
  // is not up yet is not an error). Errors: kInvalidArgument for a bad endpoint or keys.
  static Result<std::unique_ptr<Client>> Connect(ClientOptions options, MessageHandler on_message = nullptr,
                                                 ConnectionHandler on_connection = nullptr);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Sends `request` with a fresh request id and waits for the reply with that id. An ErrorReply
  // comes back as its Status; silence as kDeadlineExceeded after `timeout`; a lost connection as
  // kUnavailable.
  Result<wire::Envelope> Call(wire::Body request, Duration timeout);

  // Sends without waiting for a reply (attempt status, progress). Returns the request id used.
  Result<uint64_t> Send(wire::Body message);

  // True after a message from the server, false after liveness expired (and before any message).
  bool connected() const;
  // How many times the socket was re-created after the server was declared lost.
  uint64_t reconnects() const;

  void Stop();

  class Impl;

 private:
  explicit Client(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace mdetr::transport
