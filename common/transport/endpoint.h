// ZeroMQ endpoint strings: which ones stay on this machine.
#pragma once

#include <string>

namespace mdetr::transport {

// True for endpoints no other machine can reach: tcp on 127.0.0.0/8, ::1 or "localhost", and
// ipc:// or inproc://. CURVE is on by default for every other endpoint.
bool IsLocalOnlyEndpoint(const std::string& endpoint);

}  // namespace mdetr::transport
