#include "cli/ml/data_command.h"

#include <chrono>
#include <iostream>
#include <memory>

#include "datasets/synthetic/generator.h"

namespace mdetr::cli {

void AddDataCommands(CLI::App& app, int* exit_code) {
  auto* data = app.add_subcommand("data", "Datasets: generate, inspect");
  data->require_subcommand(1);
  auto opt = std::make_shared<synthetic::SyntheticOptions>();
  auto* synth = data->add_subcommand("synth", "Generate the synthetic grounding dataset (MDETR annotation format)");
  synth->add_option("--out", opt->out_dir, "Output folder")->required();
  synth->add_option("--images", opt->num_images, "Number of images (train + val)")->capture_default_str();
  synth->add_option("--seed", opt->seed, "Seed: same seed, byte-identical output")->capture_default_str();
  synth->add_option("--val-fraction", opt->val_fraction, "Share of images in the held-out split")->capture_default_str();
  synth->add_option("--min-size", opt->scene.min_size, "Smallest image edge (px)")->capture_default_str();
  synth->add_option("--max-size", opt->scene.max_size, "Largest image edge (px)")->capture_default_str();
  synth->add_option("--max-objects", opt->scene.max_objects, "Most shapes per image")->capture_default_str();
  synth->add_option("--shape-percent", opt->scene.small_shape_percent,
                    "Edge of a small shape in % of the image's short side (large: twice)")
      ->check(CLI::Range(2, 45))
      ->capture_default_str();
  synth->callback([opt, exit_code] {
    const auto t0 = std::chrono::steady_clock::now();
    const Status s = synthetic::GenerateSyntheticDataset(*opt);
    if (!s.ok()) {
      std::cerr << "mdetr data synth: " << s.message() << "\n";
      *exit_code = 2;
      return;
    }
    std::cout << "wrote " << opt->num_images << " images to " << opt->out_dir << " in "
              << std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() << " s\n";
  });
}

}  // namespace mdetr::cli
