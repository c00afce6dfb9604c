// mdetr-ckpt-inspect FILE [--touch] [--list]
// Prints what a checkpoint holds and what loading it cost (wall time, peak resident memory).
// --touch reads every tensor byte (a checksum), to measure a full pass over the mapped data.
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>

#include <sys/resource.h>

#include "model/io/load_weights.h"
#include "model/io/torch_checkpoint.h"

namespace {

long PeakRssKiB() {
  struct rusage usage {};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s FILE [--touch] [--list]\n", argv[0]);
    return 2;
  }
  const std::string path = argv[1];
  bool touch = false, list = false;
  for (int i = 2; i < argc; ++i) {
    touch |= std::strcmp(argv[i], "--touch") == 0;
    list |= std::strcmp(argv[i], "--list") == 0;
  }
  const long rss_before = PeakRssKiB();
  auto start = std::chrono::steady_clock::now();
  auto weights = mdetr::io::LoadWeights(path);
  const double load_s = Seconds(start);
  if (!weights.ok()) {
    std::fprintf(stderr, "%s\n", weights.status().ToString().c_str());
    return 1;
  }
  const long rss_loaded = PeakRssKiB();
  std::printf("format: %s%s%s\n", weights->format.c_str(), weights->selected.empty() ? "" : ", weights from ",
              weights->selected.c_str());
  std::printf("tensors: %zu, %.1f MiB\n", weights->tensors.size(), weights->tensors.TotalBytes() / 1048576.0);
  if (weights->format == "torch") {
    auto checkpoint = mdetr::io::LoadTorchCheckpoint(path);
    if (checkpoint.ok()) {
      for (const auto& [key, value] : checkpoint->root.items()) {
        if (value.is_dict() && value.size() > 4) {
          std::printf("  %s: dict of %zu items\n", key.Repr().c_str(), value.size());
        } else {
          std::printf("  %s: %s\n", key.Repr().c_str(), value.Repr(2, 6).substr(0, 200).c_str());
        }
      }
    }
  }
  if (list) {
    for (const auto& [name, tensor] : weights->tensors) {
      std::printf("  %s %s%s\n", name.c_str(), tensor.ShapeString().c_str(),
                  tensor.is_contiguous() ? "" : " (view)");
    }
  }
  std::printf("load: %.3f s, peak RSS %.1f MiB (%.1f MiB before loading)\n", load_s, rss_loaded / 1024.0,
              rss_before / 1024.0);
  if (touch) {
    start = std::chrono::steady_clock::now();
    uint64_t sum = 0;
    for (const auto& [name, tensor] : weights->tensors) {
      if (!tensor.is_contiguous()) continue;  // views re-read bytes their base tensor covers
      const uint8_t* p = tensor.data();
      for (size_t i = 0; i < tensor.nbytes(); i += 8) {
        uint64_t word = 0;
        std::memcpy(&word, p + i, tensor.nbytes() - i < 8 ? tensor.nbytes() - i : 8);
        sum += word;
      }
    }
    std::printf("touch: %.3f s, byte checksum %016llx, peak RSS %.1f MiB\n", Seconds(start),
                static_cast<unsigned long long>(sum), PeakRssKiB() / 1024.0);
  }
  return 0;
}
