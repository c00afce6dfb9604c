#include "common/transport/server.h"

#include <algorithm>
#include <array>
#include <exception>
#include <map>
#include <random>
#include <thread>
#include <utility>

#include <zmq.hpp>
#include <zmq_addon.hpp>

#include "common/logging.h"
#include "common/transport/endpoint.h"
#include "common/transport/outbox.h"
#include "common/transport/zap_authenticator.h"
#include "common/transport/zmq_util.h"

namespace mdetr::transport {
namespace {

// Identifies this server process in its heartbeats (never 0, which means "not told").
uint64_t RandomInstance() {
  std::random_device device;
  const uint64_t id = (static_cast<uint64_t>(device()) << 32) ^ device();
  return id == 0 ? 1 : id;
}

}  // namespace

class Server::Impl {
 public:
  Impl(ServerOptions options, Handler handler, PeerLostHandler on_peer_lost)
      : options_(std::move(options)), handler_(std::move(handler)), on_peer_lost_(std::move(on_peer_lost)) {}
  ~Impl() { Stop(); }

  Status Bind();
  void StartThread() {
    thread_ = std::thread([this] { Run(); });
  }
  void Stop() {
    stop_ = true;
    outbox_.Wake();
    if (thread_.joinable()) thread_.join();
  }
  Status Send(const std::string& routing_id, wire::Envelope message) {
    message.version = wire::kProtocolVersion;
    message.sender = options_.name;
    MDETR_ASSIGN_OR_RETURN(std::string frame, wire::Encode(message));
    outbox_.Push({routing_id, std::move(frame)});
    return Status::Ok();
  }

  std::string endpoint_;
  bool curve_ = false;
  std::atomic<uint64_t> frames_refused_{0};
  std::atomic<uint64_t> messages_handled_{0};

  uint64_t clients_refused() const { return zap_ ? zap_->refused() : 0; }

 private:
  struct PeerState {
    Peer peer;
    Liveness liveness;
  };

  void Run();
  bool ReceiveOne(MonoTime now);
  void Refuse(const std::string& routing_id, const Status& why, size_t frame_bytes);
  void SendEnvelope(const std::string& routing_id, wire::Envelope message);
  void SendFrame(const std::string& routing_id, const std::string& frame);
  void Beat(MonoTime now);
  void Forget(const std::string& routing_id);

