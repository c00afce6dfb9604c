// Encoding and decoding of Envelopes to and from one ZeroMQ frame (a flat Cap'n Proto message).
//
// Decode treats its input as hostile: frames over the size limit are refused before parsing, the
// Cap'n Proto reader runs with traversal and nesting limits, and every failure (truncated,
// misaligned, garbage, unknown message kind, unsupported version) comes back as a Status; no
// exception escapes. Thread-safe: no shared state.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"
#include "common/wire/messages.h"

namespace mdetr::wire {

struct DecodeLimits {
  // Frames larger than this are refused unread.
  size_t max_frame_bytes = 16u << 20;
  // Cap'n Proto traversal limit: words the reader may visit, which bounds amplification by
  // pointers that alias the same data. 8-byte words.
  uint64_t traversal_limit_words = 4u << 20;
  // Depth of nested structs and lists; our schema needs less than 8.
  int nesting_limit = 16;
};

// Serialises `envelope` as a flat Cap'n Proto message (a multiple of 8 bytes). Fails only for
// messages Cap'n Proto cannot represent (e.g. a list of more than 2^29 elements).
Result<std::string> Encode(const Envelope& envelope);

// Parses one frame. Errors: kInvalidArgument for malformed, truncated or oversized frames;
// kFailedPrecondition for a protocol version this build no longer speaks; kUnimplemented for a
// message kind added by a newer version.
Result<Envelope> Decode(std::string_view frame, const DecodeLimits& limits = {});

}  // namespace mdetr::wire
