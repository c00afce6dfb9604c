#include "common/transport/client.h"

#include <algorithm>
#include <cstring>
#include <deque>
#include <future>
#include <map>
#include <mutex>
#include <thread>
#include <utility>

#include <zmq.hpp>

#include "common/logging.h"
#include "common/transport/outbox.h"
#include "common/transport/zmq_util.h"

namespace mdetr::transport {
namespace {

int64_t Millis(Duration d) { return std::chrono::duration_cast<std::chrono::milliseconds>(d).count(); }

// What a monitor event of a failed handshake means for the person running the client.
std::string DescribeHandshakeFailure(uint16_t event, uint32_t value) {
  if (event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) {
    return "the server refused this client's CURVE key (ZAP status " + std::to_string(value) +
           "): add its public key to the coordinator's authorised keys";
  }
  if (event == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL) {
    if (value == ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH) {
      return "security handshake failed: one side uses CURVE and the other does not";
    }
    return "security handshake failed (protocol error " + std::to_string(value) +
           "): check the server's public key";
  }
  return std::string("security handshake failed: ") + zmq_strerror(static_cast<int>(value)) +
         " (wrong server public key?)";
}

}  // namespace

class Client::Impl {
 public:
  Impl(ClientOptions options, MessageHandler on_message, ConnectionHandler on_connection)
      : options_(std::move(options)),
        on_message_(std::move(on_message)),
        on_connection_(std::move(on_connection)),
        liveness_(options_.heartbeat, SystemClock::Instance().Now()),
        backoff_(options_.reconnect_min, options_.reconnect_max) {}
  ~Impl() { Stop(); }

  Status Validate() const;
  Status OpenSocket();
  void StartThread() {
    thread_ = std::thread([this] { Run(); });
  }
  void Stop();
  Result<wire::Envelope> Call(wire::Body request, Duration timeout);
  Result<uint64_t> Send(wire::Body message);

  std::atomic<bool> connected_{false};
  std::atomic<uint64_t> reconnects_{0};

 private:
  void Run();
  void CloseSocket();
  void ReceiveAll(MonoTime now);
  void Deliver(wire::Envelope message);
  void ReadMonitorEvents();
  void SendFrame(const std::string& frame);
  void SendHeartbeat();
  void DeclareLost(MonoTime now);
  void FailPending(const Status& status);
  Result<std::string> EncodeWithId(wire::Body body, uint64_t id) const;

  ClientOptions options_;
  MessageHandler on_message_;
  ConnectionHandler on_connection_;
  zmq::context_t context_{1};
  zmq::socket_t dealer_;   // I/O thread only (after Connect)
  zmq::socket_t monitor_;  // handshake events of dealer_
  bool socket_open_ = false;
  Outbox<std::string> outbox_;
  std::deque<std::string> parked_;  // frames queued while the socket is closed for back-off
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> next_request_id_{1};
  Liveness liveness_;
  Backoff backoff_;
  MonoTime reconnect_at_{};
  uint64_t heartbeat_seq_ = 0;
  uint64_t server_instance_ = 0;  // from the server's heartbeats; I/O thread only
  int monitor_generation_ = 0;

