// Heartbeat liveness and reconnect back-off, as pure logic over a monotonic time so that both
// are tested without sockets or sleeping (the Paranoid Pirate pattern of the ZeroMQ guide).
#pragma once

#include <chrono>

#include "common/clock.h"

namespace mdetr::transport {

struct HeartbeatOptions {
  // How often each side sends a heartbeat; zero turns heartbeats and liveness off.
  Duration interval = std::chrono::seconds(1);
  // A peer silent for interval * liveness is declared lost.
  int liveness = 5;

  bool enabled() const { return interval.count() > 0 && liveness > 0; }
  Duration expiry() const { return interval * liveness; }
};

// When a peer was last heard from, and whether that is too long ago. Not thread-safe.
class Liveness {
 public:
  Liveness(HeartbeatOptions options, MonoTime now) : options_(options), last_heard_(now) {}
  void Heard(MonoTime now) { last_heard_ = now; }
  bool Expired(MonoTime now) const { return options_.enabled() && now - last_heard_ > options_.expiry(); }
  MonoTime last_heard() const { return last_heard_; }

 private:
  HeartbeatOptions options_;
  MonoTime last_heard_;
};

// Exponential back-off between reconnect attempts: min, 2*min, 4*min, ... capped at max, back
// to min after Reset() (a successful exchange). Not thread-safe.
class Backoff {
 public:
  Backoff(Duration min, Duration max) : min_(min), max_(max), next_(min) {}
  Duration Next() {
    const Duration current = next_;
    next_ = next_ * 2 > max_ ? max_ : next_ * 2;
    return current;
  }
  void Reset() { next_ = min_; }

 private:
  Duration min_;
  Duration max_;
  Duration next_;
};

}  // namespace mdetr::transport
