// A queue that other threads push into and that wakes a zmq_poll loop through an eventfd.
//
// ZeroMQ sockets belong to one thread (the transport's I/O thread); callers on other threads hand
// their frames over through an Outbox, whose fd() the I/O thread polls next to its sockets.
#pragma once

#include <deque>
#include <mutex>
#include <utility>

namespace mdetr::transport {

// The eventfd half, not templated.
class WakeupFd {
 public:
  WakeupFd();
  ~WakeupFd();
  WakeupFd(const WakeupFd&) = delete;
  WakeupFd& operator=(const WakeupFd&) = delete;

  bool ok() const { return fd_ >= 0; }
  int fd() const { return fd_; }
  void Signal();  // thread-safe
  void Drain();   // by the polling thread, before it empties the queue

 private:
  int fd_ = -1;
};

template <typename T>
class Outbox {
 public:
  bool ok() const { return wakeup_.ok(); }
  int fd() const { return wakeup_.fd(); }

  // Thread-safe.
  void Push(T item) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      items_.push_back(std::move(item));
    }
    wakeup_.Signal();
  }
  void Wake() { wakeup_.Signal(); }

  // By the polling thread: everything pushed so far, in order.
  std::deque<T> TakeAll() {
    wakeup_.Drain();
    std::lock_guard<std::mutex> lock(mu_);
    return std::exchange(items_, {});
  }

 private:
  WakeupFd wakeup_;
  std::mutex mu_;
  std::deque<T> items_;
};

}  // namespace mdetr::transport
