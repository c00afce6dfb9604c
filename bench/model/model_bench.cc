// Forward and training-step time of our MDETR next to the reference's (Python, same architecture,
// same synthetic weights, same inputs and thread count), printed side by side in one run.
//
//   model_bench [--config tiny|r101] [--height H --width W] [--batch B] [--iters N] [--threads T]
//               [--forward-only 1] [--checkpoint PTH]
//               [--reference PATH]
//
// --checkpoint also times loading a reference-format .pth of this architecture into the built
// model: ours maps the file and copies the tensors in (model/io, LoadStateDict); the reference's
// main.py does torch.load + load_state_dict. Write one with
//   tools/parity/model/make_goldens.py --config r101 --checkpoint FILE ...
//
// The reference runs under $MDETR_BENCH_PYTHON, else the project's .venv python, and needs a
// checkout of github ashkamath/mdetr (--reference, or $MDETR_REFERENCE); without one the bench
// prints our figures only and says why. The training step is forward + a surrogate loss over the
// logits, boxes and contrastive projections + backward + AdamW, the same on both sides: the
// matcher and the real losses are timed in bench/assignment and the objective tests.
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/config/experiment.h"
#include "model/io/load_weights.h"
#include "model/nn/mdetr.h"
#include "model/nn/state_dict.h"
#include "model/nn/synthetic_weights.h"
#include "model/text/roberta_tokenizer.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  std::string config = "tiny";
  int height = 0, width = 0, batch = 2, iters = 10, threads = 2;
  bool forward_only = false;  // no training step (a full-size batch of 4 trains in more memory than a small machine has)
  std::string checkpoint;     // also time loading this .pth into the model
  std::string reference;
};

// The captions of tools/parity/model/make_goldens.py.
const std::vector<std::string> kCaptions = {"two cats lying on a pink blanket next to two remote controls",
                                            "A man in a blue shirt is standing on a ladder cleaning windows."};

double Percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[static_cast<size_t>(q * static_cast<double>(v.size() - 1) + 0.5)];
}

double Ms(Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double, std::milli>(b - a).count(); }

std::string Python() {
  if (const char* p = std::getenv("MDETR_BENCH_PYTHON")) return p;
  const std::string venv = std::string(MDETR_SOURCE_DIR) + "/.venv/bin/python";
  return std::filesystem::exists(venv) ? venv : "python3";
}

