#include "model/io/atomic_file.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace mdetr::io {
namespace {

std::string Folder(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

Status ErrnoError(const std::string& what, int err) {
  std::string message = what + ": " + std::strerror(err);
  if (err == ENOSPC || err == EDQUOT) return ResourceExhaustedError(message);
  if (err == ENOENT) return NotFoundError(message);
  return FailedPreconditionError(message);
}

}  // namespace

Result<AtomicFileWriter> AtomicFileWriter::Create(const std::string& path) {
  std::string pattern = path + ".tmp-XXXXXX";
  std::vector<char> buf(pattern.begin(), pattern.end());
  buf.push_back('\0');
  int fd = ::mkstemp(buf.data());
  if (fd < 0) return ErrnoError(path + ": cannot create a temporary file in " + Folder(path), errno);
  ::fchmod(fd, 0644);  // mkstemp makes it 0600; checkpoints are meant to be shared
  return AtomicFileWriter(path, std::string(buf.data()), fd);
}

AtomicFileWriter::AtomicFileWriter(AtomicFileWriter&& other) noexcept
    : path_(std::move(other.path_)),
      temp_path_(std::move(other.temp_path_)),
      fd_(other.fd_),
      offset_(other.offset_),
      committed_(other.committed_) {
  other.fd_ = -1;
  other.committed_ = true;  // the moved-from object owns nothing to clean up
}

AtomicFileWriter::~AtomicFileWriter() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_ && !temp_path_.empty()) ::unlink(temp_path_.c_str());
}

Status AtomicFileWriter::Write(const void* data, size_t size) {
  if (fd_ < 0) return FailedPreconditionError(path_ + ": write after commit");
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    // Linux writes at most ~2 GB per call; large tensors go through in chunks.
    size_t chunk = size < (size_t{1} << 30) ? size : (size_t{1} << 30);
    ssize_t n = ::write(fd_, p, chunk);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError(path_ + ": write failed", errno);
    }
    p += n;
    size -= static_cast<size_t>(n);
    offset_ += static_cast<uint64_t>(n);
  }
  return Status::Ok();
}

Status AtomicFileWriter::WriteZeros(size_t size) {
  static const char kZeros[256] = {};
  while (size > 0) {
    size_t n = size < sizeof(kZeros) ? size : sizeof(kZeros);
    MDETR_RETURN_IF_ERROR(Write(kZeros, n));
    size -= n;
  }
  return Status::Ok();
}

Status AtomicFileWriter::Commit() {
  if (fd_ < 0) return FailedPreconditionError(path_ + ": already committed");
  if (::fsync(fd_) != 0) return ErrnoError(path_ + ": fsync failed", errno);
  int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) return ErrnoError(path_ + ": close failed", errno);
  if (::rename(temp_path_.c_str(), path_.c_str()) != 0) return ErrnoError(path_ + ": rename failed", errno);
  committed_ = true;
  // Make the rename itself durable.
  int dir = ::open(Folder(path_).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
  return Status::Ok();
}

}  // namespace mdetr::io
