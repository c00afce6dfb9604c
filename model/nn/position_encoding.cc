#include "model/nn/position_encoding.h"

#include <cmath>

namespace mdetr::model {

PositionEmbeddingSineImpl::PositionEmbeddingSineImpl(int64_t num_pos_feats, double temperature)
    : num_pos_feats_(num_pos_feats), temperature_(temperature) {}

torch::Tensor PositionEmbeddingSineImpl::forward(const torch::Tensor& mask) {
  constexpr double kEps = 1e-6;
  const double scale = 2 * M_PI;
  const auto not_mask = mask.logical_not();
  auto y = not_mask.cumsum(1, torch::kFloat32);
  auto x = not_mask.cumsum(2, torch::kFloat32);
  y = y / (y.narrow(1, y.size(1) - 1, 1) + kEps) * scale;
  x = x / (x.narrow(2, x.size(2) - 1, 1) + kEps) * scale;

  auto dim_t = torch::arange(num_pos_feats_, mask.options().dtype(torch::kFloat32));
  dim_t = torch::pow(temperature_, 2 * torch::floor_divide(dim_t, 2) / static_cast<double>(num_pos_feats_));

  auto encode = [&](const torch::Tensor& v) {
    auto p = v.unsqueeze(-1) / dim_t;  // [B,H,W,F]
    using torch::indexing::Slice;
    auto s = p.index({"...", Slice(0, torch::indexing::None, 2)}).sin();
    auto c = p.index({"...", Slice(1, torch::indexing::None, 2)}).cos();
    return torch::stack({s, c}, 4).flatten(3);
  };
  return torch::cat({encode(y), encode(x)}, 3).permute({0, 3, 1, 2});
}

}  // namespace mdetr::model
