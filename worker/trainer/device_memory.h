// GPU memory use of this process, for the step events users watch: what tensors hold now, the
// peak since the last reset, and what the caching allocator has reserved from the driver.
#pragma once

#include <optional>

#include <torch/torch.h>

namespace mdetr::trainer {

struct DeviceMemory {
  double allocated_mb = 0;
  double peak_allocated_mb = 0;
  double reserved_mb = 0;
};

// Empty for a CPU device or a build without CUDA.
std::optional<DeviceMemory> ReadDeviceMemory(const torch::Device& device);

// Starts a new peak window (called after each report, so each report shows its interval's peak).
void ResetPeakDeviceMemory(const torch::Device& device);

}  // namespace mdetr::trainer
