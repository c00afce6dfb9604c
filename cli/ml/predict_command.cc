#include "cli/ml/predict_command.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <optional>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "datasets/annotations/coco_dataset.h"
#include "datasets/image/codec.h"
#include "datasets/image/draw.h"
#include "model/text/roberta_tokenizer.h"
#include "worker/inference/checkpoint_model.h"
#include "worker/inference/mask_rle.h"
#include "worker/inference/postprocess.h"
#include "worker/inference/preprocess.h"
#include "worker/inference/qa_postprocess.h"
#include "worker/inference/refexp_postprocess.h"
#include "worker/inference/segm_postprocess.h"
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
  double mask_threshold = 0.5;  // PostProcessSegm's
  std::string answers_dir;      // GQA: the folder with gqa_answer2id_by_type.json / gqa_answer2id.json
  bool json = false;
};

const image::Rgb kPalette[] = {{230, 25, 75},  {60, 180, 75},  {0, 130, 200},  {245, 130, 48},
                               {145, 30, 180}, {70, 240, 240}, {240, 50, 230}, {128, 128, 0}};
// Strong enough to see on any photo, weak enough to see the object through it.
constexpr double kMaskAlpha = 0.45;

image::Rgb ColorOf(size_t detection) {
  return kPalette[detection % (sizeof(kPalette) / sizeof(kPalette[0]))];
}

// The binary masks (PostProcessSegm: threshold `threshold` on the sigmoid, at the image's own
// size) of the kept detections, in their order, as row-major bytes; none for a model without a
// mask head. Only the kept queries are upsampled: a full-size mask per query of a 100-query model
// would take 100 bytes a pixel.
Result<std::vector<std::vector<uint8_t>>> MasksOf(const model::MdetrOutputs& out,
                                                  const std::vector<inference::Detection>& dets,
                                                  const torch::Tensor& input, const image::Image& img,
                                                  double threshold) {
  std::vector<std::vector<uint8_t>> masks;
  if (!out.pred_masks.defined() || dets.empty()) return masks;
  std::vector<int64_t> queries;
  for (const auto& d : dets) queries.push_back(d.query);
  const auto index = torch::tensor(queries, torch::kInt64).to(out.pred_masks.device());
  MDETR_ASSIGN_OR_RETURN(auto binary, inference::PostprocessMasks(out.pred_masks.index_select(1, index),
                                                                  {{input.size(1), input.size(2)}},
                                                                  {{img.height(), img.width()}}, threshold));
  const auto bytes = binary[0].to(torch::kUInt8).contiguous();
  const size_t pixels = static_cast<size_t>(img.height()) * static_cast<size_t>(img.width());
  for (int64_t q = 0; q < bytes.size(0); ++q) {
    const uint8_t* p = bytes[q].data_ptr<uint8_t>();
    masks.emplace_back(p, p + pixels);
  }
  return masks;
}

// PostProcessPhrasecut's answer for the caption: the union of the kept queries' masks (the
// detections are those above the score threshold, 0.7 by default as in the reference).
std::vector<uint8_t> UnionOf(const std::vector<std::vector<uint8_t>>& masks) {
  std::vector<uint8_t> out;
  for (const auto& m : masks) {
    if (out.empty()) out.assign(m.size(), 0);
    for (size_t p = 0; p < m.size(); ++p) out[p] |= m[p];
  }
  return out;
}

int64_t AreaOf(const std::vector<uint8_t>& mask) {
  return std::count_if(mask.begin(), mask.end(), [](uint8_t v) { return v != 0; });
}

// GQA: obj, attr, rel, global, cat ("" for the single all-answers head); CLEVR: binary, attr, count.
std::string AnswerTypeName(inference::ModelKind kind, int type) {
  static const char* const kGqa[] = {"obj", "attr", "rel", "global", "cat"};
  static const char* const kClevr[] = {"binary", "attr", "count"};
  if (type < 0) return "";
  if (kind == inference::ModelKind::kGqa && type < 5) return kGqa[type];
  if (kind == inference::ModelKind::kClevr && type < 3) return kClevr[type];
  return std::to_string(type);
}

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
Result<inference::LoadedModel> LoadTrainerCheckpoint(const std::string& path,
                                                     const std::string& tokenizer_dir) {
  auto st = trainer::LoadRunCheckpoint(path);
  if (!st.ok()) return st.status();
  auto doc = config::Document::Parse(st->config_yaml, path + " (recorded config)");
  if (!doc.ok()) return doc.status();
  auto cfg = config::ParseExperiment(*doc);
  if (!cfg.ok()) return cfg.status();
  config::ModelConfig model_cfg = cfg->model;
  model_cfg.text_encoder.tokenizer_dir = tokenizer_dir;
  // model.masks builds the segmentation model, model.qa_dataset the QA heads, as in training.
  return inference::BuildAndLoad(model_cfg, st->ema.empty() ? st->model : st->ema,
                                 st->ema.empty() ? "model" : "model_ema", path);
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
  std::string png_name;   // output file name
  int64_t image_id = -1;  // from an annotation file
};

