#include "worker/trainer/device_memory.h"

#if MDETR_HAS_CUDA
#include <c10/cuda/CUDACachingAllocator.h>
#endif

namespace mdetr::trainer {

std::optional<DeviceMemory> ReadDeviceMemory(const torch::Device& device) {
#if MDETR_HAS_CUDA
  if (!device.is_cuda()) return std::nullopt;
  const auto index = device.has_index() ? device.index() : c10::DeviceIndex{0};
  const auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(index);
  constexpr size_t kAll = static_cast<size_t>(c10::CachingAllocator::StatType::AGGREGATE);
  constexpr double kMb = 1024.0 * 1024.0;
  DeviceMemory m;
  m.allocated_mb = static_cast<double>(stats.allocated_bytes[kAll].current) / kMb;
  m.peak_allocated_mb = static_cast<double>(stats.allocated_bytes[kAll].peak) / kMb;
  m.reserved_mb = static_cast<double>(stats.reserved_bytes[kAll].current) / kMb;
  return m;
#else
  (void)device;
  return std::nullopt;
#endif
}

void ResetPeakDeviceMemory(const torch::Device& device) {
#if MDETR_HAS_CUDA
  if (!device.is_cuda()) return;
  c10::cuda::CUDACachingAllocator::resetPeakStats(device.has_index() ? device.index() : c10::DeviceIndex{0});
#else
  (void)device;
#endif
}

}  // namespace mdetr::trainer
