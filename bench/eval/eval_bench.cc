// Time of our COCO and LVIS box evaluators next to pycocotools' COCOeval and the LVIS API, on the
// same ground truth (the real LVIS val subset, ../shared/data/lvis/lvis_val_100.json) and the
// same seeded detections (100 per image, as MDETR's 100 queries). See README.md.
//
// The reference runs under $MDETR_BENCH_PYTHON, else /tmp/venv-eval/bin/python, else python3;
// without it the bench prints our figures only, with the reason.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <time.h>

#include "datasets/annotations/coco_dataset.h"
#include "datasets/eval/coco_evaluator.h"
#include "datasets/eval/lvis_evaluator.h"

namespace {

using mdetr::eval::Detection;

double CpuSeconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

struct ImageDetections {
  int64_t image_id;
  std::vector<Detection> detections;
};

// Jittered ground-truth boxes (80% keep their category) and random boxes, 100 per image.
std::vector<ImageDetections> MakeDetections(const mdetr::annotations::CocoDataset& gt) {
  std::mt19937_64 rng(20210426);
  std::uniform_real_distribution<double> u01(0, 1);
  std::normal_distribution<double> jitter(0, 0.1);
  std::vector<int32_t> categories;
  for (const auto& c : gt.categories()) categories.push_back(c.id);
  std::vector<ImageDetections> out;
  for (uint32_t i = 0; i < gt.images().size(); ++i) {
    const auto& im = gt.images()[i];
    ImageDetections d{im.id, {}};
    for (uint32_t a : gt.AnnotationsOf(i)) {
      if (d.detections.size() >= 100) break;
      const auto& ann = gt.annotations()[a];
      Detection det;
      det.category_id = u01(rng) < 0.8 ? ann.category_id : categories[rng() % categories.size()];
      det.box = {ann.bbox[0] + jitter(rng) * ann.bbox[2], ann.bbox[1] + jitter(rng) * ann.bbox[3],
                 std::max(1.0, ann.bbox[2] * (1 + jitter(rng))),
                 std::max(1.0, ann.bbox[3] * (1 + jitter(rng)))};
      det.score = u01(rng);
      d.detections.push_back(det);
    }
    // The rest: categories of this image's ground truth or its negatives, so that they count.
    std::vector<int32_t> pool;
    for (uint32_t a : gt.AnnotationsOf(i)) pool.push_back(gt.annotations()[a].category_id);
    const int64_t* neg = gt.ints(im.negative_category_ids);
    pool.insert(pool.end(), neg, neg + im.negative_category_ids.size());
    if (pool.empty()) pool = categories;
    while (d.detections.size() < 100) {
      Detection det;
      det.category_id = pool[rng() % pool.size()];
      const double w = 4 + u01(rng) * im.width / 2.0, h = 4 + u01(rng) * im.height / 2.0;
      det.box = {u01(rng) * (im.width - w), u01(rng) * (im.height - h), w, h};
      det.score = u01(rng);
      d.detections.push_back(det);
    }
    out.push_back(std::move(d));
  }
  return out;
}

void WriteResultsJson(const std::vector<ImageDetections>& all, const std::string& path) {
  std::ofstream f(path);
  f.precision(17);
  f << "[";
  bool first = true;
  for (const auto& im : all) {
    for (const Detection& d : im.detections) {
      f << (first ? "" : ",") << "{\"image_id\":" << im.image_id << ",\"category_id\":" << d.category_id
        << ",\"bbox\":[" << d.box.x << "," << d.box.y << "," << d.box.w << "," << d.box.h
        << "],\"score\":" << d.score << "}";
      first = false;
    }
  }
  f << "]";
}

std::string PythonPath() {
  if (const char* p = std::getenv("MDETR_BENCH_PYTHON")) return p;
  if (std::ifstream("/tmp/venv-eval/bin/python")) return "/tmp/venv-eval/bin/python";
  return "python3";
}

// Runs the reference timing script; returns its lines ("case" -> raw JSON line).
std::vector<std::string> RunReference(const std::string& gt_path, const std::string& dets_path) {
  const std::string cmd =
      PythonPath() + " " + MDETR_COCO_TIMING_SCRIPT + " " + gt_path + " " + dets_path + " 2>&1";
  std::vector<std::string> lines;
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return lines;
  char buf[4096];
  while (fgets(buf, sizeof(buf), p) != nullptr) lines.emplace_back(buf);
  pclose(p);
  return lines;
}

std::string Field(const std::string& line, const std::string& key) {
  const size_t at = line.find("\"" + key + "\": ");
  if (at == std::string::npos) return "";
  size_t begin = at + key.size() + 4;
  size_t end = begin;
  int depth = 0;
  while (end < line.size()) {
    const char c = line[end];
    if (c == '[') ++depth;
    if (c == ']') --depth;
    if (depth == 0 && (c == ',' || c == '}')) break;
    ++end;
  }
  if (end < line.size() && line[end] == ']') ++end;
  return line.substr(begin, end - begin);
}

}  // namespace

