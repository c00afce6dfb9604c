#include "common/transport/zmq_util.h"

#include <cerrno>

namespace mdetr::transport {

Status ZmqError(const std::string& what, const zmq::error_t& error) {
  const std::string message = what + ": " + error.what();
  switch (error.num()) {
    case EADDRINUSE:
    case EADDRNOTAVAIL:
    case EAGAIN:
    case EHOSTUNREACH:
      return UnavailableError(message);
    case EINVAL:
    case EPROTONOSUPPORT:
    case ENODEV:
      return InvalidArgumentError(message);
    case ETERM:
      return CancelledError(message);
    default:
      return InternalError(message);
  }
}

std::string MessageProperty(zmq::message_t& message, const char* name) {
  const char* value = zmq_msg_gets(message.handle(), name);
  return value != nullptr ? std::string(value) : std::string();
}

}  // namespace mdetr::transport