  std::mutex mu_;
  std::map<uint64_t, std::promise<Result<wire::Envelope>>> pending_;  // guarded by mu_
  std::string handshake_error_;                                       // guarded by mu_
};

Status Client::Impl::Validate() const {
  if (!outbox_.ok()) return InternalError("cannot create an eventfd for the client's outbox");
  if (options_.endpoint.empty()) return InvalidArgumentError("client needs the coordinator's endpoint");
  if (options_.curve) {
    const ClientCurve& c = *options_.curve;
    if (!IsZ85Key(c.client_keys.public_key) || !IsZ85Key(c.client_keys.secret_key) ||
        !IsZ85Key(c.server_public_key)) {
      return InvalidArgumentError("client CURVE keys must be 40 Z85 characters");
    }
  }
  return Status::Ok();
}

Status Client::Impl::OpenSocket() {
  try {
    dealer_ = zmq::socket_t(context_, zmq::socket_type::dealer);
    dealer_.set(zmq::sockopt::linger, 0);
    dealer_.set(zmq::sockopt::reconnect_ivl, static_cast<int>(Millis(options_.reconnect_min)));
    dealer_.set(zmq::sockopt::reconnect_ivl_max, static_cast<int>(Millis(options_.reconnect_max)));
    dealer_.set(zmq::sockopt::maxmsgsize, static_cast<int64_t>(options_.limits.max_frame_bytes) * 4 + 4096);
    if (options_.curve) {
      dealer_.set(zmq::sockopt::curve_serverkey, options_.curve->server_public_key);
      dealer_.set(zmq::sockopt::curve_publickey, options_.curve->client_keys.public_key);
      dealer_.set(zmq::sockopt::curve_secretkey, options_.curve->client_keys.secret_key);
    }
    const std::string monitor_endpoint = "inproc://client-monitor-" + std::to_string(++monitor_generation_);
    if (zmq_socket_monitor(dealer_.handle(), monitor_endpoint.c_str(),
                           ZMQ_EVENT_HANDSHAKE_FAILED_AUTH | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
                               ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL) != 0) {
      return InternalError(std::string("cannot monitor the client socket: ") + zmq_strerror(zmq_errno()));
    }
    monitor_ = zmq::socket_t(context_, zmq::socket_type::pair);
    monitor_.set(zmq::sockopt::linger, 0);
    monitor_.connect(monitor_endpoint);
    dealer_.connect(options_.endpoint);
  } catch (const zmq::error_t& e) {
    return ZmqError("cannot connect to " + options_.endpoint, e);
  }
  socket_open_ = true;
  return Status::Ok();
}

void Client::Impl::CloseSocket() {
  if (!socket_open_) return;
  zmq_socket_monitor(dealer_.handle(), nullptr, 0);
  monitor_.close();
  dealer_.close();
  socket_open_ = false;
}

void Client::Impl::Stop() {
  stop_ = true;
  outbox_.Wake();
  if (thread_.joinable()) thread_.join();
  CloseSocket();
  FailPending(CancelledError("client stopped"));
}

void Client::Impl::Run() {
  const HeartbeatOptions& hb = options_.heartbeat;
  MonoTime now = SystemClock::Instance().Now();
  MonoTime next_beat = now + hb.interval;
  liveness_.Heard(now);
  if (hb.enabled()) SendHeartbeat();  // lets the server know us before our first request
  while (!stop_) {
    std::vector<zmq::pollitem_t> items = {{nullptr, outbox_.fd(), ZMQ_POLLIN, 0}};
    if (socket_open_) {
      items.push_back({dealer_.handle(), 0, ZMQ_POLLIN, 0});
      items.push_back({monitor_.handle(), 0, ZMQ_POLLIN, 0});
    }
    Duration wait = std::chrono::milliseconds(200);
    if (hb.enabled()) wait = std::min(wait, (socket_open_ ? next_beat : reconnect_at_) - now);
    try {
      zmq::poll(items, std::chrono::milliseconds(std::max<int64_t>(0, Millis(wait)) + 1));
    } catch (const zmq::error_t& e) {
      if (e.num() == EINTR) continue;
      MDETR_LOG_ERROR("client poll failed: {}", e.what());
      break;
    }
    now = SystemClock::Instance().Now();
    if (socket_open_ && (items[2].revents & ZMQ_POLLIN)) ReadMonitorEvents();
    if (socket_open_ && (items[1].revents & ZMQ_POLLIN)) ReceiveAll(now);
    for (std::string& frame : outbox_.TakeAll()) parked_.push_back(std::move(frame));
    if (!hb.enabled()) {
      while (!parked_.empty()) {
        SendFrame(parked_.front());
        parked_.pop_front();
      }
      continue;
    }
    if (socket_open_ && liveness_.Expired(now)) {
      DeclareLost(now);
    } else if (!socket_open_ && now >= reconnect_at_) {
      if (Status opened = OpenSocket(); !opened.ok()) {
        MDETR_LOG_WARN("{}", opened.ToString());
        reconnect_at_ = now + backoff_.Next();
        continue;
      }
      ++reconnects_;
      liveness_.Heard(now);
      SendHeartbeat();
      next_beat = now + hb.interval;
    } else if (socket_open_ && now >= next_beat) {
      SendHeartbeat();
      next_beat = now + hb.interval;
    }
    while (socket_open_ && !parked_.empty()) {
      SendFrame(parked_.front());
      parked_.pop_front();
    }
  }
}

void Client::Impl::DeclareLost(MonoTime now) {
  const Duration delay = backoff_.Next();
  MDETR_LOG_WARN("lost the coordinator at {}: nothing heard for {} ms; reconnecting in {} ms",
                 options_.endpoint, Millis(now - liveness_.last_heard()), Millis(delay));
  FailPending(UnavailableError("lost the connection to " + options_.endpoint + ": nothing heard for " +
                               std::to_string(Millis(now - liveness_.last_heard())) + " ms"));
  // Paranoid Pirate: a fresh socket drops whatever ZeroMQ still queues for the dead connection.
  CloseSocket();
  reconnect_at_ = now + delay;
  server_instance_ = 0;  // whoever answers next is the server we register with
  if (connected_.exchange(false) && on_connection_) on_connection_(false);
}

void Client::Impl::ReceiveAll(MonoTime now) {
  for (int i = 0; i < 256; ++i) {
    zmq::message_t frame;
    try {
      if (!dealer_.recv(frame, zmq::recv_flags::dontwait)) return;
    } catch (const zmq::error_t& e) {
      MDETR_LOG_WARN("client receive failed: {}", e.what());
      return;
    }
    // A multi-frame message is not ours; drain its remaining parts and skip it.
    bool extra_parts = frame.more();
    while (frame.more()) {
      if (!dealer_.recv(frame, zmq::recv_flags::dontwait)) break;
    }
    if (extra_parts) {
      MDETR_LOG_WARN("ignored a multi-frame message from {}", options_.endpoint);
      continue;
    }
    Result<wire::Envelope> message = wire::Decode(frame.to_string_view(), options_.limits);
    if (!message.ok()) {
      MDETR_LOG_WARN("ignored a message from {}: {}", options_.endpoint, message.status().ToString());
      continue;
    }
    liveness_.Heard(now);
    backoff_.Reset();
    if (!connected_.exchange(true)) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        handshake_error_.clear();
      }
      if (on_connection_) on_connection_(true);
    }
    if (const auto* beat = std::get_if<wire::Heartbeat>(&message->body); beat && beat->sender_instance != 0) {
      // ZeroMQ reconnects below us, so a server restarted within our liveness timeout looks like
      // the same connection: only its new instance id says that it forgot us.
      if (server_instance_ != 0 && beat->sender_instance != server_instance_ && on_connection_) {
        MDETR_LOG_INFO("{} restarted; connecting again", options_.endpoint);
        on_connection_(false);
        on_connection_(true);
      }
      server_instance_ = beat->sender_instance;
    }
    Deliver(std::move(message).value());
  }
}