int main(int argc, char** argv) {
  const std::string gt_path = argc > 1 ? argv[1] : "../shared/data/lvis/lvis_val_100.json";
  auto gt = mdetr::annotations::ReadCocoJson(gt_path);
  if (!gt.ok()) {
    std::fprintf(stderr, "%s\n", gt.status().ToString().c_str());
    return 1;
  }
  const auto detections = MakeDetections(*gt);
  size_t n = 0;
  for (const auto& im : detections) n += im.detections.size();
  std::printf("ground truth: %s (%zu images, %zu boxes); %zu detections\n", gt_path.c_str(),
              gt->images().size(), gt->annotations().size(), n);

  struct Ours {
    std::string name;
    double seconds;
    std::string stats;
  };
  std::vector<Ours> ours;
  for (bool use_cats : {true, false}) {
    const double start = CpuSeconds();
    mdetr::eval::CocoBoxEvaluator e(*gt, {use_cats});
    for (const auto& im : detections) {
      if (!e.AddImage(im.image_id, im.detections).ok()) return 1;
    }
    const auto s = e.Summarize();
    const double seconds = CpuSeconds() - start;
    char buf[128];
    std::snprintf(buf, sizeof(buf), "AP %.4f AP50 %.4f", s.stats[0], s.stats[1]);
    ours.push_back({use_cats ? "coco_per_category" : "coco_class_agnostic", seconds, buf});
  }
  {
    const double start = CpuSeconds();
    mdetr::eval::LvisEvalOptions o;
    o.limit = mdetr::eval::LvisLimit::kStandard;
    auto e = mdetr::eval::LvisEvaluator::Create(*gt, o);
    if (!e.ok()) return 1;
    for (const auto& im : detections) {
      if (!e->AddImage(im.image_id, im.detections).ok()) return 1;
    }
    const auto s = e->Summarize();
    const double seconds = CpuSeconds() - start;
    char buf[160];
    std::snprintf(buf, sizeof(buf), "AP %.4f AP50 %.4f APr %.4f APc %.4f APf %.4f", s.ap, s.ap50, s.apr,
                  s.apc, s.apf);
    ours.push_back({"lvis_standard", seconds, buf});
  }

  const std::string dets_path = "/tmp/mdetr_eval_bench_dets.json";
  WriteResultsJson(detections, dets_path);
  const std::vector<std::string> reference = RunReference(gt_path, dets_path);
  std::remove(dets_path.c_str());

  std::printf("%-22s %12s %14s %9s\n", "case", "ours (ms)", "reference (ms)", "speed-up");
  for (const Ours& o : ours) {
    std::string ref_line;
    for (const std::string& l : reference) {
      if (l.find("\"case\": \"" + o.name + "\"") != std::string::npos) ref_line = l;
    }
    const std::string seconds = Field(ref_line, "seconds");
    if (seconds.empty()) {
      std::printf("%-22s %12.1f %14s %9s  ours: %s\n", o.name.c_str(), 1e3 * o.seconds, "n/a", "",
                  o.stats.c_str());
      std::printf("  reference unavailable: %s",
                  ref_line.empty() ? (reference.empty() ? "no output\n" : reference.back().c_str())
                                   : Field(ref_line, "error").c_str());
      std::printf("\n");
      continue;
    }
    const double ref = std::stod(seconds);
    std::printf("%-22s %12.1f %14.1f %8.1fx  ours: %s\n", o.name.c_str(), 1e3 * o.seconds, 1e3 * ref,
                ref / o.seconds, o.stats.c_str());
    std::printf("%-22s %12s %14s %9s  reference stats: %s\n", "", "", "", "",
                Field(ref_line, "stats").c_str());
  }
  return 0;
}
