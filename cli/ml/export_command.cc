#include "cli/ml/export_command.h"

#include <torch/torch.h>

#include <iostream>
#include <memory>

#include "common/config/experiment.h"
#include "model/io/torch_writer.h"
#include "model/nn/mdetr.h"
#include "model/nn/state_dict.h"
#include "model/nn/synthetic_weights.h"

namespace mdetr::cli {
namespace {

struct ExportOptions {
  std::string config;
  std::string out;
  bool synthetic_weights = false;
};

int RunExport(const ExportOptions& opt) {
  auto cfg = config::LoadExperiment(opt.config);
  if (!cfg.ok()) {
    std::cerr << cfg.status().message() << "\n";
    return 2;
  }
  if (!opt.synthetic_weights) {
    std::cerr << "mdetr export: pass --synthetic-weights (exporting trained checkpoints needs the trainer)\n";
    return 2;
  }
  model::Mdetr net(cfg->model);
  model::FillSyntheticWeights(*net);
  const auto sd = model::NamedStateDict(*net);
  io::StateDict views;
  for (const auto& [name, t] : sd) {
    auto owner = std::make_shared<torch::Tensor>(t.contiguous());  // keeps the bytes alive for the view
    const io::DType dtype = owner->scalar_type() == torch::kInt64 ? io::DType::kInt64 : io::DType::kFloat32;
    if (auto s = views.Add(name, io::TensorView::Contiguous(dtype, owner->sizes().vec(), owner->data_ptr(), owner));
        !s.ok()) {
      std::cerr << s.message() << "\n";
      return 2;
    }
  }
  io::TorchSaveOptions save;
  save.top_level_key = "model";
  if (auto s = io::SaveTorchStateDict(opt.out, views, save); !s.ok()) {
    std::cerr << "mdetr export: " << s.message() << "\n";
    return 2;
  }
  std::cout << "wrote " << opt.out << " (" << sd.size() << " tensors, " << cfg->model.backbone << ")\n";
  return 0;
}

}  // namespace

void AddExportCommand(CLI::App& app, int* exit_code) {
  auto opt = std::make_shared<ExportOptions>();
  auto* cmd = app.add_subcommand("export", "Write a model as a reference-layout .pth checkpoint");
  cmd->add_option("--config", opt->config, "Experiment or model config (YAML)")->required();
  cmd->add_option("--out", opt->out, "Output .pth")->required();
  cmd->add_flag("--synthetic-weights", opt->synthetic_weights, "Use formula-defined weights (model/nn/synthetic_weights.h)");
  cmd->callback([opt, exit_code] { *exit_code = RunExport(*opt); });
}

}  // namespace mdetr::cli
