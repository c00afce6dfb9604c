// Images per second of our training data loader (decode, the reference's train transforms, tokens,
// positive map, collate) next to the MDETR reference's torch.utils.data.DataLoader doing the same
// (PIL, reference_loader.py), on the real images of ../shared/data (tests/data/grounding/
// real_images.json), with the same number of workers. Run from the repository root:
//   build/bench/loader/loader_bench [--epochs 8] [--batch-size 2] [--workers 1,2]
// The reference runs under $MDETR_BENCH_PYTHON (default: the project's .venv) with the checkout in
// $MDETR_REFERENCE (default /tmp/mdetr_ref); without them only our figures are printed.
#include <torch/torch.h>

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
  std::vector<int> workers = {1, 2};
  std::string ann = "tests/data/grounding/real_images.json";
  std::string images = "../shared/data";
  std::string tokenizer = "../shared/data/tokenizer/roberta-base";
};

std::string Env(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? v : fallback;
}

// Our loader: one warm-up epoch, then `epochs` timed epochs.
double OursImagesPerSecond(const std::shared_ptr<const GroundingDataset>& ds, const Options& opt, int workers,
                           int64_t* images) {
  LoaderOptions lo;
  lo.sampler.batch_size = opt.batch_size;
  lo.sampler.seed = 1;
  lo.sampler.drop_last = false;
  lo.num_workers = workers;
  Loader loader(ds, lo);
  loader.Start(0);
  while (loader.Next()) {
  }
  *images = 0;
  const auto start = std::chrono::steady_clock::now();
  for (int e = 1; e <= opt.epochs; ++e) {
    loader.Start(e);
    while (auto b = loader.Next()) *images += b->images.size(0);
  }
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return static_cast<double>(*images) / s;
}

// The reference's figure, or a negative value with `why` set.
double ReferenceImagesPerSecond(const Options& opt, int workers, int64_t* images, std::string* why) {
  const std::string python = Env("MDETR_BENCH_PYTHON", ".venv/bin/python");
  const std::string reference = Env("MDETR_REFERENCE", "/tmp/mdetr_ref");
  if (!std::ifstream(reference + "/datasets/coco.py")) {
    *why = "no reference checkout at " + reference + " (set MDETR_REFERENCE)";
    return -1;
  }
  const std::string cmd = python + " " + MDETR_LOADER_REFERENCE_SCRIPT + " --reference " + reference + " --ann " +
                          opt.ann + " --images " + opt.images + " --tokenizer " + opt.tokenizer + " --workers " +
                          std::to_string(workers) + " --epochs " + std::to_string(opt.epochs) + " --batch-size " +
                          std::to_string(opt.batch_size) + " 2>/dev/null";
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) {
    *why = "could not start " + python;
    return -1;
  }
  std::string out;
  char buf[4096];
  while (fgets(buf, sizeof(buf), p) != nullptr) out += buf;
  const int rc = pclose(p);
  const auto ips = out.find("\"images_per_s\": ");
  const auto img = out.find("\"images\": ");
  if (rc != 0 || ips == std::string::npos || img == std::string::npos) {
    *why = "reference script failed (" + cmd + ")";
    return -1;
  }
  *images = std::stoll(out.substr(img + 10));
  return std::stod(out.substr(ips + 16));
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
  std::printf("loader: %lld real images (../shared/data), train transforms, batch %d, %d timed epochs\n",
              static_cast<long long>((*ds)->size()), opt.batch_size, opt.epochs);
  std::printf("%-8s %14s %18s %8s\n", "workers", "ours img/s", "reference img/s", "ratio");
  for (int w : opt.workers) {
    int64_t ours_n = 0, ref_n = 0;
    const double ours = OursImagesPerSecond(*ds, opt, w, &ours_n);
    std::string why;
    const double ref = ReferenceImagesPerSecond(opt, w, &ref_n, &why);
    if (ref > 0) {
      std::printf("%-8d %14.1f %18.1f %7.2fx   (%lld vs %lld images)\n", w, ours, ref, ours / ref,
                  static_cast<long long>(ours_n), static_cast<long long>(ref_n));
    } else {
      std::printf("%-8d %14.1f %18s %8s   (%s)\n", w, ours, "-", "-", why.c_str());
    }
    std::fflush(stdout);
  }
  return 0;
}
