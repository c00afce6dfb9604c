// The server and client over real sockets on 127.0.0.1 with ephemeral ports.
#include <atomic>
#include <chrono>
#include <fstream>
#include <functional>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>
#include <zmq.hpp>
#include <zmq_addon.hpp>

#include "common/transport/client.h"
#include "common/transport/server.h"
#include "tests/support/test_paths.h"
#include "tests/wire/sample_messages.h"

namespace mdetr::transport {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

constexpr auto kCallTimeout = milliseconds(3000);

bool WaitFor(const std::function<bool()>& condition, milliseconds timeout = milliseconds(5000)) {
  const auto deadline = steady_clock::now() + timeout;
  while (steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(milliseconds(5));
  }
  return condition();
}

// Fast enough for short tests, slack enough (500 ms of silence) for a loaded CI machine.
HeartbeatOptions FastHeartbeat() { return HeartbeatOptions{milliseconds(100), 5}; }

// Answers every request with its own body, so a round trip shows what the server decoded.
std::optional<wire::Envelope> Echo(const Peer&, const wire::Envelope& request) {
  wire::Envelope reply;
  reply.body = request.body;
  return reply;
}

std::unique_ptr<Server> StartServer(ServerOptions options, Server::Handler handler = Echo,
                                    Server::PeerLostHandler on_lost = nullptr) {
  Result<std::unique_ptr<Server>> server =
      Server::Start(std::move(options), std::move(handler), std::move(on_lost));
  EXPECT_TRUE(server.ok()) << server.status();
  return server.ok() ? std::move(server).value() : nullptr;
}

ServerOptions LoopbackServer(const std::string& endpoint = "tcp://127.0.0.1:0") {
  ServerOptions options;
  options.endpoint = endpoint;
  options.heartbeat = FastHeartbeat();
  return options;
}

std::unique_ptr<Client> ConnectClient(ClientOptions options, Client::MessageHandler on_message = nullptr,
                                      Client::ConnectionHandler on_connection = nullptr) {
  Result<std::unique_ptr<Client>> client =
      Client::Connect(std::move(options), std::move(on_message), std::move(on_connection));
  EXPECT_TRUE(client.ok()) << client.status();
  return client.ok() ? std::move(client).value() : nullptr;
}

ClientOptions ClientOf(const std::string& endpoint, const std::string& name = "worker-1") {
  ClientOptions options;
  options.endpoint = endpoint;
  options.name = name;
  options.heartbeat = FastHeartbeat();
  options.reconnect_min = milliseconds(20);
  options.reconnect_max = milliseconds(200);
  return options;
}

TEST(TransportTest, EveryMessageKindCrossesTheWire) {
  auto server = StartServer(LoopbackServer());
  ASSERT_NE(server, nullptr);
  EXPECT_FALSE(server->curve_enabled());
  EXPECT_NE(server->endpoint().find("tcp://127.0.0.1:"), std::string::npos);
  EXPECT_EQ(server->endpoint().find(":0"), std::string::npos) << "the real port is reported";
  auto client = ConnectClient(ClientOf(server->endpoint()));
  ASSERT_NE(client, nullptr);
  for (const wire::Body& body : wire::testing::OneOfEachKind()) {
    if (std::holds_alternative<wire::Heartbeat>(body)) continue;  // consumed by the transport
    Result<wire::Envelope> reply = client->Call(body, kCallTimeout);
    if (std::holds_alternative<wire::ErrorReply>(body)) {
      // An error reply comes back to the caller as its Status.
      EXPECT_EQ(reply.status().code(), StatusCode::kNotFound);
      continue;
    }
    ASSERT_TRUE(reply.ok()) << wire::MessageKindName(body) << ": " << reply.status();
    EXPECT_TRUE(reply->body == body) << wire::MessageKindName(body);
    EXPECT_EQ(reply->sender, "coordinator");
  }
  EXPECT_TRUE(client->connected());
}

TEST(TransportTest, RequestIdsMatchRepliesUnderConcurrentCalls) {
  auto server = StartServer(LoopbackServer());
  ASSERT_NE(server, nullptr);
  auto client = ConnectClient(ClientOf(server->endpoint()));
  std::vector<std::thread> threads;
  std::atomic<int> mismatches{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 25; ++i) {
        const std::string job = "job-" + std::to_string(t) + "-" + std::to_string(i);
        Result<wire::Envelope> reply = client->Call(wire::GetJobStatus{job}, kCallTimeout);
        if (!reply.ok() || std::get<wire::GetJobStatus>(reply->body).job_id != job) ++mismatches;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(mismatches, 0);
}

// A raw DEALER, to send what our client never would.
class RawDealer {
 public:
  explicit RawDealer(const std::string& endpoint) : socket_(context_, zmq::socket_type::dealer) {
    socket_.set(zmq::sockopt::linger, 0);
    socket_.set(zmq::sockopt::rcvtimeo, 3000);
    socket_.connect(endpoint);
  }
  void SendFrames(const std::vector<std::string>& frames) {
    std::vector<zmq::const_buffer> parts;
    for (const std::string& frame : frames) parts.push_back(zmq::buffer(frame));
    zmq::send_multipart(socket_, parts);
  }
  Result<wire::Envelope> Receive() {
    zmq::message_t frame;
    if (!socket_.recv(frame)) return DeadlineExceededError("no reply");
    return wire::Decode(frame.to_string_view());
  }
  // The next message that is not a heartbeat.
  Result<wire::Envelope> ReceiveReply() {
    for (;;) {
      Result<wire::Envelope> message = Receive();
      if (!message.ok() || !wire::Holds<wire::Heartbeat>(*message)) return message;
    }
  }
  std::string Encode(wire::Body body, uint64_t id) {
    wire::Envelope envelope;
    envelope.request_id = id;
    envelope.sender = "raw";
    envelope.body = std::move(body);
    return wire::Encode(envelope).value();
  }

 private:
  zmq::context_t context_;
  zmq::socket_t socket_;
};

TEST(TransportTest, BadFramesAreRefusedWithAnErrorAndTheServerKeepsServing) {
  ServerOptions options = LoopbackServer();
  options.limits.max_frame_bytes = 4096;
  std::atomic<int> handled{0};
  auto server = StartServer(options, [&](const Peer& peer, const wire::Envelope& request) {
    ++handled;
    return Echo(peer, request);
  });
  ASSERT_NE(server, nullptr);
  RawDealer raw(server->endpoint());

  const std::string valid = raw.Encode(wire::GetJobStatus{"job-1"}, 11);
  wire::SubmitJob big;
  big.config_yaml = std::string(8000, 'y');
  const std::vector<std::vector<std::string>> bad = {
      {"garbage, not a message"},           // misaligned garbage
      {std::string(64, '\xff')},            // aligned garbage
      {valid.substr(0, valid.size() - 8)},  // truncated
      {raw.Encode(big, 12)},                // over the 4096-byte limit
      {valid, valid},                       // two frames in one message
  };
  for (const auto& frames : bad) {
    raw.SendFrames(frames);
    Result<wire::Envelope> reply = raw.ReceiveReply();
    ASSERT_TRUE(reply.ok()) << reply.status();
    ASSERT_TRUE(wire::Holds<wire::ErrorReply>(*reply)) << wire::MessageKindName(reply->body);
    EXPECT_EQ(std::get<wire::ErrorReply>(reply->body).code, StatusCode::kInvalidArgument);
    EXPECT_NE(std::get<wire::ErrorReply>(reply->body).message.find("refused frame"), std::string::npos);
  }
  EXPECT_EQ(server->frames_refused(), bad.size());
  EXPECT_EQ(handled, 0);

  raw.SendFrames({valid});
  Result<wire::Envelope> reply = raw.ReceiveReply();
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->request_id, 11u);
  ASSERT_TRUE(wire::Holds<wire::GetJobStatus>(*reply));
  EXPECT_EQ(std::get<wire::GetJobStatus>(reply->body).job_id, "job-1");
  EXPECT_EQ(handled, 1);

  // And a well-behaved client on another connection is served as usual.
  auto client = ConnectClient(ClientOf(server->endpoint()));
  EXPECT_TRUE(client->Call(wire::ListWorkers{}, kCallTimeout).ok());
}

struct CurveSetup {
  CurveKeyPair server = GenerateCurveKeyPair().value();
  CurveKeyPair allowed = GenerateCurveKeyPair().value();
  CurveKeyPair stranger = GenerateCurveKeyPair().value();
};

TEST(TransportTest, CurveServerAdmitsOnlyAuthorisedKeys) {
  CurveSetup keys;
  ServerOptions options = LoopbackServer();
  options.security = Security::kCurve;
  options.curve_keys = keys.server;
  options.authorized_keys = {keys.allowed.public_key};
  std::mutex mu;
  std::vector<std::string> seen_keys;
  auto server = StartServer(options, [&](const Peer& peer, const wire::Envelope& request) {
    std::lock_guard<std::mutex> lock(mu);
    seen_keys.push_back(peer.public_key);
    return Echo(peer, request);
  });
  ASSERT_NE(server, nullptr);
  EXPECT_TRUE(server->curve_enabled());

  ClientOptions authorised = ClientOf(server->endpoint(), "worker-ok");
  authorised.curve = ClientCurve{keys.allowed, keys.server.public_key};
  auto good = ConnectClient(authorised);
  Result<wire::Envelope> reply = good->Call(wire::ListJobs{}, kCallTimeout);
  ASSERT_TRUE(reply.ok()) << reply.status();

  ClientOptions unknown = ClientOf(server->endpoint(), "worker-unknown");
  unknown.curve = ClientCurve{keys.stranger, keys.server.public_key};
  Result<wire::Envelope> refused = ConnectClient(unknown)->Call(wire::ListJobs{}, milliseconds(1500));
  EXPECT_FALSE(refused.ok());
  EXPECT_TRUE(refused.status().code() == StatusCode::kFailedPrecondition ||
              refused.status().code() == StatusCode::kDeadlineExceeded)
      << refused.status();
  EXPECT_NE(refused.status().message().find("CURVE key"), std::string::npos) << refused.status();

  ClientOptions plain = ClientOf(server->endpoint(), "worker-plain");
  EXPECT_FALSE(ConnectClient(plain)->Call(wire::ListJobs{}, milliseconds(1000)).ok());

  ClientOptions wrong_server_key = ClientOf(server->endpoint(), "worker-misconfigured");
  wrong_server_key.curve = ClientCurve{keys.allowed, keys.stranger.public_key};
  EXPECT_FALSE(ConnectClient(wrong_server_key)->Call(wire::ListJobs{}, milliseconds(1000)).ok());

  EXPECT_GE(server->clients_refused(), 1u);
  std::lock_guard<std::mutex> lock(mu);
  EXPECT_EQ(seen_keys, (std::vector<std::string>{keys.allowed.public_key}));
}

TEST(TransportTest, CurveKeysFromFilesLetAWorkerIn) {
  const std::string dir = testing::MakeTempDir("curve-files");
  ASSERT_TRUE(WriteCurveKeyPair(dir, "coordinator", GenerateCurveKeyPair().value()).ok());
  ASSERT_TRUE(WriteCurveKeyPair(dir, "worker-1", GenerateCurveKeyPair().value()).ok());
  const std::string allow_list = dir + "/authorized_keys";
  {
    std::ofstream out(allow_list);
    out << "# workers allowed to join\n"
        << ReadCurvePublicKey(dir + "/worker-1.pub").value() << " worker-1\n";
  }
  ServerOptions options = LoopbackServer();
  options.security = Security::kCurve;
  ASSERT_TRUE(LoadServerCurve(dir + "/coordinator.secret", allow_list, &options).ok());
  auto server = StartServer(options);
  ASSERT_NE(server, nullptr);

  ClientOptions worker = ClientOf(server->endpoint());
  Result<ClientCurve> curve = LoadClientCurve(dir + "/worker-1.secret", dir + "/coordinator.pub");
  ASSERT_TRUE(curve.ok()) << curve.status();
  worker.curve = *curve;
  Result<wire::Envelope> reply = ConnectClient(worker)->Call(wire::ListWorkers{}, kCallTimeout);
  EXPECT_TRUE(reply.ok()) << reply.status();

  EXPECT_EQ(LoadClientCurve(dir + "/missing.secret", dir + "/coordinator.pub").status().code(),
            StatusCode::kNotFound);
}

TEST(TransportTest, CurveIsOnByDefaultOffLoopback) {
  ServerOptions open = LoopbackServer("tcp://0.0.0.0:0");
  Result<std::unique_ptr<Server>> refused = Server::Start(open, Echo);
  EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(refused.status().message().find("CURVE"), std::string::npos) << refused.status();

  CurveSetup keys;
  open.curve_keys = keys.server;
  Result<std::unique_ptr<Server>> no_clients = Server::Start(open, Echo);
  EXPECT_EQ(no_clients.status().code(), StatusCode::kFailedPrecondition) << no_clients.status();

  open.authorized_keys = {keys.allowed.public_key};
  auto secured = StartServer(open);
  ASSERT_NE(secured, nullptr);
  EXPECT_TRUE(secured->curve_enabled());
  // Reached through loopback, the all-interfaces server still demands the key.
  const std::string port = secured->endpoint().substr(secured->endpoint().rfind(':'));
  ClientOptions worker = ClientOf("tcp://127.0.0.1" + port);
  EXPECT_FALSE(ConnectClient(worker)->Call(wire::ListWorkers{}, milliseconds(500)).ok());
  worker.curve = ClientCurve{keys.allowed, keys.server.public_key};
  Result<wire::Envelope> admitted = ConnectClient(worker)->Call(wire::ListWorkers{}, kCallTimeout);
  EXPECT_TRUE(admitted.ok()) << admitted.status();

  auto loopback = StartServer(LoopbackServer());
  ASSERT_NE(loopback, nullptr);
  EXPECT_FALSE(loopback->curve_enabled());
}

TEST(TransportTest, ServerDeclaresASilentPeerLost) {
  std::mutex mu;
  std::vector<std::string> lost;
  auto server = StartServer(LoopbackServer(), Echo, [&](const Peer& peer) {
    std::lock_guard<std::mutex> lock(mu);
    lost.push_back(peer.sender);
  });
  ASSERT_NE(server, nullptr);
  // A live client keeps heartbeating; the raw one says hello once and then stays connected but silent.
  auto live = ConnectClient(ClientOf(server->endpoint(), "worker-live"));
  RawDealer silent(server->endpoint());
  silent.SendFrames({silent.Encode(wire::Heartbeat{1, 0}, 0)});

  const auto start = steady_clock::now();
  ASSERT_TRUE(WaitFor([&] {
    std::lock_guard<std::mutex> lock(mu);
    return !lost.empty();
  }));
  const auto took = std::chrono::duration_cast<milliseconds>(steady_clock::now() - start);
  EXPECT_GE(took.count(), 400);  // not before interval * liveness = 500 ms (minus scheduling slack)
  EXPECT_LT(took.count(), 3000);
  std::this_thread::sleep_for(milliseconds(300));
  std::lock_guard<std::mutex> lock(mu);
  EXPECT_EQ(lost, (std::vector<std::string>{"raw"}));
}

TEST(TransportTest, ClientDeclaresASilentServerLost) {
  // A raw ROUTER that answers the client's first heartbeat and then never again.
  zmq::context_t context;
  zmq::socket_t router(context, zmq::socket_type::router);
  router.set(zmq::sockopt::linger, 0);
  router.set(zmq::sockopt::rcvtimeo, 3000);
  router.bind("tcp://127.0.0.1:*");
  const std::string endpoint = router.get(zmq::sockopt::last_endpoint);

  std::mutex mu;
  std::vector<bool> transitions;
  auto client = ConnectClient(ClientOf(endpoint), nullptr, [&](bool connected) {
    std::lock_guard<std::mutex> lock(mu);
    transitions.push_back(connected);
  });
  std::vector<zmq::message_t> hello;
  ASSERT_TRUE(zmq::recv_multipart(router, std::back_inserter(hello)));
  wire::Envelope beat;
  beat.sender = "silent-coordinator";
  beat.body = wire::Heartbeat{1, 0};
  const std::string frame = wire::Encode(beat).value();
  std::array<zmq::const_buffer, 2> reply = {zmq::buffer(hello[0].data(), hello[0].size()),
                                            zmq::buffer(frame)};
  zmq::send_multipart(router, reply);

  ASSERT_TRUE(WaitFor([&] {
    std::lock_guard<std::mutex> lock(mu);
    return transitions.size() >= 2;
  }));
  std::lock_guard<std::mutex> lock(mu);
  EXPECT_EQ(transitions[0], true);
  EXPECT_EQ(transitions[1], false);
  EXPECT_FALSE(client->connected());
  EXPECT_TRUE(WaitFor([&] { return client->reconnects() >= 1; }));
}

TEST(TransportTest, CallFailsWithinItsTimeoutWhenTheServerIsGone) {
  auto server = StartServer(LoopbackServer());
  ASSERT_NE(server, nullptr);
  const std::string endpoint = server->endpoint();
  auto client = ConnectClient(ClientOf(endpoint));
  ASSERT_TRUE(client->Call(wire::ListJobs{}, kCallTimeout).ok());
  server.reset();

  const auto start = steady_clock::now();
  Result<wire::Envelope> reply = client->Call(wire::ListJobs{}, milliseconds(400));
  const auto took = std::chrono::duration_cast<milliseconds>(steady_clock::now() - start);
  EXPECT_TRUE(reply.status().code() == StatusCode::kDeadlineExceeded ||
              reply.status().code() == StatusCode::kUnavailable)
      << reply.status();
  EXPECT_NE(reply.status().message().find(endpoint), std::string::npos) << reply.status();
  EXPECT_LT(took.count(), 1000);
}

TEST(TransportTest, CallToACoordinatorThatNeverStartedTimesOutClearly) {
  ClientOptions options = ClientOf("tcp://127.0.0.1:1");     // nothing listens on port 1
  options.heartbeat = HeartbeatOptions{milliseconds(0), 0};  // as the CLI runs: no heartbeats
  auto client = ConnectClient(options);
  const auto start = steady_clock::now();
  Result<wire::Envelope> reply = client->Call(wire::ListJobs{}, milliseconds(300));
  const auto took = std::chrono::duration_cast<milliseconds>(steady_clock::now() - start);
  EXPECT_EQ(reply.status().code(), StatusCode::kDeadlineExceeded);
  EXPECT_NE(reply.status().message().find("no reply from tcp://127.0.0.1:1 to list_jobs"), std::string::npos)
      << reply.status();
  EXPECT_GE(took.count(), 290);
  EXPECT_LT(took.count(), 1000);
}

TEST(TransportTest, ClientReconnectsAfterServerRestart) {
  auto server = StartServer(LoopbackServer());
  ASSERT_NE(server, nullptr);
  const std::string endpoint = server->endpoint();  // the same port again after the restart
  std::atomic<int> ups{0};
  std::atomic<int> downs{0};
  auto client =
      ConnectClient(ClientOf(endpoint), nullptr, [&](bool connected) { ++(connected ? ups : downs); });
  ASSERT_TRUE(client->Call(wire::ListJobs{}, kCallTimeout).ok());
  EXPECT_EQ(ups, 1);

  server.reset();
  ASSERT_TRUE(WaitFor([&] { return downs >= 1; })) << "the client never noticed the server was gone";
  server = StartServer(LoopbackServer(endpoint));
  ASSERT_NE(server, nullptr);

  ASSERT_TRUE(WaitFor([&] { return ups >= 2; })) << "the client never came back";
  Result<wire::Envelope> reply = client->Call(wire::GetJobStatus{"job-9"}, kCallTimeout);
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(std::get<wire::GetJobStatus>(reply->body).job_id, "job-9");
  EXPECT_GE(client->reconnects(), 1u);
}

TEST(TransportTest, AServerRestartedWithinTheLivenessTimeoutIsNoticed) {
  // Liveness far longer than the restart: only the server's instance id can tell.
  auto options = LoopbackServer();
  options.heartbeat.interval = milliseconds(50);
  options.heartbeat.liveness = 200;
  auto server = StartServer(options);
  ASSERT_NE(server, nullptr);
  const std::string endpoint = server->endpoint();
  std::atomic<int> ups{0};
  std::atomic<int> downs{0};
  auto client_options = ClientOf(endpoint);
  client_options.heartbeat = options.heartbeat;
  auto client = ConnectClient(client_options, nullptr, [&](bool connected) { ++(connected ? ups : downs); });
  ASSERT_TRUE(WaitFor([&] { return ups >= 1; }));
  std::this_thread::sleep_for(milliseconds(200));  // a few heartbeats: the first instance is known
  EXPECT_EQ(downs, 0);

  server.reset();
  options.endpoint = endpoint;
  server = StartServer(options);
  ASSERT_NE(server, nullptr);
  ASSERT_TRUE(WaitFor([&] { return ups >= 2; })) << "a worker would never register with the new coordinator";
  EXPECT_EQ(downs, 1);
  EXPECT_TRUE(client->Call(wire::ListJobs{}, kCallTimeout).ok());
}

TEST(TransportTest, ServerCanAnswerLaterFromAnotherThread) {
  std::atomic<Server*> server_ptr{nullptr};
  std::mutex mu;
  std::vector<std::thread> answerers;
  auto server = StartServer(LoopbackServer(), [&](const Peer& peer, const wire::Envelope& request) {
    // As the coordinator does when the answer waits for a synced commit: reply off the I/O thread.
    std::lock_guard<std::mutex> lock(mu);
    answerers.emplace_back([&server_ptr, peer, request] {
      std::this_thread::sleep_for(milliseconds(50));
      wire::Envelope reply;
      reply.request_id = request.request_id;
      reply.body = wire::Ack{"committed " + std::get<wire::CancelJob>(request.body).job_id};
      EXPECT_TRUE(server_ptr.load()->Send(peer.routing_id, reply).ok());
    });
    return std::optional<wire::Envelope>();
  });
  ASSERT_NE(server, nullptr);
  server_ptr = server.get();
  auto client = ConnectClient(ClientOf(server->endpoint()));
  Result<wire::Envelope> reply = client->Call(wire::CancelJob{"job-4", "user asked"}, kCallTimeout);
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(std::get<wire::Ack>(reply->body).message, "committed job-4");
  std::lock_guard<std::mutex> lock(mu);
  for (std::thread& answerer : answerers) answerer.join();
}

TEST(TransportTest, ServerPushesMessagesToAConnectedWorker) {
  std::mutex mu;
  std::string worker_routing_id;
  auto server = StartServer(LoopbackServer(), [&](const Peer& peer, const wire::Envelope& request) {
    if (wire::Holds<wire::RegisterWorker>(request)) {
      std::lock_guard<std::mutex> lock(mu);
      worker_routing_id = peer.routing_id;
    }
    return Echo(peer, request);
  });
  ASSERT_NE(server, nullptr);
  std::vector<wire::Envelope> pushed;
  auto worker = ConnectClient(ClientOf(server->endpoint(), "worker-3"), [&](const wire::Envelope& message) {
    std::lock_guard<std::mutex> lock(mu);
    pushed.push_back(message);
  });
  wire::RegisterWorker hello;
  hello.worker_id = "worker-3";
  ASSERT_TRUE(worker->Call(hello, kCallTimeout).ok());

  wire::Envelope place;
  place.body =
      wire::PlaceAttempt{"attempt-1", "job-1", "task-0", 1, 0, 1, {0}, 4, "127.0.0.1", 29500, "", "", {}};
  {
    std::lock_guard<std::mutex> lock(mu);
    ASSERT_TRUE(server->Send(worker_routing_id, place).ok());
  }
  ASSERT_TRUE(WaitFor([&] {
    std::lock_guard<std::mutex> lock(mu);
    return !pushed.empty();
  }));
  std::lock_guard<std::mutex> lock(mu);
  ASSERT_TRUE(wire::Holds<wire::PlaceAttempt>(pushed[0]));
  EXPECT_EQ(std::get<wire::PlaceAttempt>(pushed[0].body).attempt_id, "attempt-1");
  EXPECT_EQ(pushed[0].sender, "coordinator");
}

}  // namespace
}  // namespace mdetr::transport
