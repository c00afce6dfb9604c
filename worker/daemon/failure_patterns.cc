#include "worker/daemon/failure_patterns.h"

#include <array>
#include <fstream>

namespace mdetr::worker {
namespace {

// Messages of the libraries and kernel below us that mean the node (GPU, interconnect, disk,
// memory) failed. Matched case-sensitively, as the libraries print them.
constexpr std::array<std::string_view, 14> kInfrastructurePatterns = {
    "NCCL error",
    "ncclSystemError",
    "ncclRemoteError",
    "ncclInternalError",
    "CUDA error: an illegal memory access",  // also what an Xid / ECC fault looks like to the process
    "CUDA error: uncorrectable ECC error",
    "CUDA error: unspecified launch failure",
    "CUDA driver version is insufficient",
    "cudaErrorDevicesUnavailable",
    "No space left on device",
    "Connection reset by peer",
    "Input/output error",
    "Bus error",
    "std::bad_alloc",
};

}  // namespace

std::optional<FailureMatch> FindInfrastructureFailure(std::string_view log_tail) {
  for (std::string_view pattern : kInfrastructurePatterns) {
    if (log_tail.find(pattern) != std::string_view::npos) return FailureMatch{std::string(pattern)};
  }
  return std::nullopt;
}

std::string ReadTail(const std::string& path, size_t max_bytes) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) return {};
  const std::streamoff size = in.tellg();
  const std::streamoff start = size > static_cast<std::streamoff>(max_bytes) ? size - static_cast<std::streamoff>(max_bytes) : 0;
  in.seekg(start);
  std::string tail(static_cast<size_t>(size - start), '\0');
  in.read(tail.data(), static_cast<std::streamsize>(tail.size()));
  tail.resize(static_cast<size_t>(in.gcount()));
  return tail;
}

}  // namespace mdetr::worker
