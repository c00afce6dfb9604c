#include "model/objective/box_ops.h"

namespace mdetr::objective {

torch::Tensor BoxCxcywhToXyxy(const torch::Tensor& b) {
  auto u = b.unbind(-1);
  return torch::stack({u[0] - 0.5 * u[2], u[1] - 0.5 * u[3], u[0] + 0.5 * u[2], u[1] + 0.5 * u[3]}, -1);
}

torch::Tensor BoxXyxyToCxcywh(const torch::Tensor& b) {
  auto u = b.unbind(-1);
  return torch::stack({(u[0] + u[2]) / 2, (u[1] + u[3]) / 2, u[2] - u[0], u[3] - u[1]}, -1);
}

namespace {
torch::Tensor Area(const torch::Tensor& b) {
  return (b.select(1, 2) - b.select(1, 0)) * (b.select(1, 3) - b.select(1, 1));
}
}  // namespace

std::pair<torch::Tensor, torch::Tensor> BoxIou(const torch::Tensor& a, const torch::Tensor& b) {
  const auto area_a = Area(a), area_b = Area(b);
  const auto lt = torch::max(a.unsqueeze(1).narrow(2, 0, 2), b.narrow(1, 0, 2));
  const auto rb = torch::min(a.unsqueeze(1).narrow(2, 2, 2), b.narrow(1, 2, 2));
  const auto wh = (rb - lt).clamp_min(0);
  const auto inter = wh.select(2, 0) * wh.select(2, 1);
  const auto uni = area_a.unsqueeze(1) + area_b - inter;
  return {inter / uni, uni};
}

torch::Tensor GeneralizedBoxIou(const torch::Tensor& a, const torch::Tensor& b) {
  auto [iou, uni] = BoxIou(a, b);
  const auto lt = torch::min(a.unsqueeze(1).narrow(2, 0, 2), b.narrow(1, 0, 2));
  const auto rb = torch::max(a.unsqueeze(1).narrow(2, 2, 2), b.narrow(1, 2, 2));
  const auto wh = (rb - lt).clamp_min(0);
  const auto area = wh.select(2, 0) * wh.select(2, 1);
  return iou - (area - uni) / area;
}

}  // namespace mdetr::objective
