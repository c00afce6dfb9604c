#include "cli/ml/predict_command.h"

#include <torch/torch.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "datasets/annotations/coco_dataset.h"
#include "datasets/image/codec.h"
#include "datasets/image/draw.h"
#include "model/text/roberta_tokenizer.h"
#include "worker/inference/checkpoint_model.h"
#include "worker/inference/postprocess.h"
#include "worker/inference/preprocess.h"
#if MDETR_HAS_TRAINER
#include "common/config/experiment.h"
#include "model/nn/state_dict.h"
#include "worker/trainer/checkpoint.h"
#endif

namespace mdetr::cli {
namespace fs = std::filesystem;
namespace {

struct PredictOptions {
  std::string checkpoint;
  std::string image;  // a file or a folder
  std::string caption;
  std::string annotations;  // or: an MDETR annotation file (images with captions) ...
  std::string images_root;  // ... whose file_names are relative to this folder
  std::string out = "out/predict";
  std::string tokenizer_dir = "../shared/data/tokenizer/roberta-base";
  std::string device = "cpu";
  int threads = 0;
  int size = 800;
  int max_size = 1333;
  float threshold = 0.7f;
  bool json = false;
};

const image::Rgb kPalette[] = {{230, 25, 75}, {60, 180, 75}, {0, 130, 200}, {245, 130, 48},
                               {145, 30, 180}, {70, 240, 240}, {240, 50, 230}, {128, 128, 0}};

std::vector<std::string> ImagesOf(const std::string& path) {
  std::vector<std::string> files;
  if (fs::is_directory(path)) {
    for (const auto& e : fs::directory_iterator(path)) {
      const auto ext = e.path().extension().string();
      if (ext == ".jpg" || ext == ".jpeg" || ext == ".png" || ext == ".JPG" || ext == ".PNG") {
        files.push_back(e.path().string());
      }
    }
    std::sort(files.begin(), files.end());
  } else {
    files.push_back(path);
  }
  return files;
}

#if MDETR_HAS_TRAINER
// A checkpoint written by our trainer (a checkpoints folder or one checkpoint-*.pt): the config
// it records gives the architecture; EMA weights are preferred, as for the reference's files.
Result<inference::LoadedModel> LoadTrainerCheckpoint(const std::string& path, const std::string& tokenizer_dir) {
  Result<trainer::TrainingState> st = NotFoundError(path);
  if (fs::is_directory(path)) {
    st = trainer::LoadLatestCheckpoint(path, nullptr);
  } else {
    trainer::CheckpointRecord rec;
    for (const auto& r : trainer::ListCheckpoints(fs::path(path).parent_path().string())) {
      if (fs::path(r.path).filename() == fs::path(path).filename()) rec = r;
    }
    if (rec.path.empty()) return NotFoundError(path + ": no .json record beside it (not a checkpoint of mdetr train)");
    st = trainer::LoadCheckpoint(rec);
  }
  if (!st.ok()) return st.status();
  auto doc = config::Document::Parse(st->config_yaml, path + " (recorded config)");
  if (!doc.ok()) return doc.status();
  auto cfg = config::ParseExperiment(*doc);
  if (!cfg.ok()) return cfg.status();
  inference::LoadedModel loaded;
  loaded.config = cfg->model;
  loaded.config.text_encoder.tokenizer_dir = tokenizer_dir;
  loaded.model = model::Mdetr(loaded.config, false);
  loaded.weights_key = st->ema.empty() ? "model" : "model_ema";
  auto report = model::LoadStateDict(*loaded.model, st->ema.empty() ? st->model : st->ema);
  if (!report.ok()) return report.status().WithContext(path);
  loaded.report = *report;
  loaded.model->eval();
  return loaded;
}

bool IsTrainerCheckpoint(const std::string& path) {
  return fs::is_directory(path) || fs::path(path).extension() == ".pt";
}
#endif

int Fail(const std::string& message) {
  std::cerr << "mdetr predict: " << message << "\n";
  return 2;
}

// One image with the caption to ground in it.
struct PredictJob {
  std::string file;
  std::string caption;
  std::string png_name;  // output file name
  int64_t image_id = -1;  // from an annotation file
};

Result<std::vector<PredictJob>> JobsOf(const PredictOptions& opt) {
  std::vector<PredictJob> jobs;
  if (opt.annotations.empty()) {
    if (opt.caption.find_first_not_of(" \t\n") == std::string::npos) return InvalidArgumentError("--caption is empty");
    if (!fs::exists(opt.image)) return NotFoundError(opt.image + ": no such image file or folder");
    for (const auto& file : ImagesOf(opt.image)) {
      jobs.push_back({file, opt.caption, fs::path(file).stem().string() + "_pred.png", -1});
    }
    return jobs;
  }
  // Batch inference over a dataset file, as the reference's evaluation reads it.
  MDETR_ASSIGN_OR_RETURN(annotations::CocoDataset data, annotations::ReadCocoJson(opt.annotations));
  for (uint32_t i : data.ImagesSortedById()) {
    const auto& rec = data.images()[i];
    const std::string caption(data.str(rec.caption));
    if (caption.empty()) {
      return InvalidArgumentError(opt.annotations + ": images[" + std::to_string(i) +
                                  "].caption: expected a caption to ground (an MDETR annotation file)");
    }
    const fs::path file = fs::path(opt.images_root) / std::string(data.str(rec.file_name));
    jobs.push_back({file.string(), caption, file.stem().string() + "_" + std::to_string(rec.id) + "_pred.png", rec.id});
  }
  if (jobs.empty()) return InvalidArgumentError(opt.annotations + ": images: expected at least one image");
  return jobs;
}

int RunPredict(const PredictOptions& opt) {
  if (opt.annotations.empty() == opt.image.empty()) {
    return Fail("give either --image with --caption, or --annotations with --images");
  }
  if (!opt.image.empty() && opt.caption.empty()) return Fail("--image needs --caption");
  if (!fs::exists(opt.checkpoint)) return Fail(opt.checkpoint + ": no such checkpoint file");
  auto jobs = JobsOf(opt);
  if (!jobs.ok()) return Fail(jobs.status().message());
  if (opt.threads > 0) torch::set_num_threads(opt.threads);
  const torch::Device device(opt.device == "cuda" ? torch::kCUDA : torch::kCPU);
  if (device.is_cuda() && !torch::cuda::is_available()) return Fail("--device cuda: no CUDA device is available");

  auto tokenizer = text::RobertaTokenizer::FromDirectory(opt.tokenizer_dir);
  if (!tokenizer.ok()) return Fail(tokenizer.status().message());
  text::EncodeOptions enc_opt;
  enc_opt.max_tokens = model::MdetrImpl::kNumTokenSlots;

  const auto t0 = std::chrono::steady_clock::now();
#if MDETR_HAS_TRAINER
  auto loaded = IsTrainerCheckpoint(opt.checkpoint) ? LoadTrainerCheckpoint(opt.checkpoint, opt.tokenizer_dir)
                                                   : inference::LoadModelFromCheckpoint(opt.checkpoint, opt.tokenizer_dir);
#else
  auto loaded = inference::LoadModelFromCheckpoint(opt.checkpoint, opt.tokenizer_dir);
#endif
  if (!loaded.ok()) return Fail(loaded.status().message());
  if (loaded->config.text_encoder.vocab_size != tokenizer->vocab_size()) {
    return Fail(opt.checkpoint + ": text encoder has " + std::to_string(loaded->config.text_encoder.vocab_size) +
                " ids but the tokenizer in " + opt.tokenizer_dir + " has " + std::to_string(tokenizer->vocab_size()));
  }
  auto model = loaded->model;
  model->to(device);
  const double load_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (!opt.json) {
    std::cerr << "loaded " << opt.checkpoint << " (" << loaded->weights_key << ", " << loaded->config.backbone
              << ", " << loaded->report.loaded << " tensors) in " << load_s << " s\n";
  }

  fs::create_directories(opt.out);
  nlohmann::json results = nlohmann::json::array();
  int done = 0;
  for (const auto& job : *jobs) {
    const std::string& file = job.file;
    auto encoding = tokenizer->Encode(job.caption, enc_opt);
    if (!encoding.ok()) return Fail("caption of " + file + ": " + encoding.status().message());
    const auto ids = torch::tensor(encoding->ids, torch::kInt64).unsqueeze(0).to(device);
    const auto mask = torch::ones_like(ids);
    auto img = image::ReadImageFile(file);
    if (!img.ok()) {
      std::cerr << "mdetr predict: skipping " << img.status().message() << "\n";
      continue;
    }
    torch::NoGradGuard no_grad;
    auto tensor = inference::ImageToTensor(*img, {opt.size, opt.max_size}).to(device);
    model::NestedTensor batch{tensor.unsqueeze(0), torch::zeros({1, tensor.size(1), tensor.size(2)},
                                                                 tensor.options().dtype(torch::kBool))};
    auto out = model->forward(batch, {ids, mask});
    inference::PostprocessOptions post;
    post.score_threshold = opt.threshold;
    auto dets = inference::ExtractDetections(out, 0, img->width(), img->height(), job.caption, *encoding, post);

    image::Image canvas = *img;
    for (size_t i = 0; i < dets.size(); ++i) {
      const auto& d = dets[i];
      const auto color = kPalette[i % (sizeof(kPalette) / sizeof(kPalette[0]))];
      image::DrawRect(&canvas, {static_cast<int>(d.x0), static_cast<int>(d.y0), static_cast<int>(d.x1),
                                static_cast<int>(d.y1)}, color, 3);
      char label[256];
      std::snprintf(label, sizeof(label), "%s %.2f", d.phrase.c_str(), d.score);
      image::DrawLabel(&canvas, static_cast<int>(d.x0), std::max(0, static_cast<int>(d.y0) - 12), label,
                       {255, 255, 255}, color, 1);
      nlohmann::json r{{"file", file}, {"caption", job.caption}, {"bbox", {d.x0, d.y0, d.x1 - d.x0, d.y1 - d.y0}},
                       {"score", d.score}, {"phrase", d.phrase}};
      if (job.image_id >= 0) r["image_id"] = job.image_id;
      results.push_back(std::move(r));
      if (!opt.json) {
        std::printf("%-40s %-28s score %.3f  box [%.1f, %.1f, %.1f, %.1f]\n", fs::path(file).filename().c_str(),
                    d.phrase.c_str(), d.score, d.x0, d.y0, d.x1, d.y1);
      }
    }
    const std::string png = (fs::path(opt.out) / job.png_name).string();
    if (auto s = image::WritePngFile(canvas, png); !s.ok()) return Fail(s.message());
    ++done;
    if (!opt.json) {
      if (dets.empty()) std::printf("%-40s no box above %.2f\n", fs::path(file).filename().c_str(), opt.threshold);
      std::fprintf(stderr, "[%d/%zu] %s -> %s\n", done, jobs->size(), file.c_str(), png.c_str());
    }
  }
  const std::string json_path = (fs::path(opt.out) / "results.json").string();
  std::ofstream(json_path) << results.dump(2) << "\n";
  if (opt.json) std::cout << results.dump(2) << "\n";
  else std::cerr << "results: " << json_path << "\n";
  return done > 0 ? 0 : 2;
}

}  // namespace

void AddPredictCommand(CLI::App& app, int* exit_code) {
  auto opt = std::make_shared<PredictOptions>();
  auto* cmd = app.add_subcommand("predict", "Ground a caption's phrases in images with an MDETR checkpoint");
  cmd->add_option("--checkpoint", opt->checkpoint, "MDETR .pth checkpoint (official or reference-format)")->required();
  cmd->add_option("--image", opt->image, "Image file or folder of images");
  cmd->add_option("--caption", opt->caption, "Caption whose phrases to find");
  cmd->add_option("--annotations", opt->annotations,
                  "Instead of --image/--caption: an MDETR annotation file; each image is grounded with its caption");
  cmd->add_option("--images", opt->images_root, "Folder the annotation file's file_names are relative to");
  cmd->add_option("--out", opt->out, "Folder for the PNGs with boxes and results.json")->capture_default_str();
  cmd->add_option("--tokenizer", opt->tokenizer_dir, "Folder with vocab.json and merges.txt")->capture_default_str();
  cmd->add_option("--device", opt->device, "cpu or cuda")->check(CLI::IsMember({"cpu", "cuda"}))->capture_default_str();
  cmd->add_option("--threads", opt->threads, "CPU threads (0 = LibTorch default)");
  cmd->add_option("--size", opt->size, "Shorter side after resize")->capture_default_str();
  cmd->add_option("--max-size", opt->max_size, "Longer side cap (0 = none)")->capture_default_str();
  cmd->add_option("--threshold", opt->threshold, "Keep boxes with 1 - p(no object) above this")->capture_default_str();
  cmd->add_flag("--json", opt->json, "Print results as JSON");
  cmd->callback([opt, exit_code] { *exit_code = RunPredict(*opt); });
}

}  // namespace mdetr::cli