  ServerOptions options_;
  Handler handler_;
  PeerLostHandler on_peer_lost_;
  zmq::context_t context_{1};
  zmq::socket_t router_;
  std::unique_ptr<ZapAuthenticator> zap_;
  Outbox<std::pair<std::string, std::string>> outbox_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::map<std::string, PeerState> peers_;  // I/O thread only
  uint64_t heartbeat_seq_ = 0;
  const uint64_t instance_ = RandomInstance();
};

Status Server::Impl::Bind() {
  if (!outbox_.ok()) return InternalError("cannot create an eventfd for the server's outbox");
  const ServerOptions& o = options_;
  curve_ =
      o.security == Security::kCurve || (o.security == Security::kAuto && !IsLocalOnlyEndpoint(o.endpoint));
  if (o.security == Security::kNone && !IsLocalOnlyEndpoint(o.endpoint)) {
    MDETR_LOG_WARN("serving {} without CURVE: anyone who can reach it can submit work", o.endpoint);
  }
  if (curve_) {
    if (!o.curve_keys) {
      return FailedPreconditionError(
          "endpoint " + o.endpoint +
          " is reachable from other machines, so it needs CURVE: give the server a key "
          "pair and the public keys of its clients, or bind a loopback address");
    }
    if (!IsZ85Key(o.curve_keys->public_key) || !IsZ85Key(o.curve_keys->secret_key)) {
      return InvalidArgumentError("server CURVE keys must be 40 Z85 characters");
    }
    if (o.authorized_keys.empty()) {
      return FailedPreconditionError("CURVE server on " + o.endpoint +
                                     " has no authorised client keys, so it would refuse every client");
    }
    for (const std::string& key : o.authorized_keys) {
      if (!IsZ85Key(key))
        return InvalidArgumentError("authorised key '" + key + "' is not 40 Z85 characters");
    }
    zap_ = std::make_unique<ZapAuthenticator>(o.authorized_keys);
    MDETR_RETURN_IF_ERROR(zap_->Bind(context_));
  }
  try {
    router_ = zmq::socket_t(context_, zmq::socket_type::router);
    router_.set(zmq::sockopt::linger, 0);
    router_.set(zmq::sockopt::router_mandatory, 1);
    // The decoder refuses (and answers) frames over its limit; frames far beyond it are not even
    // buffered: ZeroMQ drops such a connection.
    router_.set(zmq::sockopt::maxmsgsize, static_cast<int64_t>(o.limits.max_frame_bytes) * 4 + 4096);
    if (curve_) {
      router_.set(zmq::sockopt::curve_server, 1);
      router_.set(zmq::sockopt::curve_secretkey, o.curve_keys->secret_key);
    }
    router_.bind(o.endpoint);
    endpoint_ = router_.get(zmq::sockopt::last_endpoint);
  } catch (const zmq::error_t& e) {
    return ZmqError("cannot bind " + o.endpoint, e);
  }
  return Status::Ok();
}

void Server::Impl::Run() {
  const HeartbeatOptions& hb = options_.heartbeat;
  MonoTime next_beat = SystemClock::Instance().Now() + hb.interval;
  while (!stop_) {
    std::vector<zmq::pollitem_t> items = {{router_.handle(), 0, ZMQ_POLLIN, 0},
                                          {nullptr, outbox_.fd(), ZMQ_POLLIN, 0}};
    if (zap_) items.push_back({zap_->socket().handle(), 0, ZMQ_POLLIN, 0});
    MonoTime now = SystemClock::Instance().Now();
    const auto wait =
        hb.enabled() ? std::max(Duration(0), next_beat - now) : Duration(std::chrono::milliseconds(200));
    try {
      zmq::poll(items,
                std::chrono::duration_cast<std::chrono::milliseconds>(wait) + std::chrono::milliseconds(1));
    } catch (const zmq::error_t& e) {
      if (e.num() == EINTR) continue;
      MDETR_LOG_ERROR("server poll failed: {}", e.what());
      break;
    }
    now = SystemClock::Instance().Now();
    if (zap_ && (items[2].revents & ZMQ_POLLIN)) zap_->AnswerOne();
    if (items[0].revents & ZMQ_POLLIN) {
      // Bounded, so that a flood of requests cannot starve heartbeats and the outbox.
      for (int i = 0; i < 256 && ReceiveOne(now); ++i) {
      }
      if (options_.on_burst_end) options_.on_burst_end();
    }
    for (auto& [routing_id, frame] : outbox_.TakeAll()) SendFrame(routing_id, frame);
    if (hb.enabled() && now >= next_beat) {
      Beat(now);
      next_beat = now + hb.interval;
    }
  }
  router_.close();
  if (zap_) zap_->socket().close();
}

bool Server::Impl::ReceiveOne(MonoTime now) {
  std::vector<zmq::message_t> frames;
  try {
    if (!zmq::recv_multipart(router_, std::back_inserter(frames), zmq::recv_flags::dontwait)) return false;
  } catch (const zmq::error_t& e) {
    MDETR_LOG_WARN("server receive failed: {}", e.what());
    return false;
  }
  const std::string routing_id = frames[0].to_string();
  if (frames.size() != 2) {
    Refuse(routing_id,
           InvalidArgumentError("expected one frame per message, got " + std::to_string(frames.size() - 1)),
           0);
    return true;
  }
  Result<wire::Envelope> message = wire::Decode(frames[1].to_string_view(), options_.limits);
  if (!message.ok()) {
    Refuse(routing_id, message.status(), frames[1].size());
    return true;
  }
  // Peers are remembered only to heartbeat them and notice their silence; without heartbeats a
  // table would only grow with every CLI that ever connected.
  PeerState transient{Peer{routing_id, "", ""}, Liveness(options_.heartbeat, now)};
  PeerState* state = &transient;
  bool known = false;
  if (options_.heartbeat.enabled()) {
    auto [it, inserted] = peers_.try_emplace(routing_id, transient);
    state = &it->second;
    known = !inserted;
  }
  if (!known) state->peer.public_key = MessageProperty(frames[1], "User-Id");
  state->peer.sender = message->sender;
  state->liveness.Heard(now);
  if (wire::Holds<wire::Heartbeat>(*message)) return true;

  ++messages_handled_;
  std::optional<wire::Envelope> reply;
  try {
    reply = handler_(state->peer, *message);
  } catch (const std::exception& e) {
    // Handlers report errors as replies; an exception is a bug, but it must not kill the server.
    reply = wire::Envelope{};
    reply->body = wire::ErrorFromStatus(InternalError(std::string("handler threw: ") + e.what()));
  }
  if (reply) {
    reply->request_id = message->request_id;
    SendEnvelope(routing_id, std::move(*reply));
  }
  return true;
}

void Server::Impl::Refuse(const std::string& routing_id, const Status& why, size_t frame_bytes) {
  const uint64_t refused = ++frames_refused_;
  // A flood of bad frames must not turn into a flood of log lines.
  if (refused <= 10 || refused % 1000 == 0) {
    MDETR_LOG_WARN("refused a frame of {} bytes ({} so far): {}", frame_bytes, refused, why.ToString());
  }
  wire::Envelope reply;
  reply.body = wire::ErrorFromStatus(why.WithContext("refused frame"));
  SendEnvelope(routing_id, std::move(reply));
}

void Server::Impl::SendEnvelope(const std::string& routing_id, wire::Envelope message) {
  message.version = wire::kProtocolVersion;
  message.sender = options_.name;
  Result<std::string> frame = wire::Encode(message);
  if (!frame.ok()) {
    MDETR_LOG_ERROR("cannot encode a {} reply: {}", wire::MessageKindName(message.body),
                    frame.status().ToString());
    return;
  }
  SendFrame(routing_id, *frame);
}

void Server::Impl::SendFrame(const std::string& routing_id, const std::string& frame) {
  try {
    std::array<zmq::const_buffer, 2> parts = {zmq::buffer(routing_id), zmq::buffer(frame)};
    if (!zmq::send_multipart(router_, parts, zmq::send_flags::dontwait)) {
      MDETR_LOG_WARN("dropped a message to a slow peer (send queue full)");
    }
  } catch (const zmq::error_t& e) {
    if (e.num() == EHOSTUNREACH) {
      Forget(routing_id);  // the peer disconnected; liveness would find out later anyway
      return;
    }
    MDETR_LOG_WARN("server send failed: {}", e.what());
  }
}

void Server::Impl::Beat(MonoTime now) {
  std::vector<std::string> lost;
  for (const auto& [routing_id, state] : peers_) {
    if (state.liveness.Expired(now)) lost.push_back(routing_id);
  }
  for (const std::string& routing_id : lost) Forget(routing_id);
  wire::Envelope beat;
  beat.sender = options_.name;
  beat.body = wire::Heartbeat{++heartbeat_seq_, SystemClock::Instance().WallMillis(), instance_};
  Result<std::string> frame = wire::Encode(beat);
  if (!frame.ok()) return;
  std::vector<std::string> ids;
  for (const auto& entry : peers_) ids.push_back(entry.first);
  for (const std::string& routing_id : ids) SendFrame(routing_id, *frame);
  if (options_.on_beat) options_.on_beat();
}

void Server::Impl::Forget(const std::string& routing_id) {
  auto it = peers_.find(routing_id);
  if (it == peers_.end()) return;
  Peer peer = std::move(it->second.peer);
  peers_.erase(it);
  MDETR_LOG_INFO("lost peer '{}' (no message for {} ms)", peer.sender,
                 std::chrono::duration_cast<std::chrono::milliseconds>(options_.heartbeat.expiry()).count());
  if (on_peer_lost_) on_peer_lost_(peer);
}

Status LoadServerCurve(const std::string& secret_path, const std::string& authorized_keys_path,
                       ServerOptions* options) {
  MDETR_ASSIGN_OR_RETURN(options->curve_keys, ReadCurveKeyPair(secret_path));
  MDETR_ASSIGN_OR_RETURN(options->authorized_keys, ReadAuthorizedKeys(authorized_keys_path));
  return Status::Ok();
}

Result<std::unique_ptr<Server>> Server::Start(ServerOptions options, Handler handler,
                                              PeerLostHandler on_peer_lost) {
  if (!handler) return InvalidArgumentError("server needs a message handler");
  auto impl = std::make_unique<Impl>(std::move(options), std::move(handler), std::move(on_peer_lost));
  MDETR_RETURN_IF_ERROR(impl->Bind());
  impl->StartThread();
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Server::~Server() { Stop(); }
const std::string& Server::endpoint() const { return impl_->endpoint_; }
bool Server::curve_enabled() const { return impl_->curve_; }
Status Server::Send(const std::string& routing_id, wire::Envelope message) {
  return impl_->Send(routing_id, std::move(message));
}
void Server::Stop() { impl_->Stop(); }
uint64_t Server::frames_refused() const { return impl_->frames_refused_; }
uint64_t Server::messages_handled() const { return impl_->messages_handled_; }
uint64_t Server::clients_refused() const { return impl_->clients_refused(); }

}  // namespace mdetr::transport
