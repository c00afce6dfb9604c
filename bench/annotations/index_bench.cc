// Time and memory to read and index a large MDETR-format annotation file, next to Python's
// json.load on the same file (what the reference does through pycocotools).
//
//   python3 bench/annotations/make_mdetr_json.py /tmp/mdetr_500mb.json --mb 500
//   build/bench/annotations/annotations_index_bench /tmp/mdetr_500mb.json [python3]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <sys/resource.h>
#include <sys/wait.h>

#include "datasets/annotations/coco_dataset.h"

namespace {

double CpuSeconds(int who) {
  rusage usage{};
  getrusage(who, &usage);
  return usage.ru_utime.tv_sec + usage.ru_utime.tv_usec * 1e-6 + usage.ru_stime.tv_sec +
         usage.ru_stime.tv_usec * 1e-6;
}

double PeakRssMb(int who) {
  rusage usage{};
  getrusage(who, &usage);
  return usage.ru_maxrss / 1024.0;  // kilobytes on Linux
}

// Runs json.load in a child Python and reads back its wall time; its CPU time and peak RSS come
// from RUSAGE_CHILDREN (interpreter start-up included, about 0.02 s).
bool RunPython(const std::string& python, const std::string& path, double* seconds, double* cpu,
               double* peak_mb) {
  const std::string cmd =
      python +
      " -c \"import json,sys,time; t=time.perf_counter(); d=json.load(open(sys.argv[1])); "
      "print(time.perf_counter()-t, len(d['images']), len(d['annotations']))\" '" +
      path + "'";
  FILE* pipe = popen(cmd.c_str(), "r");
  if (pipe == nullptr) return false;
  long images = 0, annotations = 0;  // NOLINT(runtime/int)
  const int n = std::fscanf(pipe, "%lf %ld %ld", seconds, &images, &annotations);
  const int rc = pclose(pipe);
  *peak_mb = PeakRssMb(RUSAGE_CHILDREN);
  *cpu = CpuSeconds(RUSAGE_CHILDREN);
  return n == 3 && rc == 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s FILE.json [python]\n", argv[0]);
    return 2;
  }
  const std::string path = argv[1];
  const std::string python = argc > 2 ? argv[2] : "python3";
  const double rss_before = PeakRssMb(RUSAGE_SELF);
  const double cpu_before = CpuSeconds(RUSAGE_SELF);
  const auto start = std::chrono::steady_clock::now();
  auto ds = mdetr::annotations::ReadCocoJson(path, {});
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!ds.ok()) {
    std::fprintf(stderr, "%s\n", ds.status().ToString().c_str());
    return 1;
  }
  const double cpu = CpuSeconds(RUSAGE_SELF) - cpu_before;
  const double peak = PeakRssMb(RUSAGE_SELF);
  std::printf("file: %s\n", path.c_str());
  // Wall time depends on what else runs on the machine; CPU time (user + system) much less so.
  std::printf("%-30s %9s %9s %13s %9s\n", "reader", "wall s", "CPU s", "peak RSS MB", "held MB");
  std::printf("%-30s %9.2f %9.2f %13.0f %9.0f   (%zu images, %zu annotations)\n", "C++ simdjson index (ours)",
              seconds, cpu, peak - rss_before, ds->stats().memory_bytes / 1e6, ds->images().size(),
              ds->annotations().size());
  double py_seconds = 0, py_cpu = 0, py_peak = 0;
  if (RunPython(python, path, &py_seconds, &py_cpu, &py_peak)) {
    std::printf("%-30s %9.2f %9.2f %13.0f %9s\n", "Python json.load (reference)", py_seconds, py_cpu, py_peak,
                "-");
    std::printf("speed-up: %.1fx wall, %.1fx CPU\n", py_seconds / seconds, py_cpu / cpu);
  } else {
    std::printf("Python json.load: could not run '%s'\n", python.c_str());
  }
  return 0;
}
