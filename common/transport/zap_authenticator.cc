#include "common/transport/zap_authenticator.h"

#include <zmq_addon.hpp>

#include "common/logging.h"

namespace mdetr::transport {
namespace {
constexpr char kZapEndpoint[] = "inproc://zeromq.zap.01";
constexpr size_t kCurveKeyBytes = 32;
}  // namespace

ZapAuthenticator::ZapAuthenticator(const std::vector<std::string>& authorized_z85_keys)
    : authorized_(authorized_z85_keys.begin(), authorized_z85_keys.end()) {}

Status ZapAuthenticator::Bind(zmq::context_t& context) {
  try {
    socket_ = zmq::socket_t(context, zmq::socket_type::rep);
    socket_.set(zmq::sockopt::linger, 0);
    socket_.bind(kZapEndpoint);
  } catch (const zmq::error_t& e) {
    return InternalError(std::string("cannot start the CURVE authenticator: ") + e.what());
  }
  return Status::Ok();
}

void ZapAuthenticator::AnswerOne() {
  std::vector<zmq::message_t> request;
  try {
    if (!zmq::recv_multipart(socket_, std::back_inserter(request), zmq::recv_flags::dontwait)) return;
  } catch (const zmq::error_t& e) {
    MDETR_LOG_WARN("ZAP: cannot read a request: {}", e.what());
    return;
  }
  // Frames: version, request id, domain, address, routing id, mechanism, credentials...
  const bool well_formed = request.size() >= 6 && request[0].to_string_view() == "1.0";
  std::string address = request.size() > 3 ? request[3].to_string() : "?";
  std::string client_key;
  bool allowed = false;
  if (well_formed && request[5].to_string_view() == "CURVE" && request.size() >= 7 &&
      request[6].size() == kCurveKeyBytes) {
    char z85[41] = {};
    zmq_z85_encode(z85, static_cast<const uint8_t*>(request[6].data()), kCurveKeyBytes);
    client_key = z85;
    allowed = authorized_.count(client_key) > 0;
  }
  if (!allowed) {
    ++refused_;
    MDETR_LOG_WARN(
        "refused a client from {}: {}", address,
        client_key.empty() ? "not a CURVE handshake" : "public key " + client_key + " is not authorised");
  }
  std::vector<zmq::message_t> reply;
  reply.emplace_back(std::string_view("1.0"));
  reply.emplace_back(request.size() > 1 ? request[1].to_string_view() : std::string_view());
  reply.emplace_back(std::string_view(allowed ? "200" : "400"));
  reply.emplace_back(std::string_view(allowed ? "OK" : "key not authorised"));
  reply.emplace_back(std::string_view(allowed ? client_key : ""));
  reply.emplace_back(std::string_view());
  try {
    zmq::send_multipart(socket_, reply);
  } catch (const zmq::error_t& e) {
    MDETR_LOG_WARN("ZAP: cannot reply: {}", e.what());
  }
}

}  // namespace mdetr::transport