Result<std::vector<PredictJob>> JobsOf(const PredictOptions& opt) {
  std::vector<PredictJob> jobs;
  if (opt.annotations.empty()) {
    if (opt.caption.find_first_not_of(" \t\n") == std::string::npos)
      return InvalidArgumentError("--caption is empty");
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
    jobs.push_back(
        {file.string(), caption, file.stem().string() + "_" + std::to_string(rec.id) + "_pred.png", rec.id});
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
  if (device.is_cuda() && !torch::cuda::is_available())
    return Fail("--device cuda: no CUDA device is available");

  auto tokenizer = text::RobertaTokenizer::FromDirectory(opt.tokenizer_dir);
  if (!tokenizer.ok()) return Fail(tokenizer.status().message());
  text::EncodeOptions enc_opt;
  enc_opt.max_tokens = model::MdetrImpl::kNumTokenSlots;

  const auto t0 = std::chrono::steady_clock::now();
#if MDETR_HAS_TRAINER
  auto loaded = IsTrainerCheckpoint(opt.checkpoint)
                    ? LoadTrainerCheckpoint(opt.checkpoint, opt.tokenizer_dir)
                    : inference::LoadModelFromCheckpoint(opt.checkpoint, opt.tokenizer_dir);
#else
  auto loaded = inference::LoadModelFromCheckpoint(opt.checkpoint, opt.tokenizer_dir);
#endif
  if (!loaded.ok()) return Fail(loaded.status().message());
  if (loaded->config.text_encoder.vocab_size != tokenizer->vocab_size()) {
    return Fail(opt.checkpoint + ": text encoder has " +
                std::to_string(loaded->config.text_encoder.vocab_size) + " ids but the tokenizer in " +
                opt.tokenizer_dir + " has " + std::to_string(tokenizer->vocab_size()));
  }
  const inference::ModelKind kind = loaded->kind();
  std::optional<inference::GqaAnswerVocabulary> vocabulary;
  if (kind == inference::ModelKind::kGqa) {
    if (opt.answers_dir.empty()) {
      return Fail(opt.checkpoint +
                  " is a GQA model: pass --answers with the folder holding gqa_answer2id_by_type.json "
                  "(or gqa_answer2id.json for the single-head model), from MDETR's GQA annotations");
    }
    auto v = inference::GqaAnswerVocabulary::FromFolder(opt.answers_dir);
    if (!v.ok()) return Fail(v.status().message());
    vocabulary = std::move(*v);
  }
  loaded->To(device);
  const double load_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (!opt.json) {
    std::cerr << "loaded " << opt.checkpoint << " (" << inference::ModelKindName(kind) << " model, "
              << loaded->weights_key << ", " << loaded->config.backbone << ", " << loaded->report.loaded
              << " tensors) in " << load_s << " s\n";
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
    auto out = loaded->Forward(batch, {ids, mask});
    inference::PostprocessOptions post;
    post.score_threshold = opt.threshold;
    auto dets =
        inference::ExtractDetections(out, 0, img->width(), img->height(), job.caption, *encoding, post);
    auto masks = MasksOf(out, dets, tensor, *img, opt.mask_threshold);
    if (!masks.ok()) return Fail(file + ": " + masks.status().message());

    // An is-final model (CLEVR-Ref+) names one object: the query with the best
    // score x sigmoid(is-final), the reference's scores_refexp.
    std::optional<inference::RankedBox> referred;
    std::map<int, float> refexp_score_of_query;
    if (out.pred_isfinal.defined()) {
      auto ranking =
          inference::RankRefExpBoxes(out, 0, img->width(), img->height(), inference::RefExpScore::kIsFinal);
      if (!ranking.ok()) return Fail(file + ": " + ranking.status().message());
      for (const auto& r : ranking->boxes) refexp_score_of_query[r.query] = r.score;
      if (!ranking->boxes.empty()) referred = ranking->boxes.front();
    }

    image::Image canvas = *img;
    // Overlays first, so that no mask hides another detection's outline or label.
    for (size_t i = 0; i < masks->size(); ++i) {
      image::BlendMask(&canvas, (*masks)[i].data(), ColorOf(i), kMaskAlpha);
    }
    for (size_t i = 0; i < dets.size(); ++i) {
      const auto& d = dets[i];
      const auto color = ColorOf(i);
      image::DrawRect(
          &canvas,
          {static_cast<int>(d.x0), static_cast<int>(d.y0), static_cast<int>(d.x1), static_cast<int>(d.y1)},
          color, 3);
      char label[256];
      std::snprintf(label, sizeof(label), "%s %.2f", d.phrase.c_str(), d.score);
      image::DrawLabel(&canvas, static_cast<int>(d.x0), std::max(0, static_cast<int>(d.y0) - 12), label,
                       {255, 255, 255}, color, 1);
      nlohmann::json r{
          {"file", file},     {"caption", job.caption}, {"bbox", {d.x0, d.y0, d.x1 - d.x0, d.y1 - d.y0}},
          {"score", d.score}, {"phrase", d.phrase},     {"query", d.query}};
      if (job.image_id >= 0) r["image_id"] = job.image_id;
      if (auto it = refexp_score_of_query.find(d.query); it != refexp_score_of_query.end()) {
        r["score_refexp"] = it->second;
      }
      if (!masks->empty()) {
        const auto rle = inference::EncodeMaskRle((*masks)[i].data(), img->height(), img->width());
        r["segmentation"] = {{"size", {rle.height, rle.width}}, {"counts", rle.counts}};
        r["area"] = std::count_if((*masks)[i].begin(), (*masks)[i].end(), [](uint8_t v) { return v != 0; });
      }
      results.push_back(std::move(r));
      if (!opt.json) {
        std::printf("%-40s %-28s score %.3f  box [%.1f, %.1f, %.1f, %.1f]\n",
                    fs::path(file).filename().c_str(), d.phrase.c_str(), d.score, d.x0, d.y0, d.x1, d.y1);
      }
    }
    if (!masks->empty()) {
      const auto phrase_mask = UnionOf(*masks);
      const auto rle = inference::EncodeMaskRle(phrase_mask.data(), img->height(), img->width());
      nlohmann::json r{{"file", file},
                       {"caption", job.caption},
                       {"phrase_segmentation", {{"size", {rle.height, rle.width}}, {"counts", rle.counts}}},
                       {"phrase_area", AreaOf(phrase_mask)}};
      std::vector<int> queries;
      for (const auto& d : dets) queries.push_back(d.query);
      r["queries"] = queries;
      if (job.image_id >= 0) r["image_id"] = job.image_id;
      results.push_back(std::move(r));
      if (!opt.json) {
        std::printf("%-40s phrase mask: %lld px from %zu quer%s\n", fs::path(file).filename().c_str(),
                    static_cast<long long>(AreaOf(phrase_mask)), dets.size(), dets.size() == 1 ? "y" : "ies");
      }
    }
    if (referred) {
      const auto& b = referred->box;
      image::DrawRect(&canvas,
                      {static_cast<int>(b.x0) - 3, static_cast<int>(b.y0) - 3, static_cast<int>(b.x1) + 3,
                       static_cast<int>(b.y1) + 3},
                      {255, 255, 255}, 2);
      char label[64];
      std::snprintf(label, sizeof(label), "referred %.2f", referred->score);
      image::DrawLabel(&canvas, static_cast<int>(b.x0), static_cast<int>(b.y1) + 4, label, {0, 0, 0},
                       {255, 255, 255}, 1);
      nlohmann::json r{{"file", file},
                       {"caption", job.caption},
                       {"referred",
                        {{"bbox", {b.x0, b.y0, b.x1 - b.x0, b.y1 - b.y0}},
                         {"score_refexp", referred->score},
                         {"query", referred->query}}}};
      if (job.image_id >= 0) r["image_id"] = job.image_id;
      results.push_back(std::move(r));
      if (!opt.json) {
        std::printf("%-40s referred object: query %d  score %.3f  box [%.1f, %.1f, %.1f, %.1f]\n",
                    fs::path(file).filename().c_str(), referred->query, referred->score, b.x0, b.y0, b.x1,
                    b.y1);
      }
    }
    if (kind == inference::ModelKind::kGqa || kind == inference::ModelKind::kClevr) {
      auto answers = kind == inference::ModelKind::kGqa ? inference::GqaAnswers(out.answers, *vocabulary)
                                                        : inference::ClevrAnswers(out.answers);
      if (!answers.ok() || answers->empty()) {
        return Fail(file + ": " + (answers.ok() ? std::string("no answer") : answers.status().message()));
      }
      const auto& a = answers->front();
      const std::string type = AnswerTypeName(kind, a.type);
      nlohmann::json r{{"file", file},
                       {"caption", job.caption},
                       {"answer", a.answer},
                       {"answer_type", type},
                       {"answer_score", a.confidence}};
      if (job.image_id >= 0) r["image_id"] = job.image_id;
      results.push_back(std::move(r));
      char line[512];
      std::snprintf(line, sizeof(line), "%s -> %s (%s%s%.2f)", job.caption.c_str(), a.answer.c_str(),
                    type.c_str(), type.empty() ? "p " : ", p ", a.confidence);
      image::DrawLabel(&canvas, 0, 0, line, {255, 255, 255}, {40, 40, 40}, canvas.width() >= 480 ? 2 : 1);
      if (!opt.json) {
        std::printf("%-40s answer: %s  type: %s  p %.3f\n", fs::path(file).filename().c_str(),
                    a.answer.c_str(), type.empty() ? "-" : type.c_str(), a.confidence);
      }
    }
    const std::string png = (fs::path(opt.out) / job.png_name).string();
    if (auto s = image::WritePngFile(canvas, png); !s.ok()) return Fail(s.message());
    ++done;
    if (!opt.json) {
      if (dets.empty())
        std::printf("%-40s no box above %.2f\n", fs::path(file).filename().c_str(), opt.threshold);
      std::fprintf(stderr, "[%d/%zu] %s -> %s\n", done, jobs->size(), file.c_str(), png.c_str());
    }
  }
  const std::string json_path = (fs::path(opt.out) / "results.json").string();
  std::ofstream(json_path) << results.dump(2) << "\n";
  if (opt.json)
    std::cout << results.dump(2) << "\n";
  else
    std::cerr << "results: " << json_path << "\n";
  return done > 0 ? 0 : 2;
}

}  // namespace

