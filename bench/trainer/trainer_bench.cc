// Training images/s of our trainer (`mdetr-ml train`, the real task program) next to the MDETR
// reference's training loop (reference_training.py: engine.train_one_epoch, its criterion,
// optimiser groups, clipping, dataset, transforms and DataLoader), in one run, on the same machine,
// config, synthetic data, batch size, image scales, thread and worker counts and number of steps.
//
//   trainer_bench [--config tiny|r101] [--steps N] [--warmup W] [--batch B] [--threads T]
//                 [--workers K] [--rounds R] [--device cpu|cuda --precision fp32|bf16]
//                 [--peak-tflops P] [--json] [--reference DIR] [--trainer PATH] [--keep DIR]
//
// Each side runs --steps optimiser steps; images/s is taken over the steps after the first
// --warmup (allocator and cache warm-up, loader start). With --rounds > 1 the sides alternate and
// each reports its best round (the machine may be shared). Model FLOPs utilisation is printed
// when --peak-tflops is given or on --device cuda: the reference side counts the forward FLOPs per
// image with torch.utils.flop_counter, a training step is taken as 3x the forward.
//
// The reference runs under $MDETR_BENCH_PYTHON (default: the project's .venv python) with the
// checkout in --reference, $MDETR_REFERENCE or /tmp/mdetr_ref; the bench stops with exit code 1
// and says what is missing when the checkout, the python or its packages are not there.
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/config/experiment.h"
#include "datasets/synthetic/generator.h"

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

struct Options {
  std::string config = "tiny";
  int steps = 0, warmup = -1, batch = 0, threads = 2, workers = -1, rounds = 1;
  std::string device = "cpu", precision = "fp32";
  double peak_tflops = 0;
  int flops_batches = 4;
  bool json_output = false;
  std::string reference, trainer, keep;
  std::string scales;  // "640" or "512,640": the shorter-side choices of both sides (default: the config's)
  int max_size = 0;    // longer-side cap of both sides (default: the config's)
  uint64_t seed = 1;
};

constexpr double kH100Bf16PeakTflops = 989.4;  // H100 SXM dense bf16

std::string Env(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? v : fallback;
}

std::string Quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string Tail(const std::string& text, size_t lines) {
  size_t at = text.size();
  for (size_t n = 0; n <= lines && at != std::string::npos && at > 0; ++n) at = text.rfind('\n', at - 1);
  return at == std::string::npos ? text : text.substr(at + 1);
}

// Runs `cmd` through the shell; stdout is returned, stderr goes to `err_file`.
struct Run {
  int exit_code = -1;
  std::string out;
};
Run Shell(const std::string& cmd, const fs::path& err_file) {
  Run r;
  FILE* p = popen((cmd + " 2>" + Quote(err_file.string())).c_str(), "r");
  if (p == nullptr) return r;
  char buf[4096];
  while (size_t n = fread(buf, 1, sizeof buf, p)) r.out.append(buf, n);
  const int status = pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
  return r;
}

std::string LoadAverage() {
  std::ifstream in("/proc/loadavg");
  std::string one, five, fifteen;
  in >> one >> five >> fifteen;
  return one + " " + five + " " + fifteen;
}

// Everything the two sides must agree on, read from our config after the bench's overrides.
struct Setup {
  std::string config_path;
  std::vector<std::string> overrides;
  mdetr::config::ExperimentConfig cfg;
};

// One side's figure for one round.
struct Figure {
  double images_per_s = -1;
  double seconds = 0;
  std::vector<double> step_s;
  double forward_flops_per_image = 0;
  double peak_rss_mb = 0;  // the training process's
};