// The reference's figures, or an object with "error".
nlohmann::json RunReference(const Options& o) {
  if (o.reference.empty()) return {{"error", "no reference checkout (pass --reference or set MDETR_REFERENCE)"}};
  const std::string cmd = Python() + " " + MDETR_REFERENCE_SCRIPT + " --reference " + o.reference + " --config " +
                          o.config + " --height " + std::to_string(o.height) + " --width " + std::to_string(o.width) +
                          " --batch " + std::to_string(o.batch) + " --iters " + std::to_string(o.iters) +
                          " --threads " + std::to_string(o.threads) + (o.forward_only ? " --forward-only" : "") +
                          (o.checkpoint.empty() ? "" : " --checkpoint " + o.checkpoint) +
                          " 2>/dev/null";
  FILE* pipe = popen(cmd.c_str(), "r");
  if (!pipe) return {{"error", "cannot start " + Python()}};
  std::string out;
  char buf[4096];
  while (size_t n = fread(buf, 1, sizeof buf, pipe)) out.append(buf, n);
  const int rc = pclose(pipe);
  const auto last = out.rfind('{');
  if (rc != 0 || last == std::string::npos) return {{"error", "the reference run failed (exit " + std::to_string(rc) + ")"}};
  auto j = nlohmann::json::parse(out.substr(last), nullptr, false);
  if (j.is_discarded()) return {{"error", "unreadable reference output"}};
  return j;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (const char* r = std::getenv("MDETR_REFERENCE")) o.reference = r;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--config") o.config = v;
    else if (k == "--height") o.height = std::stoi(v);
    else if (k == "--width") o.width = std::stoi(v);
    else if (k == "--batch") o.batch = std::stoi(v);
    else if (k == "--iters") o.iters = std::stoi(v);
    else if (k == "--threads") o.threads = std::stoi(v);
    else if (k == "--reference") o.reference = v;
    else if (k == "--forward-only") o.forward_only = v != "0";
    else if (k == "--checkpoint") o.checkpoint = v;
    else {
      std::cerr << "unknown option " << k << "\n";
      return 2;
    }
  }
  if (o.config != "tiny" && o.config != "r101") {
    std::cerr << "--config: expected tiny or r101, got " << o.config << "\n";
    return 2;
  }
  if (o.height <= 0) o.height = o.config == "tiny" ? 128 : 512;
  if (o.width <= 0) o.width = o.config == "tiny" ? 192 : 512;
  torch::set_num_threads(o.threads);

  const std::string root = MDETR_SOURCE_DIR;
  auto cfg = mdetr::config::LoadExperiment(root + (o.config == "tiny" ? "/configs/models/tiny_cpu.yaml" : "/configs/models/r101.yaml"));
  if (!cfg.ok()) {
    std::cerr << cfg.status().ToString() << "\n";
    return 1;
  }
  auto tok = mdetr::text::RobertaTokenizer::FromDirectory(root + "/../shared/data/tokenizer/roberta-base");
  if (!tok.ok()) {
    std::cerr << tok.status().ToString() << "\n";
    return 1;
  }
  mdetr::model::Mdetr model(cfg->model);
  mdetr::model::FillSyntheticWeights(*model);
  model->eval();

  std::vector<double> load_ms;
  for (int i = 0; !o.checkpoint.empty() && i <= o.iters; ++i) {  // the first load warms the page cache
    const auto t0 = Clock::now();
    auto weights = mdetr::io::LoadWeights(o.checkpoint);
    if (!weights.ok()) {
      std::cerr << weights.status().ToString() << "\n";
      return 1;
    }
    // Tensors viewing the mapped file, as the trainer and predict build them.
    auto holder = std::make_shared<mdetr::io::LoadedWeights>(std::move(weights).value());
    mdetr::model::StateDict tensors;
    for (const auto& [name, view] : holder->tensors) tensors[name] = mdetr::model::TensorFromView(view, holder);
    auto report = mdetr::model::LoadStateDict(*model, tensors);
    if (!report.ok()) {
      std::cerr << o.checkpoint << ": " << report.status().ToString() << "\n";
      return 1;
    }
    if (i > 0) load_ms.push_back(Ms(t0, Clock::now()));
  }

  torch::manual_seed(0);
  mdetr::model::NestedTensor images{torch::randn({o.batch, 3, o.height, o.width}),
                                    torch::zeros({o.batch, o.height, o.width}, torch::kBool)};
  auto text_batch = [&] {
    std::vector<std::string> captions;
    for (int i = 0; i < o.batch; ++i) captions.push_back(kCaptions[static_cast<size_t>(i) % kCaptions.size()]);
    auto enc = tok->EncodeBatch(captions);  // tokenised every call, as the reference does inside forward
    const auto opts = torch::TensorOptions().dtype(torch::kInt64);
    return mdetr::model::TextBatch{torch::tensor(enc->input_ids, opts).view({enc->batch_size, enc->length}),
                                   torch::tensor(enc->attention_mask, opts).view({enc->batch_size, enc->length})};
  };

  std::vector<double> forward_ms, train_ms;
  {
    torch::NoGradGuard no_grad;
    for (int i = 0; i <= o.iters; ++i) {
      const auto t0 = Clock::now();
      model->forward(images, text_batch());
      if (i > 0) forward_ms.push_back(Ms(t0, Clock::now()));
    }
  }
  model->train();
  std::vector<torch::Tensor> params;
  for (auto& p : model->parameters()) {
    if (p.requires_grad()) params.push_back(p);
  }
  torch::optim::AdamW optimizer(params, torch::optim::AdamWOptions(1e-5).weight_decay(1e-4));
  for (int i = 0; i <= (o.forward_only ? -1 : o.iters); ++i) {
    const auto t0 = Clock::now();
    auto out = model->forward(images, text_batch());
    auto loss = out.logits().logsumexp(-1).mean() + out.boxes().mean() + out.proj_queries[-1].mean();
    optimizer.zero_grad();
    loss.backward();
    optimizer.step();
    if (i > 0) train_ms.push_back(Ms(t0, Clock::now()));
  }

  const nlohmann::json ref = RunReference(o);
  std::printf("MDETR %s, batch %d of %dx%d, %d threads, %d timed iterations (median / p90, ms)\n", o.config.c_str(),
              o.batch, o.height, o.width, o.threads, o.iters);
  std::printf("%-26s %18s %18s %9s\n", "", "mdetr-cluster", "reference (Python)", "speed-up");
  auto row = [&](const char* name, const std::vector<double>& ours, const char* key) {
    char theirs[64] = "-";
    char speedup[32] = "-";
    if (ref.contains(key)) {
      const auto r = ref[key].get<std::vector<double>>();
      std::snprintf(theirs, sizeof theirs, "%.1f / %.1f", Percentile(r, 0.5), Percentile(r, 0.9));
      std::snprintf(speedup, sizeof speedup, "%.2fx", Percentile(r, 0.5) / Percentile(ours, 0.5));
    }
    char mine[64];
    std::snprintf(mine, sizeof mine, "%.1f / %.1f", Percentile(ours, 0.5), Percentile(ours, 0.9));
    std::printf("%-26s %18s %18s %9s\n", name, mine, theirs, speedup);
  };
  if (!o.checkpoint.empty()) row("load .pth into the model", load_ms, "load_ms");
  row("inference forward", forward_ms, "forward_ms");
  if (!o.forward_only) row("train step (fwd+bwd+AdamW)", train_ms, "train_step_ms");
  if (ref.contains("error")) std::printf("reference not run: %s\n", ref["error"].get<std::string>().c_str());
  return 0;
}