void AddPredictCommand(CLI::App& app, int* exit_code) {
  auto opt = std::make_shared<PredictOptions>();
  auto* cmd = app.add_subcommand("predict",
                                 "Ground a caption's phrases in images with an MDETR checkpoint (boxes; "
                                 "PhraseCut masks; GQA/CLEVR answers)");
  cmd->add_option("--checkpoint", opt->checkpoint, "MDETR .pth checkpoint (official or reference-format)")
      ->required();
  cmd->add_option("--image", opt->image, "Image file or folder of images");
  cmd->add_option("--caption", opt->caption, "Caption whose phrases to find");
  cmd->add_option(
      "--annotations", opt->annotations,
      "Instead of --image/--caption: an MDETR annotation file; each image is grounded with its caption");
  cmd->add_option("--images", opt->images_root, "Folder the annotation file's file_names are relative to");
  cmd->add_option("--out", opt->out, "Folder for the PNGs with boxes and results.json")
      ->capture_default_str();
  cmd->add_option("--tokenizer", opt->tokenizer_dir, "Folder with vocab.json and merges.txt")
      ->capture_default_str();
  cmd->add_option("--device", opt->device, "cpu or cuda")
      ->check(CLI::IsMember({"cpu", "cuda"}))
      ->capture_default_str();
  cmd->add_option("--threads", opt->threads, "CPU threads (0 = LibTorch default)");
  cmd->add_option("--size", opt->size, "Shorter side after resize")->capture_default_str();
  cmd->add_option("--max-size", opt->max_size, "Longer side cap (0 = none)")->capture_default_str();
  cmd->add_option("--threshold", opt->threshold, "Keep boxes with 1 - p(no object) above this")
      ->capture_default_str();
  cmd->add_option("--mask-threshold", opt->mask_threshold,
                  "Segmentation models: a pixel is in a mask when its sigmoid is above this")
      ->capture_default_str();
  cmd->add_option(
      "--answers", opt->answers_dir,
      "GQA models: folder with gqa_answer2id_by_type.json / gqa_answer2id.json (MDETR's GQA annotations)");
  cmd->add_flag(
      "--json", opt->json,
      "Print results as JSON: one record per box (with a COCO RLE \"segmentation\" for segmentation "
      "models, and \"score_refexp\" for is-final models); for segmentation models one per caption with "
      "its \"phrase_segmentation\" (the union of the kept masks), for is-final models one with the "
      "\"referred\" box, and for QA models one per question with its \"answer\"");
  cmd->callback([opt, exit_code] { *exit_code = RunPredict(*opt); });
}

}  // namespace mdetr::cli
