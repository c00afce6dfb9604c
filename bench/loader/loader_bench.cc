// Images per second of our training data loader (decode, the reference's train transforms, tokens,
// positive map, collate) next to the MDETR reference's torch.utils.data.DataLoader doing the same
// (PIL, reference_loader.py), on the real images of ../shared/data (tests/data/grounding/
// real_images.json), with the same number of workers. Run from the repository root:
//   build/bench/loader/loader_bench [--epochs 8] [--batch-size 2] [--workers 1,2] [--rounds 3]
// Each side reports its fastest of --rounds rounds of --epochs epochs, after one warm-up epoch: on a
// shared machine the fastest round is the one least slowed by other work.
// The reference runs under $MDETR_BENCH_PYTHON (default: the project's .venv) with the checkout in
// $MDETR_REFERENCE (default /tmp/mdetr_ref); without them only our figures are printed.
#include <sys/resource.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "datasets/grounding/loader.h"

namespace {

using mdetr::grounding::DatasetOptions;
using mdetr::grounding::GroundingDataset;
using mdetr::grounding::Loader;
using mdetr::grounding::LoaderOptions;

struct Options {
  int epochs = 8;
  int batch_size = 2;
  int rounds = 3;
  std::vector<int> workers = {1, 2};
  std::string ann = "tests/data/grounding/real_images.json";
  std::string images = "../shared/data";
  std::string tokenizer = "../shared/data/tokenizer/roberta-base";
};

double ProcessCpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) * 1e-6;
}

// Images per wall-clock second and per CPU second (all threads or processes) of the fastest round.
struct Figure {
  double per_s = -1;
  double per_cpu_s = -1;
  int64_t images = 0;
};

std::string Env(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? v : fallback;
}

// Our loader: one warm-up epoch, then the fastest of `rounds` rounds of `epochs` epochs.
Figure Ours(const std::shared_ptr<const GroundingDataset>& ds, const Options& opt, int workers) {
  LoaderOptions lo;
  lo.sampler.batch_size = opt.batch_size;
  lo.sampler.seed = 1;
  lo.sampler.drop_last = false;
  lo.num_workers = workers;
  Loader loader(ds, lo);
  loader.Start(0);
  while (loader.Next()) {
  }
  Figure best;
  int epoch = 1;
  for (int r = 0; r < opt.rounds; ++r) {
    int64_t n = 0;
    const double cpu0 = ProcessCpuSeconds();
    const auto start = std::chrono::steady_clock::now();
    for (int e = 0; e < opt.epochs; ++e) {
      loader.Start(epoch++);
      while (auto b = loader.Next()) n += b->images.size(0);
    }
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const double cpu = ProcessCpuSeconds() - cpu0;
    if (static_cast<double>(n) / s > best.per_s) {
      best = {static_cast<double>(n) / s, static_cast<double>(n) / cpu, n};
    }
  }
  return best;
}

// A number after "key": in the script's JSON line, or -1.
double JsonNumber(const std::string& line, const std::string& key) {
  const auto at = line.find("\"" + key + "\": ");
  return at == std::string::npos ? -1 : std::stod(line.substr(at + key.size() + 4));
}

// The reference's figure, or per_s < 0 with `why` set.
Figure Reference(const Options& opt, int workers, std::string* why) {
  const std::string python = Env("MDETR_BENCH_PYTHON", ".venv/bin/python");
  const std::string reference = Env("MDETR_REFERENCE", "/tmp/mdetr_ref");
  if (!std::ifstream(reference + "/datasets/coco.py")) {
    *why = "no reference checkout at " + reference + " (set MDETR_REFERENCE)";
    return {};
  }
  const std::string cmd = python + " " + MDETR_LOADER_REFERENCE_SCRIPT + " --reference " + reference + " --ann " +
                          opt.ann + " --images " + opt.images + " --tokenizer " + opt.tokenizer + " --workers " +
                          std::to_string(workers) + " --epochs " + std::to_string(opt.epochs) + " --batch-size " +
                          std::to_string(opt.batch_size) + " --rounds " + std::to_string(opt.rounds) + " 2>/dev/null";
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) {
    *why = "could not start " + python;
    return {};
  }
  std::string out;
  char buf[4096];
  while (fgets(buf, sizeof(buf), p) != nullptr) out += buf;
  const int rc = pclose(p);
  Figure f{JsonNumber(out, "images_per_s"), JsonNumber(out, "images_per_cpu_s"),
           static_cast<int64_t>(JsonNumber(out, "images"))};
  if (rc != 0 || f.per_s <= 0) {
    *why = "reference script failed (" + cmd + ")";
    return {};
  }
  return f;
}

}  // namespace

int main(int argc, char** argv) {
  Options opt;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--epochs") {
      opt.epochs = std::stoi(v);
    } else if (k == "--batch-size") {
      opt.batch_size = std::stoi(v);
    } else if (k == "--rounds") {
      opt.rounds = std::max(1, std::stoi(v));
    } else if (k == "--workers") {
      opt.workers.clear();
      std::stringstream ss(v);
      for (std::string w; std::getline(ss, w, ',');) opt.workers.push_back(std::stoi(w));
    } else {
      std::cerr << "unknown option " << k << "\n";
      return 2;
    }
  }
  // Each loader worker does its own work on one core, as each DataLoader worker process does
  // (PyTorch sets one intra-op thread in its workers).
  torch::set_num_threads(1);
  auto tok = mdetr::text::RobertaTokenizer::FromDirectory(opt.tokenizer);
  if (!tok.ok()) {
    std::cerr << tok.status() << "\n";
    return 1;
  }
  DatasetOptions d;
  d.ann_file = opt.ann;
  d.image_dir = opt.images;
  d.train = true;
  auto ds = GroundingDataset::Open(d, std::make_shared<const mdetr::text::RobertaTokenizer>(std::move(tok).value()));
  if (!ds.ok()) {
    std::cerr << ds.status() << "\n";
    return 1;
  }
  std::printf("loader: %lld real images (../shared/data), train transforms, batch %d, best of %d x %d epochs\n",
              static_cast<long long>((*ds)->size()), opt.batch_size, opt.rounds, opt.epochs);
  std::printf("%-8s %12s %12s %7s   %16s %16s %7s\n", "workers", "ours img/s", "ref img/s", "ratio",
              "ours img/cpu-s", "ref img/cpu-s", "ratio");
  for (int w : opt.workers) {
    const Figure ours = Ours(*ds, opt, w);
    std::string why;
    const Figure ref = Reference(opt, w, &why);
    if (ref.per_s > 0) {
      std::printf("%-8d %12.1f %12.1f %6.2fx   %16.1f %16.1f %6.2fx   (%lld vs %lld images)\n", w, ours.per_s,
                  ref.per_s, ours.per_s / ref.per_s, ours.per_cpu_s, ref.per_cpu_s, ours.per_cpu_s / ref.per_cpu_s,
                  static_cast<long long>(ours.images), static_cast<long long>(ref.images));
    } else {
      std::printf("%-8d %12.1f %12s %7s   %16.1f %16s %7s   (%s)\n", w, ours.per_s, "-", "-", ours.per_cpu_s, "-", "-",
                  why.c_str());
    }
    std::fflush(stdout);
  }
  return 0;
}
