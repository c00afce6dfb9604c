// The ZAP (ZeroMQ Authentication Protocol, RFC 27) handler of a CURVE server: it admits clients
// whose public key is on the allow-list and refuses every other one during the handshake, so a
// refused client never reaches the application.
//
// Lives on the server's I/O thread, which polls socket() and calls AnswerOne() when it is readable.
#pragma once

#include <atomic>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include <zmq.hpp>

#include "common/status.h"

namespace mdetr::transport {

class ZapAuthenticator {
 public:
  explicit ZapAuthenticator(const std::vector<std::string>& authorized_z85_keys);

  // Binds the well-known ZAP endpoint of `context`; must precede the server socket's bind.
  Status Bind(zmq::context_t& context);
  zmq::socket_t& socket() { return socket_; }

  // Reads one request and replies 200 (user id = the client's Z85 key) or 400.
  void AnswerOne();

  uint64_t refused() const { return refused_.load(); }

 private:
  std::set<std::string> authorized_;
  zmq::socket_t socket_;
  std::atomic<uint64_t> refused_{0};  // read by other threads
};

}  // namespace mdetr::transport
