#include "common/transport/endpoint.h"

namespace mdetr::transport {

bool IsLocalOnlyEndpoint(const std::string& endpoint) {
  if (endpoint.rfind("ipc://", 0) == 0 || endpoint.rfind("inproc://", 0) == 0) return true;
  const std::string tcp = "tcp://";
  if (endpoint.rfind(tcp, 0) != 0) return false;
  std::string host = endpoint.substr(tcp.size());
  // "tcp://[::1]:5555" or "tcp://127.0.0.1:5555"; a ZeroMQ source spec "src;dst" binds dst.
  if (const size_t semicolon = host.find(';'); semicolon != std::string::npos)
    host = host.substr(semicolon + 1);
  if (!host.empty() && host[0] == '[') {
    const size_t close = host.find(']');
    return close != std::string::npos && host.substr(1, close - 1) == "::1";
  }
  host = host.substr(0, host.rfind(':'));
  const bool ipv4_literal = host.find_first_not_of("0123456789.") == std::string::npos;
  return host == "localhost" || host == "lo" || (ipv4_literal && host.rfind("127.", 0) == 0);
}

}  // namespace mdetr::transport
