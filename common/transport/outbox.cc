#include "common/transport/outbox.h"

#include <cstdint>

#include <sys/eventfd.h>
#include <unistd.h>

namespace mdetr::transport {

WakeupFd::WakeupFd() : fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {}

WakeupFd::~WakeupFd() {
  if (fd_ >= 0) ::close(fd_);
}

void WakeupFd::Signal() {
  const uint64_t one = 1;
  // A full counter (EAGAIN) already means "wake up", so the result needs no handling.
  [[maybe_unused]] const ssize_t n = ::write(fd_, &one, sizeof(one));
}

void WakeupFd::Drain() {
  uint64_t count = 0;
  [[maybe_unused]] const ssize_t n = ::read(fd_, &count, sizeof(count));
}

}  // namespace mdetr::transport
