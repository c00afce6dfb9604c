// One AdamW step and one EMA update over tensors shaped like the released MDETR's trainable
// parameters (optimizer_shapes.txt): the reference's Python (optimizer_step.py), LibTorch's
// torch::optim::AdamW, and what our trainer runs (FusedAdamW, ModelEma), in one run.
//
//   build/bench/trainer/optimizer_bench [--threads 2] [--repeats 5] [--python PATH]
#include <torch/torch.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "model/objective/fused_adamw.h"
#include "model/objective/optim_recipe.h"

namespace {

std::vector<std::vector<int64_t>> ReadShapes(const std::string& path) {
  std::vector<std::vector<int64_t>> shapes;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    line = line.substr(0, line.find('#'));
    std::istringstream fields(line);
    int count = 0;
    std::string dims;
    if (!(fields >> count >> dims)) continue;
    std::vector<int64_t> shape;
    std::istringstream parts(dims);
    for (std::string d; std::getline(parts, d, 'x');) shape.push_back(std::stoll(d));
    for (int i = 0; i < count; ++i) shapes.push_back(shape);
  }
  return shapes;
}

template <typename F>
double MedianMs(F&& fn, int repeats) {
  fn();
  std::vector<double> ms;
  for (int i = 0; i < repeats; ++i) {
    const auto t = std::chrono::steady_clock::now();
    fn();
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count());
  }
  std::sort(ms.begin(), ms.end());
  return ms[ms.size() / 2];
}

std::vector<torch::Tensor> Parameters(const std::vector<std::vector<int64_t>>& shapes) {
  std::vector<torch::Tensor> params;
  for (const auto& s : shapes) {
    auto p = (torch::randn(s) * 0.02).requires_grad_();
    p.mutable_grad() = torch::randn(s) * 1e-3;
    params.push_back(p);
  }
  return params;
}

double AdamWMs(const std::vector<std::vector<int64_t>>& shapes, bool fused, int repeats) {
  auto params = Parameters(shapes);
  const auto options = torch::optim::AdamWOptions(1e-4).weight_decay(1e-4);
  std::unique_ptr<torch::optim::Optimizer> opt;
  if (fused) opt = std::make_unique<mdetr::objective::FusedAdamW>(std::vector<torch::optim::OptimizerParamGroup>{
                       torch::optim::OptimizerParamGroup(params)}, options);
  else opt = std::make_unique<torch::optim::AdamW>(params, options);
  return MedianMs([&] { opt->step(); }, repeats);
}

// A module holding the tensors, so ModelEma averages them by name as it does a model.
struct Holder : torch::nn::Module {
  explicit Holder(const std::vector<std::vector<int64_t>>& shapes) {
    for (size_t i = 0; i < shapes.size(); ++i) register_parameter("p" + std::to_string(i), torch::randn(shapes[i]));
  }
};

double EmaMs(const std::vector<std::vector<int64_t>>& shapes, bool ours, int repeats) {
  Holder model(shapes);
  mdetr::objective::ModelEma ema(model);
  const double decay = 0.9998;
  if (ours) return MedianMs([&] { ema.Update(model, decay); }, repeats);
  // The reference's expression with LibTorch's tensor operations.
  auto averages = ema.mutable_state();
  auto params = model.named_parameters();
  torch::NoGradGuard ng;
  return MedianMs(
      [&] {
        for (auto& p : params) {
          auto& a = averages[p.key()];
          a.copy_(a * decay + (1.0 - decay) * p.value());
        }
      },
      repeats);
}

std::string RunCapture(const std::string& cmd) {
  std::string out;
  FILE* pipe = popen(cmd.c_str(), "r");
  if (pipe == nullptr) return out;
  std::array<char, 4096> buf{};
  while (fgets(buf.data(), buf.size(), pipe) != nullptr) out += buf.data();
  pclose(pipe);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  int threads = 2, repeats = 5;
  std::string python = std::string(MDETR_SOURCE_DIR) + "/.venv/bin/python";
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--threads") threads = std::stoi(v);
    else if (k == "--repeats") repeats = std::stoi(v);
    else if (k == "--python") python = v;
    else {
      std::cerr << "usage: optimizer_bench [--threads T] [--repeats R] [--python PATH]\n";
      return 2;
    }
  }
  torch::set_num_threads(threads);
  const std::string dir = MDETR_BENCH_DIR;
  const auto shapes = ReadShapes(dir + "/optimizer_shapes.txt");
  int64_t n = 0;
  for (const auto& s : shapes) n += c10::multiply_integers(s);

  nlohmann::json ref;
  const std::string out = RunCapture("'" + python + "' '" + dir + "/optimizer_step.py' --threads " +
                                     std::to_string(threads) + " --repeats " + std::to_string(repeats) + " 2>&1");
  try {
    ref = nlohmann::json::parse(out.substr(out.rfind('{')));
  } catch (const std::exception&) {
    std::cerr << "optimizer_bench: the reference side failed (" << python << "): " << out << "\n";
    return 1;
  }
  const double libtorch_adamw = AdamWMs(shapes, false, repeats);
  const double fused_adamw = AdamWMs(shapes, true, repeats);
  const double libtorch_ema = EmaMs(shapes, false, repeats);
  const double our_ema = EmaMs(shapes, true, repeats);

  std::printf("%zu tensors, %.1f M parameters, %d threads, median of %d\n", shapes.size(), n / 1e6, threads, repeats);
  std::printf("%-7s %16s %16s %10s %16s\n", "step", "reference ms", "LibTorch ms", "ours ms", "ref / ours");
  std::printf("%-7s %16.0f %16.0f %10.0f %15.2fx\n", "AdamW", ref.value("adamw_ms", 0.0), libtorch_adamw, fused_adamw,
              ref.value("adamw_ms", 0.0) / fused_adamw);
  std::printf("%-7s %16.0f %16.0f %10.0f %15.2fx\n", "EMA", ref.value("ema_ms", 0.0), libtorch_ema, our_ema,
              ref.value("ema_ms", 0.0) / our_ema);
  std::printf("(reference: PyTorch's single-tensor AdamW and the reference's EMA expression, Python; LibTorch:\n"
              " torch::optim::AdamW and the same expression in C++; ours: FusedAdamW and ModelEma)\n");
  return 0;
}
