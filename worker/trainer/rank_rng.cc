#include "worker/trainer/rank_rng.h"

#include <ATen/Context.h>

#include <string>
#include <vector>

namespace mdetr::trainer {
namespace {

at::Generator DefaultGenerator(const torch::Device& device) {
  return device.is_cuda() ? at::globalContext().defaultGenerator(device) : at::detail::getDefaultCPUGenerator();
}

// Every rank's `mine` as the rows of one [world, bytes] tensor: each rank fills its own row of a
// zero buffer and the sum over ranks assembles them (byte values are exact in doubles).
Result<torch::Tensor> GatherRows(Collective& collective, const torch::Tensor& mine) {
  const auto bytes = mine.contiguous().to(torch::kCPU);
  const int64_t n = bytes.numel();
  const int world = collective.world_size();
  std::vector<double> buffer(static_cast<size_t>(n) * static_cast<size_t>(world), 0.0);
  const uint8_t* data = bytes.const_data_ptr<uint8_t>();
  for (int64_t i = 0; i < n; ++i) buffer[static_cast<size_t>(collective.rank() * n + i)] = data[i];
  MDETR_ASSIGN_OR_RETURN(auto summed, collective.AllReduceSum(buffer));
  auto rows = torch::empty({world, n}, torch::kUInt8);
  uint8_t* out = rows.data_ptr<uint8_t>();
  for (size_t i = 0; i < summed.size(); ++i) out[i] = static_cast<uint8_t>(summed[i]);
  return rows;
}

}  // namespace

Result<RankRngStates> GatherRngStates(Collective& collective, const torch::Device& device) {
  RankRngStates states;
  MDETR_ASSIGN_OR_RETURN(states.cpu, GatherRows(collective, at::detail::getDefaultCPUGenerator().get_state()));
  if (device.is_cuda()) {
    MDETR_ASSIGN_OR_RETURN(states.cuda, GatherRows(collective, DefaultGenerator(device).get_state()));
  }
  return states;
}

Status RestoreRngStates(const RankRngStates& states, int rank, const torch::Device& device) {
  auto row = [&](const torch::Tensor& rows) -> torch::Tensor {
    // A copy with its own storage: given the row as a view into the [world, bytes] tensor,
    // set_state rejected rank 1's valid state as "Invalid mt19937 state".
    return rows.defined() && rows.dim() == 2 && rank < rows.size(0) ? rows[rank].clone() : torch::Tensor();
  };
  const auto cpu = row(states.cpu);
  const auto cuda = device.is_cuda() ? row(states.cuda) : torch::Tensor();
  if (!cpu.defined() || (device.is_cuda() && !cuda.defined())) {
    return NotFoundError("the checkpoint holds the random generator states of " +
                         std::to_string(states.cpu.defined() ? states.cpu.size(0) : 0) + " ranks, none for rank " +
                         std::to_string(rank));
  }
  try {
    at::Generator cpu_generator = at::detail::getDefaultCPUGenerator();
    cpu_generator.set_state(cpu);
    if (cuda.defined()) {
      at::Generator cuda_generator = DefaultGenerator(device);
      cuda_generator.set_state(cuda);
    }
  } catch (const std::exception& e) {
    return DataLossError(std::string("cannot restore the random generator state: ") + e.what());
  }
  return Status::Ok();
}

}  // namespace mdetr::trainer