// Our side: `mdetr-ml train` with step events every step; images/s from the events after warm-up.
// A step event's images_per_s is cumulative from the start of training, so step k ended at
// k * batch / images_per_s seconds.
Figure RunOurs(const Options& o, const Setup& s, const fs::path& out_dir, std::string* why) {
  std::string cmd = Quote(o.trainer) + " train " + Quote(s.config_path) + " --out " + Quote(out_dir.string()) +
                    " --quiet --no-resume";
  for (const auto& ov : s.overrides) cmd += " --set " + Quote(ov);
  const fs::path err = out_dir.string() + ".stderr";
  const Run r = Shell(cmd + " >/dev/null", err);
  if (r.exit_code != 0) {
    *why = "our trainer exited with " + std::to_string(r.exit_code) + ": " + Tail(ReadFile(err), 8);
    return {};
  }
  std::ifstream events(out_dir / "events.jsonl");
  std::vector<double> end_s(static_cast<size_t>(o.steps) + 1, -1);
  end_s[0] = 0;
  for (std::string line; std::getline(events, line);) {
    const json ev = json::parse(line, nullptr, false);
    if (ev.is_discarded() || ev.value("type", "") != "step") continue;
    const int64_t step = ev.value("step", int64_t{0});
    const double ips = ev.value("images_per_s", 0.0);
    if (step >= 1 && step <= o.steps && ips > 0) end_s[static_cast<size_t>(step)] = static_cast<double>(step * s.cfg.optim.batch_size) / ips;
  }
  Figure f;
  for (size_t k = 1; k < end_s.size(); ++k) {
    if (end_s[k] < 0) {
      *why = (out_dir / "events.jsonl").string() + ": no step event for step " + std::to_string(k);
      return {};
    }
    f.step_s.push_back(end_s[k] - end_s[k - 1]);
  }
  f.seconds = end_s[static_cast<size_t>(o.steps)] - end_s[static_cast<size_t>(o.warmup)];
  // The largest finished descendant so far: the trainer (the python check before it is small).
  rusage u{};
  getrusage(RUSAGE_CHILDREN, &u);
  f.peak_rss_mb = static_cast<double>(u.ru_maxrss) / 1024;
  f.images_per_s = static_cast<double>((o.steps - o.warmup) * s.cfg.optim.batch_size) / f.seconds;
  return f;
}

