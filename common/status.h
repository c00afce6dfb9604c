// Status and Result<T>: errors as values at module boundaries.
//
// Codes are chosen by what the caller should do about them (see Action): fix its input, retry
// later, or give up. The OK status holds no allocation, so returning it costs nothing.
#pragma once

#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <variant>

namespace mdetr {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,     // Malformed input: config, annotation, request, image. Fix the input.
  kNotFound,            // A named thing does not exist. Fix the input.
  kAlreadyExists,       // Creating something that exists. Usually fine to treat as success.
  kFailedPrecondition,  // The system is not in a state where this works. Fix the state first.
  kOutOfRange,          // A value past a valid range (e.g. caption over 256 tokens).
  kUnavailable,         // Transient: a peer is down or busy. Retry with backoff.
  kDeadlineExceeded,    // Transient: timed out. Retry with backoff.
  kResourceExhausted,   // Out of memory, disk, GPUs. Retry later or ask for less.
  kAborted,             // Lost a race or was fenced. Retry the whole operation.
  kCancelled,           // The caller asked to stop.
  kDataLoss,            // Corrupted or truncated data. Give up on this input, fall back.
  kUnimplemented,       // Not supported by this build or version.
  kInternal,            // A bug. Give up and report.
};

// What a caller should do with a failed status.
enum class Action { kNone, kFixInput, kRetry, kGiveUp };

const char* StatusCodeName(StatusCode code);
Action ActionFor(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(StatusCode code, std::string message);

  static Status Ok() { return Status(); }

  bool ok() const { return state_ == nullptr; }
  StatusCode code() const { return state_ ? state_->code : StatusCode::kOk; }
  const std::string& message() const;
  Action action() const { return ActionFor(code()); }
  bool retryable() const { return action() == Action::kRetry; }

  // Returns a copy whose message is prefixed by `context: `, keeping the code.
  Status WithContext(const std::string& context) const;

  // "INVALID_ARGUMENT: message", or "OK".
  std::string ToString() const;

  friend bool operator==(const Status& a, const Status& b) {
    return a.code() == b.code() && a.message() == b.message();
  }

 private:
  struct State {
    StatusCode code;
    std::string message;
  };
  std::shared_ptr<const State> state_;
};

std::ostream& operator<<(std::ostream& os, const Status& status);

// Factories, one per code, in the style of absl::InvalidArgumentError.
Status InvalidArgumentError(std::string message);
Status NotFoundError(std::string message);
Status AlreadyExistsError(std::string message);
Status FailedPreconditionError(std::string message);
Status OutOfRangeError(std::string message);
Status UnavailableError(std::string message);
Status DeadlineExceededError(std::string message);
Status ResourceExhaustedError(std::string message);
Status AbortedError(std::string message);
Status CancelledError(std::string message);
Status DataLossError(std::string message);
Status UnimplementedError(std::string message);
Status InternalError(std::string message);

// A value or the Status explaining why there is none.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : data_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(Status status) : data_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    if (std::get<Status>(data_).ok()) {
      data_ = InternalError("Result constructed from an OK status without a value");
    }
  }

  bool ok() const { return std::holds_alternative<T>(data_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(data_);
  }

  // Preconditions: ok(). Checked: calling these on an error is a programming bug.
  T& value() & { return CheckedValue(); }
  const T& value() const& { return const_cast<Result*>(this)->CheckedValue(); }
  T&& value() && { return std::move(CheckedValue()); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  T value_or(T fallback) const { return ok() ? std::get<T>(data_) : std::move(fallback); }

 private:
  T& CheckedValue();
  std::variant<T, Status> data_;
};

[[noreturn]] void DieOnBadResultAccess(const Status& status);

template <typename T>
T& Result<T>::CheckedValue() {
  if (!ok()) DieOnBadResultAccess(std::get<Status>(data_));
  return std::get<T>(data_);
}

}  // namespace mdetr

#define MDETR_STATUS_CONCAT_INNER(a, b) a##b
#define MDETR_STATUS_CONCAT(a, b) MDETR_STATUS_CONCAT_INNER(a, b)

// Returns the status from the enclosing function if `expr` is not OK.
#define MDETR_RETURN_IF_ERROR(expr)                \
  do {                                             \
    ::mdetr::Status mdetr_status_ = (expr);        \
    if (!mdetr_status_.ok()) return mdetr_status_; \
  } while (false)

// `MDETR_ASSIGN_OR_RETURN(auto x, Compute());` unwraps a Result or returns its status.
#define MDETR_ASSIGN_OR_RETURN(lhs, expr) \
  MDETR_ASSIGN_OR_RETURN_IMPL(MDETR_STATUS_CONCAT(mdetr_result_, __LINE__), lhs, expr)
#define MDETR_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                \
  if (!tmp.ok()) return tmp.status();               \
  lhs = std::move(tmp).value()
