#include "worker/trainer/precision.h"

#include <ATen/autocast_mode.h>

namespace mdetr::trainer {

AutocastScope::AutocastScope(torch::Device device, bool bf16) : device_type_(device.type()) {
  if (!bf16) return;
  active_ = true;
  was_enabled_ = at::autocast::is_autocast_enabled(device_type_);
  was_dtype_ = at::autocast::get_autocast_dtype(device_type_);
  at::autocast::set_autocast_enabled(device_type_, true);
  at::autocast::set_autocast_dtype(device_type_, torch::kBFloat16);
  at::autocast::increment_nesting();
}

AutocastScope::~AutocastScope() {
  if (!active_) return;
  // Leaving the outermost scope frees the casted weight copies autocast caches.
  if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
  at::autocast::set_autocast_enabled(device_type_, was_enabled_);
  at::autocast::set_autocast_dtype(device_type_, was_dtype_);
}

model::MdetrOutputs ToFloat32(model::MdetrOutputs out) {
  auto cast = [](torch::Tensor& t) {
    if (t.defined() && t.is_floating_point() && t.scalar_type() != torch::kFloat32) t = t.to(torch::kFloat32);
  };
  cast(out.pred_logits);
  cast(out.pred_boxes);
  cast(out.proj_queries);
  cast(out.proj_tokens);
  cast(out.pred_isfinal);
  cast(out.hs);
  for (auto& [name, t] : out.answers) cast(t);
  return out;
}

void ToChannelsLast(torch::nn::Module& module) {
  torch::NoGradGuard no_grad;
  for (auto& p : module.parameters()) {
    if (p.dim() == 4) p.set_data(p.data().contiguous(torch::MemoryFormat::ChannelsLast));
  }
  for (auto& b : module.buffers()) {
    if (b.dim() == 4) b.set_data(b.data().contiguous(torch::MemoryFormat::ChannelsLast));
  }
}

}  // namespace mdetr::trainer