void Client::Impl::Deliver(wire::Envelope message) {
  if (wire::Holds<wire::Heartbeat>(message)) return;
  if (message.request_id != 0) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = pending_.find(message.request_id);
    if (it != pending_.end()) {
      if (const auto* error = std::get_if<wire::ErrorReply>(&message.body)) {
        it->second.set_value(wire::StatusFromError(*error));
      } else {
        it->second.set_value(std::move(message));
      }
      pending_.erase(it);
      return;
    }
  }
  if (on_message_) on_message_(message);
}

void Client::Impl::ReadMonitorEvents() {
  for (int i = 0; i < 16; ++i) {
    zmq::message_t event;
    zmq::message_t address;
    try {
      if (!monitor_.recv(event, zmq::recv_flags::dontwait)) return;
      if (event.more() && !monitor_.recv(address, zmq::recv_flags::dontwait)) return;
    } catch (const zmq::error_t&) {
      return;
    }
    if (event.size() < 6) continue;
    uint16_t id = 0;
    uint32_t value = 0;
    std::memcpy(&id, event.data(), sizeof(id));
    std::memcpy(&value, static_cast<const char*>(event.data()) + sizeof(id), sizeof(value));
    const std::string why = DescribeHandshakeFailure(id, value);
    {
      // ZeroMQ retries the handshake every reconnect interval; say it once, not every time.
      std::lock_guard<std::mutex> lock(mu_);
      if (why != handshake_error_) MDETR_LOG_WARN("{}: {}", options_.endpoint, why);
      handshake_error_ = why;
    }
    // A refused key or a CURVE/plain mismatch cannot heal by retrying: tell the callers now
    // instead of at their timeout. Other failures may be a server restarting mid-handshake.
    if (id == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH || id == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL) {
      FailPending(FailedPreconditionError("cannot talk to " + options_.endpoint + ": " + why));
    }
  }
}

