// Small helpers shared by the server and the client over cppzmq.
#pragma once

#include <string>

#include <zmq.hpp>

#include "common/status.h"

namespace mdetr::transport {

// A Status for a failed ZeroMQ call, with the code chosen by what the caller can do about it.
Status ZmqError(const std::string& what, const zmq::error_t& error);

// A metadata property of a received frame ("User-Id", "Peer-Address"), empty if absent.
std::string MessageProperty(zmq::message_t& message, const char* name);

}  // namespace mdetr::transport
