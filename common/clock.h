// An injectable clock. Code that schedules, times out or stamps events asks a Clock for the time,
// so tests (and the pure scheduler core) can run on simulated time.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace mdetr {

using Duration = std::chrono::nanoseconds;
// Monotonic time since an arbitrary epoch; only differences are meaningful.
using MonoTime = std::chrono::time_point<std::chrono::steady_clock, Duration>;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual MonoTime Now() const = 0;
  // Wall-clock time in milliseconds since the Unix epoch, for records a person reads.
  virtual int64_t WallMillis() const = 0;
};

// The real clocks of the machine.
class SystemClock final : public Clock {
 public:
  MonoTime Now() const override;
  int64_t WallMillis() const override;
  // A shared instance; it has no state.
  static const SystemClock& Instance();
};

// A clock that only moves when told to. Thread-safe.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(int64_t wall_millis_at_zero = 1'700'000'000'000) : wall_at_zero_(wall_millis_at_zero) {}
  MonoTime Now() const override { return MonoTime(Duration(nanos_.load())); }
  int64_t WallMillis() const override {
    return wall_at_zero_ + nanos_.load() / 1'000'000;
  }
  void Advance(Duration d) { nanos_ += d.count(); }

 private:
  int64_t wall_at_zero_;
  std::atomic<int64_t> nanos_{0};
};

}  // namespace mdetr