void Client::Impl::SendFrame(const std::string& frame) {
  try {
    if (!dealer_.send(zmq::buffer(frame), zmq::send_flags::dontwait)) {
      MDETR_LOG_WARN("dropped a message to {}: send queue full", options_.endpoint);
    }
  } catch (const zmq::error_t& e) {
    MDETR_LOG_WARN("send to {} failed: {}", options_.endpoint, e.what());
  }
}

void Client::Impl::SendHeartbeat() {
  Result<std::string> frame =
      EncodeWithId(wire::Heartbeat{++heartbeat_seq_, SystemClock::Instance().WallMillis()}, 0);
  if (frame.ok()) SendFrame(*frame);
}

void Client::Impl::FailPending(const Status& status) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [id, promise] : pending_) promise.set_value(status);
  pending_.clear();
}

Result<std::string> Client::Impl::EncodeWithId(wire::Body body, uint64_t id) const {
  wire::Envelope envelope;
  envelope.request_id = id;
  envelope.sender = options_.name;
  envelope.body = std::move(body);
  return wire::Encode(envelope);
}

Result<wire::Envelope> Client::Impl::Call(wire::Body request, Duration timeout) {
  const std::string kind = wire::MessageKindName(request);
  const uint64_t id = next_request_id_++;
  MDETR_ASSIGN_OR_RETURN(std::string frame, EncodeWithId(std::move(request), id));
  std::future<Result<wire::Envelope>> reply;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stop_) return CancelledError("client stopped");
    reply = pending_[id].get_future();
  }
  outbox_.Push(std::move(frame));
  if (reply.wait_for(timeout) != std::future_status::ready) {
    std::string handshake_error;
    bool timed_out = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      // Still pending means no reply; otherwise it landed between the wait and the lock.
      if (auto it = pending_.find(id); it != pending_.end()) {
        pending_.erase(it);
        timed_out = true;
        handshake_error = handshake_error_;
      }
    }
    if (timed_out) {
      return DeadlineExceededError(
          "no reply from " + options_.endpoint + " to " + kind + " (request " + std::to_string(id) +
          ") within " + std::to_string(Millis(timeout)) + " ms; " +
          (handshake_error.empty() ? "is the coordinator running and reachable?" : handshake_error));
    }
  }
  return reply.get();
}

Result<uint64_t> Client::Impl::Send(wire::Body message) {
  const uint64_t id = next_request_id_++;
  MDETR_ASSIGN_OR_RETURN(std::string frame, EncodeWithId(std::move(message), id));
  outbox_.Push(std::move(frame));
  return id;
}

Result<ClientCurve> LoadClientCurve(const std::string& client_secret_path,
                                    const std::string& server_public_path) {
  ClientCurve curve;
  MDETR_ASSIGN_OR_RETURN(curve.client_keys, ReadCurveKeyPair(client_secret_path));
  MDETR_ASSIGN_OR_RETURN(curve.server_public_key, ReadCurvePublicKey(server_public_path));
  return curve;
}

Result<std::unique_ptr<Client>> Client::Connect(ClientOptions options, MessageHandler on_message,
                                                ConnectionHandler on_connection) {
  auto impl = std::make_unique<Impl>(std::move(options), std::move(on_message), std::move(on_connection));
  MDETR_RETURN_IF_ERROR(impl->Validate());
  MDETR_RETURN_IF_ERROR(impl->OpenSocket());
  impl->StartThread();
  return std::unique_ptr<Client>(new Client(std::move(impl)));
}

Client::Client(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Client::~Client() { Stop(); }
Result<wire::Envelope> Client::Call(wire::Body request, Duration timeout) {
  return impl_->Call(std::move(request), timeout);
}
Result<uint64_t> Client::Send(wire::Body message) { return impl_->Send(std::move(message)); }
bool Client::connected() const { return impl_->connected_; }
uint64_t Client::reconnects() const { return impl_->reconnects_; }
void Client::Stop() { impl_->Stop(); }

}  // namespace mdetr::transport