std::string Join(const std::vector<int>& v) {
  std::string s;
  for (size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + std::to_string(v[i]);
  return s;
}

std::string Num(double v) {
  std::ostringstream ss;
  ss.precision(10);
  ss << v;
  return ss.str();
}

std::string ReferenceCommand(const Options& o, const Setup& s, const std::string& python, const fs::path& data,
                             bool count_flops) {
  const auto& c = s.cfg;
  std::string cmd = Quote(python) + " " + Quote(MDETR_TRAINER_REFERENCE_SCRIPT) + " --reference " +
                    Quote(o.reference) + " --config " + o.config + " --ann " + Quote((data / "train.json").string()) +
                    " --images " + Quote((data / "images").string()) + " --tokenizer " +
                    Quote(c.model.text_encoder.tokenizer_dir) + " --batch " + std::to_string(c.optim.batch_size) +
                    " --steps " + std::to_string(o.steps) + " --warmup " + std::to_string(o.warmup) + " --threads " +
                    std::to_string(c.run.threads) + " --workers " + std::to_string(c.data.num_workers) +
                    " --max-size " + std::to_string(c.data.max_size) + " --epochs " + std::to_string(c.optim.epochs) +
                    " --lr " + Num(c.optim.lr) + " --lr-backbone " + Num(c.optim.lr_backbone) + " --text-encoder-lr " +
                    Num(c.optim.text_encoder_lr) + " --weight-decay " + Num(c.optim.weight_decay) +
                    " --clip-max-norm " + Num(c.optim.clip_max_norm) + " --dropout " + Num(c.model.dropout) +
                    " --text-dropout " + Num(c.model.text_encoder.dropout) + " --device " + c.run.device +
                    " --precision " + c.run.precision + " --seed " + std::to_string(c.run.seed);
  if (!c.data.scales.empty()) cmd += " --scales " + Join(c.data.scales);
  // The reference builds make_goldens.py's configuration of the same name; it checks the shape.
  const auto& t = c.model.text_encoder;
  const json shape{{"backbone", c.model.backbone},
                   {"hidden_dim", c.model.hidden_dim},
                   {"nheads", c.model.nheads},
                   {"enc_layers", c.model.enc_layers},
                   {"dec_layers", c.model.dec_layers},
                   {"dim_feedforward", c.model.dim_feedforward},
                   {"num_queries", c.model.num_queries},
                   {"text", {{"hidden_size", t.hidden_size},
                             {"num_hidden_layers", t.num_layers},
                             {"num_attention_heads", t.num_heads},
                             {"intermediate_size", t.intermediate_size}}}};
  cmd += " --expect-shape " + Quote(shape.dump());
  if (count_flops) cmd += " --flops-batches " + std::to_string(o.flops_batches);
  return cmd;
}

Figure RunReference(const Options& o, const Setup& s, const std::string& python, const fs::path& data,
                    const fs::path& err, bool count_flops, std::string* why) {
  const Run r = Shell(ReferenceCommand(o, s, python, data, count_flops), err);
  const auto brace = r.out.rfind('{');
  const json j = brace == std::string::npos ? json() : json::parse(r.out.substr(brace), nullptr, false);
  if (r.exit_code != 0 || !j.is_object() || !j.contains("images_per_s")) {
    *why = "the reference run exited with " + std::to_string(r.exit_code) + ": " + Tail(ReadFile(err), 8);
    return {};
  }
  Figure f;
  f.images_per_s = j["images_per_s"].get<double>();
  f.seconds = j["seconds"].get<double>();
  f.step_s = j["step_s"].get<std::vector<double>>();
  f.forward_flops_per_image = j.value("forward_flops_per_image", 0.0);
  f.peak_rss_mb = j.value("peak_rss_mb", 0.0);
  return f;
}

// The reference checkout, the python and the packages the reference needs; "" when all are there.
std::string CheckReferenceSide(const Options& o, const std::string& python, const fs::path& work) {
  for (const char* rel : {"engine.py", "main.py", "datasets/coco.py", "models/mdetr.py"}) {
    if (!fs::exists(fs::path(o.reference) / rel)) {
      return "no checkout of github.com/ashkamath/mdetr at " + o.reference + " (missing " + rel +
             "); pass --reference DIR or set MDETR_REFERENCE";
    }
  }
  const Run r = Shell(Quote(python) +
                          " -c 'import torch, torchvision, transformers, timm, scipy, pycocotools, PIL' >/dev/null",
                      work / "python_check.stderr");
  if (r.exit_code != 0) {
    return "the reference's python " + python + " cannot import its packages (torch, torchvision, transformers, "
           "timm, scipy, pycocotools, pillow; set MDETR_BENCH_PYTHON): " + Tail(ReadFile(work / "python_check.stderr"), 3);
  }
  return "";
}

int Usage(const std::string& message) {
  std::cerr << "trainer_bench: " << message << "\n"
            << "usage: trainer_bench [--config tiny|r101] [--steps N] [--warmup W] [--batch B] [--threads T]\n"
            << "                     [--workers K] [--rounds R] [--device cpu|cuda] [--precision fp32|bf16]\n"
            << "                     [--peak-tflops P] [--json] [--reference DIR] [--trainer PATH] [--keep DIR]\n"
            << "                     [--scales S1,S2,...] [--max-size M] [--seed N]\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  o.reference = Env("MDETR_REFERENCE", "/tmp/mdetr_ref");
  o.trainer = std::string(MDETR_BINARY_DIR) + "/bin/mdetr-ml";
  for (int i = 1; i < argc; ++i) {
    const std::string k = argv[i];
    if (k == "--json") {
      o.json_output = true;
      continue;
    }
    if (i + 1 >= argc) return Usage(k + " needs a value");
    const std::string v = argv[++i];
    try {
      if (k == "--config") o.config = v;
      else if (k == "--steps") o.steps = std::stoi(v);
      else if (k == "--warmup") o.warmup = std::stoi(v);
      else if (k == "--batch") o.batch = std::stoi(v);
      else if (k == "--threads") o.threads = std::stoi(v);
      else if (k == "--workers") o.workers = std::stoi(v);
      else if (k == "--rounds") o.rounds = std::stoi(v);
      else if (k == "--device") o.device = v;
      else if (k == "--precision") o.precision = v;
      else if (k == "--peak-tflops") o.peak_tflops = std::stod(v);
      else if (k == "--flops-batches") o.flops_batches = std::stoi(v);
      else if (k == "--reference") o.reference = v;
      else if (k == "--trainer") o.trainer = v;
      else if (k == "--keep") o.keep = v;
      else if (k == "--seed") o.seed = std::stoull(v);
      else if (k == "--scales") o.scales = v;
      else if (k == "--max-size") o.max_size = std::stoi(v);
      else return Usage("unknown option " + k);
    } catch (const std::exception&) {
      return Usage(k + ": expected a number, got '" + v + "'");
    }
  }
  const bool full = o.config == "r101";
  if (o.config != "tiny" && !full) return Usage("--config: expected tiny or r101, got " + o.config);
  if (o.steps <= 0) o.steps = full ? 4 : 30;
  if (o.warmup < 0) o.warmup = full ? 1 : 5;
  if (o.steps <= o.warmup) return Usage("--steps must exceed --warmup");
  if (o.rounds < 1 || o.threads < 1) return Usage("--rounds and --threads must be at least 1");
  if (o.device != "cpu" && o.device != "cuda") return Usage("--device: expected cpu or cuda, got " + o.device);
  if (o.precision != "fp32" && o.precision != "bf16") return Usage("--precision: expected fp32 or bf16");
  if (o.device == "cuda" && !MDETR_BENCH_CUDA) {
    std::cerr << "trainer_bench: --device cuda needs a CUDA build (configure with -DMDETR_CUDA=ON)\n";
    return 2;
  }
  const bool count_flops = o.peak_tflops > 0 || o.device == "cuda";
  if (o.device == "cuda" && o.peak_tflops <= 0) o.peak_tflops = kH100Bf16PeakTflops;

  const std::string root = MDETR_SOURCE_DIR;
  const std::string python = Env("MDETR_BENCH_PYTHON", root + "/.venv/bin/python");
  if (!fs::exists(o.trainer)) {
    std::cerr << "trainer_bench: no trainer at " << o.trainer << " (build the mdetr-ml target or pass --trainer)\n";
    return 1;
  }
  std::error_code ec;
  fs::path work;
  if (!o.keep.empty()) {
    work = fs::absolute(o.keep);
    fs::create_directories(work, ec);
  } else {
    std::string tmpl = (fs::temp_directory_path() / "trainer_bench.XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr) {
      std::cerr << "trainer_bench: cannot create a folder under " << fs::temp_directory_path() << "\n";
      return 1;
    }
    work = tmpl;
  }
  auto finish = [&](int code) {
    if (o.keep.empty()) fs::remove_all(work, ec);
    return code;
  };
  if (const std::string missing = CheckReferenceSide(o, python, work); !missing.empty()) {
    std::cerr << "trainer_bench: " << missing << "\n";
    return finish(1);
  }

  // The config both sides run: ours after these overrides, the reference given the same values.
  Setup s;
  s.config_path = full ? std::string(MDETR_BENCH_DIR) + "/synthetic_r101.yaml" : root + "/configs/tasks/synthetic_tiny.yaml";
  const fs::path data = work / "data";
  s.overrides = {"data.train.0.ann_file=" + (data / "train.json").string(),
                 "data.train.0.images=" + (data / "images").string(),
                 "data.val=[]",
                 "model.text_encoder.tokenizer_dir=" + fs::absolute(root + "/../shared/data/tokenizer/roberta-base").lexically_normal().string(),
                 "run.threads=" + std::to_string(o.threads),
                 "run.max_steps=" + std::to_string(o.steps),
                 "run.log_every_steps=1",
                 "run.eval_every_epochs=0",
                 "run.checkpoint_every_steps=0",
                 "run.device=" + o.device,
                 "run.precision=" + o.precision};
  if (o.batch > 0) s.overrides.push_back("optim.batch_size=" + std::to_string(o.batch));
  if (o.workers >= 0) s.overrides.push_back("data.num_workers=" + std::to_string(o.workers));
  // One fixed scale takes the scale draws out of the comparison: each side draws its own.
  if (!o.scales.empty()) s.overrides.push_back("data.scales=[" + o.scales + "]");
  if (o.max_size > 0) s.overrides.push_back("data.max_size=" + std::to_string(o.max_size));
  auto cfg = mdetr::config::LoadExperiment(s.config_path, s.overrides);
  if (!cfg.ok()) {
    std::cerr << "trainer_bench: " << cfg.status().ToString() << "\n";
    return finish(1);
  }
  s.cfg = *cfg;
  const int batch = s.cfg.optim.batch_size;

  // Enough scenes for --steps batches within one epoch (no epoch-end work in the timed steps):
  // each training scene gives captions_per_image samples.
  mdetr::synthetic::SyntheticOptions synth;
  synth.out_dir = data.string();
  synth.seed = o.seed;
  synth.val_fraction = 0.1;
  const int samples = o.steps * batch + batch;
  synth.num_images = static_cast<int>(std::ceil(samples / (synth.captions_per_image * (1 - synth.val_fraction)))) + 2;
  if (full) {  // COCO-sized pictures, resized by the transforms to 480..800 as COCO's are
    synth.scene.min_size = 480;
    synth.scene.max_size = 640;
  }
  if (auto st = mdetr::synthetic::GenerateSyntheticDataset(synth); !st.ok()) {
    std::cerr << "trainer_bench: generating the synthetic data: " << st.ToString() << "\n";
    return finish(1);
  }

  const std::string load_before = LoadAverage();
  if (!o.json_output) {
    std::printf("trainer: %s, %s/%s, batch %d, %d threads, %d loader workers, %d steps (first %d excluded), "
                "%d round(s); load average %s\n",
                o.config.c_str(), o.device.c_str(), o.precision.c_str(), batch, s.cfg.run.threads,
                s.cfg.data.num_workers, o.steps, o.warmup, o.rounds, load_before.c_str());
    std::fflush(stdout);
  }
  std::vector<Figure> ours, theirs;
  for (int r = 0; r < o.rounds; ++r) {
    std::string why;
    ours.push_back(RunOurs(o, s, work / ("ours_" + std::to_string(r)), &why));
    if (ours.back().images_per_s < 0) {
      std::cerr << "trainer_bench: " << why << "\n";
      return finish(1);
    }
    theirs.push_back(RunReference(o, s, python, data, work / ("reference_" + std::to_string(r) + ".stderr"),
                                  count_flops && r == 0, &why));
    if (theirs.back().images_per_s < 0) {
      std::cerr << "trainer_bench: " << why << "\n";
      return finish(1);
    }
  }
  auto best = [](const std::vector<Figure>& v) {
    return *std::max_element(v.begin(), v.end(),
                             [](const Figure& a, const Figure& b) { return a.images_per_s < b.images_per_s; });
  };
  const Figure our_best = best(ours), ref_best = best(theirs);
  const double flops = theirs.front().forward_flops_per_image;
  auto mfu = [&](double ips) { return 3 * flops * ips / (o.peak_tflops * 1e12); };
  const std::string load_after = LoadAverage();

  if (o.json_output) {
    json j{{"config", o.config},           {"device", o.device},
           {"precision", o.precision},     {"threads", s.cfg.run.threads},
           {"batch", batch},               {"workers", s.cfg.data.num_workers},
           {"steps", o.steps},             {"warmup", o.warmup},
           {"ours_images_per_s", our_best.images_per_s},
           {"reference_images_per_s", ref_best.images_per_s},
           {"ratio", our_best.images_per_s / ref_best.images_per_s},
           {"load_average_before", load_before}, {"load_average_after", load_after}};
    for (const auto& f : ours) j["ours_rounds"].push_back(f.images_per_s);
    for (const auto& f : theirs) j["reference_rounds"].push_back(f.images_per_s);
    j["ours_peak_rss_mb"] = ours.front().peak_rss_mb;
    j["reference_peak_rss_mb"] = theirs.front().peak_rss_mb;
    j["ours_step_s"] = our_best.step_s;
    j["reference_step_s"] = ref_best.step_s;
    if (flops > 0) {
      j["forward_flops_per_image"] = flops;
      j["peak_tflops"] = o.peak_tflops;
      j["ours_mfu"] = mfu(our_best.images_per_s);
      j["reference_mfu"] = mfu(ref_best.images_per_s);
    }
    std::printf("%s\n", j.dump().c_str());
    return finish(0);
  }
  std::printf("%-8s %-11s %7s %5s %14s %14s %7s\n", "config", "device", "threads", "batch", "ours img/s",
              "ref img/s", "ratio");
  std::printf("%-8s %-11s %7d %5d %14.3f %14.3f %6.2fx\n", o.config.c_str(), (o.device + "/" + o.precision).c_str(),
              s.cfg.run.threads, batch, our_best.images_per_s, ref_best.images_per_s,
              our_best.images_per_s / ref_best.images_per_s);
  if (o.rounds > 1) {
    std::printf("rounds (img/s): ours");
    for (const auto& f : ours) std::printf(" %.3f", f.images_per_s);
    std::printf("; reference");
    for (const auto& f : theirs) std::printf(" %.3f", f.images_per_s);
    std::printf("\n");
  }
  if (flops > 0) {
    std::printf("model FLOPs utilisation at %.1f TFLOP/s peak (forward %.2f GFLOP/image, x3 for training): "
                "ours %.2f%%, reference %.2f%%\n",
                o.peak_tflops, flops / 1e9, 100 * mfu(our_best.images_per_s), 100 * mfu(ref_best.images_per_s));
  }
  std::printf("peak resident memory of the training process (MB): ours %.0f, reference %.0f (main process)\n",
              ours.front().peak_rss_mb, theirs.front().peak_rss_mb);
  std::printf("load average after: %s\n", load_after.c_str());
  return finish(0);
}
