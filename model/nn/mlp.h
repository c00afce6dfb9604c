// A stack of Linear layers with ReLU between them (DETR's MLP): `layers.0`, `layers.1`, ...
#pragma once

#include <torch/torch.h>

namespace mdetr::model {

class MlpImpl : public torch::nn::Module {
 public:
  MlpImpl(int64_t input_dim, int64_t hidden_dim, int64_t output_dim, int64_t num_layers);
  torch::Tensor forward(torch::Tensor x);

 private:
  std::vector<torch::nn::Linear> layers_;
};
TORCH_MODULE(Mlp);

}  // namespace mdetr::model
