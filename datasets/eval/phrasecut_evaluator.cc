#include "datasets/eval/phrasecut_evaluator.h"

#include <algorithm>
#include <cmath>

#include <simdjson.h>

#include "datasets/eval/byte_io.h"

namespace mdetr::eval {
namespace {

constexpr uint32_t kStateMagic = 0x43505045;  // "EPPC"
constexpr uint32_t kStateVersion = 1;

// Python's int(): truncation towards zero.
int64_t Trunc(double v) { return static_cast<int64_t>(std::trunc(v)); }

// The [begin, end) rows a numpy slice a[start:stop] selects on an axis of length n.
std::pair<int64_t, int64_t> SliceRange(int64_t start, int64_t stop, int64_t n) {
  auto norm = [n](int64_t v) {
    if (v < 0) v += n;
    return std::clamp<int64_t>(v, 0, n);
  };
  return {norm(start), norm(stop)};
}

// boxes_to_mask: box (x, y, w, h) -> xyxy = (x, y, x + w - 1, y + h - 1), then
// mask[int(y1):int(y2), int(x1):int(x2)] = 1 (the last row and column are left out).
void DrawBoxes(const std::vector<BoxXywh>& boxes, int64_t w, int64_t h, std::vector<uint8_t>* mask) {
  for (const BoxXywh& b : boxes) {
    const double x2 = b.x + b.w - 1;
    const double y2 = b.y + b.h - 1;
    const auto [r0, r1] = SliceRange(Trunc(b.y), Trunc(y2), h);
    const auto [c0, c1] = SliceRange(Trunc(b.x), Trunc(x2), w);
    for (int64_t r = r0; r < r1; ++r) {
      for (int64_t c = c0; c < c1; ++c) (*mask)[r * w + c] = 1;
    }
  }
}

bool ReadNumber(simdjson::dom::element v, double* out) {
  switch (v.type()) {
    case simdjson::dom::element_type::DOUBLE:
      *out = v.get_double().value_unsafe();
      return true;
    case simdjson::dom::element_type::INT64:
      *out = static_cast<double>(v.get_int64().value_unsafe());
      return true;
    case simdjson::dom::element_type::UINT64:
      *out = static_cast<double>(v.get_uint64().value_unsafe());
      return true;
    default:
      return false;
  }
}

}  // namespace

double PhraseCutBoxIou(const std::vector<BoxXywh>& predicted, const std::vector<BoxXywh>& truth) {
  if (predicted.empty() && truth.empty()) return 0;
  // The canvas reaches the largest x + w - 1 and y + h - 1 of all boxes, plus one.
  double max_x = -INFINITY;
  double max_y = -INFINITY;
  for (const auto* list : {&predicted, &truth}) {
    for (const BoxXywh& b : *list) {
      max_x = std::max(max_x, b.x + b.w - 1);
      max_y = std::max(max_y, b.y + b.h - 1);
    }
  }
  const int64_t w = Trunc(max_x + 1);
  const int64_t h = Trunc(max_y + 1);
  if (w <= 0 || h <= 0) return 0;
  std::vector<uint8_t> m1(static_cast<size_t>(w * h), 0);
  std::vector<uint8_t> m2(static_cast<size_t>(w * h), 0);
  DrawBoxes(predicted, w, h, &m1);
  DrawBoxes(truth, w, h, &m2);
  int64_t i = 0;
  int64_t u = 0;
  for (size_t k = 0; k < m1.size(); ++k) {
    i += (m1[k] & m2[k]);
    u += (m1[k] | m2[k]);
  }
  return i == 0 ? 0.0 : static_cast<double>(i) / static_cast<double>(u);
}

MaskOverlap PolygonMaskOverlap(const std::vector<std::vector<std::pair<double, double>>>& polygons,
                               const BinaryMask& predicted) {
  BinaryMask truth(predicted.width, predicted.height);
  std::vector<IntPoint> points;
  for (const auto& polygon : polygons) {
    if (polygon.size() < 2) continue;
    points.clear();
    for (const auto& [x, y] : polygon)
      points.push_back({static_cast<int>(Trunc(x)), static_cast<int>(Trunc(y))});
    FillPolygon(points, &truth);
  }
  MaskOverlap out;
  for (size_t k = 0; k < truth.pixels.size(); ++k) {
    const bool p = predicted.pixels[k] != 0;
    const bool t = truth.pixels[k] != 0;
    out.intersection += (p && t) ? 1 : 0;
    out.union_area += (p || t) ? 1 : 0;
  }
  out.iou = out.intersection == 0
                ? 0.0
                : static_cast<double>(out.intersection) / static_cast<double>(out.union_area);
  return out;
}

Result<std::vector<PhraseCutTask>> ReadPhraseCutTasks(const std::string& refer_path,
                                                      const std::string& image_info_path) {
  simdjson::dom::parser parser;
  std::unordered_map<int64_t, std::pair<int, int>> sizes;
  {
    simdjson::dom::element doc;
    simdjson::dom::array images;
    if (parser.load(image_info_path).get(doc) != simdjson::SUCCESS ||
        doc.get_array().get(images) != simdjson::SUCCESS) {
      return InvalidArgumentError(image_info_path + ": expected a JSON list of images");
    }
    size_t index = 0;
    for (simdjson::dom::element im : images) {
      int64_t id = 0, w = 0, h = 0;
      if (im["image_id"].get_int64().get(id) != simdjson::SUCCESS ||
          im["width"].get_int64().get(w) != simdjson::SUCCESS ||
          im["height"].get_int64().get(h) != simdjson::SUCCESS || w <= 0 || h <= 0 || w > 100000 ||
          h > 100000) {
        return InvalidArgumentError(image_info_path + ": [" + std::to_string(index) +
                                    "]: expected integer image_id and positive width and height");
      }
      sizes[id] = {static_cast<int>(w), static_cast<int>(h)};
      ++index;
    }
  }
  simdjson::dom::element doc;
  simdjson::dom::array tasks;
  if (parser.load(refer_path).get(doc) != simdjson::SUCCESS ||
      doc.get_array().get(tasks) != simdjson::SUCCESS) {
    return InvalidArgumentError(refer_path + ": expected a JSON list of tasks");
  }
  std::vector<PhraseCutTask> out;
  size_t index = 0;
  for (simdjson::dom::element t : tasks) {
    const std::string where = refer_path + ": [" + std::to_string(index++) + "]";
    PhraseCutTask task;
    std::string_view task_id;
    if (t["task_id"].get_string().get(task_id) != simdjson::SUCCESS) {
      return InvalidArgumentError(where + ".task_id: expected a string");
    }
    task.task_id = std::string(task_id);
    if (t["image_id"].get_int64().get(task.image_id) != simdjson::SUCCESS) {
      return InvalidArgumentError(where + ".image_id: expected an integer");
    }
    auto size = sizes.find(task.image_id);
    if (size == sizes.end()) {
      return InvalidArgumentError(where + ".image_id: image " + std::to_string(task.image_id) +
                                  " is not in " + image_info_path);
    }
    task.width = size->second.first;
    task.height = size->second.second;
    simdjson::dom::array instances;
    if (t["Polygons"].get_array().get(instances) != simdjson::SUCCESS) {
      return InvalidArgumentError(where + ".Polygons: expected a list of instances");
    }
    for (simdjson::dom::element instance : instances) {
      simdjson::dom::array polygons;
      if (instance.get_array().get(polygons) != simdjson::SUCCESS) {
        return InvalidArgumentError(where + ".Polygons: expected a list of polygons per instance");
      }
      for (simdjson::dom::element polygon : polygons) {
        simdjson::dom::array points;
        if (polygon.get_array().get(points) != simdjson::SUCCESS) {
          return InvalidArgumentError(where + ".Polygons: expected a polygon as a list of [x, y]");
        }
        std::vector<std::pair<double, double>> p;
        for (simdjson::dom::element point : points) {
          simdjson::dom::array xy;
          double x = 0, y = 0;
          if (point.get_array().get(xy) != simdjson::SUCCESS || xy.size() != 2 ||
              !ReadNumber(xy.at(0).value(), &x) || !ReadNumber(xy.at(1).value(), &y)) {
            return InvalidArgumentError(where + ".Polygons: expected each point as [x, y]");
          }
          p.emplace_back(x, y);
        }
        task.polygons.push_back(std::move(p));
      }
    }
    simdjson::dom::array boxes;
    if (t["instance_boxes"].get_array().get(boxes) != simdjson::SUCCESS) {
      return InvalidArgumentError(where + ".instance_boxes: expected a list of [x, y, w, h]");
    }
    for (simdjson::dom::element box : boxes) {
      simdjson::dom::array v;
      BoxXywh b;
      if (box.get_array().get(v) != simdjson::SUCCESS || v.size() != 4 ||
          !ReadNumber(v.at(0).value(), &b.x) || !ReadNumber(v.at(1).value(), &b.y) ||
          !ReadNumber(v.at(2).value(), &b.w) || !ReadNumber(v.at(3).value(), &b.h)) {
        return InvalidArgumentError(where + ".instance_boxes: expected each box as [x, y, w, h]");
      }
      task.boxes.push_back(b);
    }
    out.push_back(std::move(task));
  }
  return out;
}

PhraseCutEvaluator::PhraseCutEvaluator(std::vector<PhraseCutTask> tasks, bool evaluate_masks)
    : tasks_(std::move(tasks)), evaluate_masks_(evaluate_masks) {
  for (size_t i = 0; i < tasks_.size(); ++i) task_index_.emplace(tasks_[i].task_id, i);
}

Status PhraseCutEvaluator::Add(const std::string& task_id, const PhraseCutPrediction& prediction) {
  auto it = task_index_.find(task_id);
  if (it == task_index_.end())
    return InvalidArgumentError("PhraseCut: prediction for unknown task \"" + task_id + "\"");
  const PhraseCutTask& task = tasks_[it->second];
  if (evaluate_masks_) {
    if (!prediction.has_mask)
      return InvalidArgumentError("PhraseCut task " + task_id + ": expected a predicted mask");
    const BinaryMask& m = prediction.mask;
    if (m.width <= 0 || m.height <= 0 ||
        m.pixels.size() != static_cast<size_t>(m.width) * static_cast<size_t>(m.height)) {
      return InvalidArgumentError("PhraseCut task " + task_id + ": mask size does not match its pixels");
    }
  }
  for (const BoxXywh& b : prediction.boxes) {
    if (!std::isfinite(b.x) || !std::isfinite(b.y) || !std::isfinite(b.w) || !std::isfinite(b.h) ||
        std::fabs(b.x) + std::fabs(b.w) > 1e6 || std::fabs(b.y) + std::fabs(b.h) > 1e6) {
      return InvalidArgumentError("PhraseCut task " + task_id + ": expected finite boxes within 1e6 pixels");
    }
  }
  if (results_.count(task_id) != 0) return Status::Ok();
  TaskResult r;
  r.box_iou = PhraseCutBoxIou(prediction.boxes, task.boxes);
  if (evaluate_masks_) {
    const MaskOverlap o = PolygonMaskOverlap(task.polygons, prediction.mask);
    r.mask_iou = o.iou;
    r.intersection = o.intersection;
    r.union_area = o.union_area;
  }
  results_.emplace(task_id, r);
  order_.push_back(task_id);
  return Status::Ok();
}

std::string PhraseCutEvaluator::SerializeState() const {
  ByteWriter w;
  w.U32(kStateMagic);
  w.U32(kStateVersion);
  w.U8(evaluate_masks_ ? 1 : 0);
  w.U32(static_cast<uint32_t>(order_.size()));
  for (const std::string& id : order_) {
    const TaskResult& r = results_.at(id);
    w.Str(id);
    w.F64(r.box_iou);
    w.F64(r.mask_iou);
    w.I64(r.intersection);
    w.I64(r.union_area);
  }
  return w.Take();
}

Status PhraseCutEvaluator::MergeState(std::string_view bytes) {
  ByteReader r(bytes, "PhraseCut evaluator");
  uint32_t magic = 0, version = 0, n = 0;
  uint8_t masks = 0;
  if (!r.U32(&magic) || magic != kStateMagic) return r.Error("expected the PhraseCut evaluator magic number");
  if (!r.U32(&version) || version != kStateVersion)
    return r.Error("expected version " + std::to_string(kStateVersion));
  if (!r.U8(&masks) || !r.Count(&n, 36)) return r.Error("truncated header");
  if ((masks != 0) != evaluate_masks_)
    return InvalidArgumentError("PhraseCut evaluator state: mask evaluation differs");
  std::vector<std::pair<std::string, TaskResult>> incoming(n);
  for (auto& [id, t] : incoming) {
    if (!r.Str(&id) || !r.F64(&t.box_iou) || !r.F64(&t.mask_iou) || !r.I64(&t.intersection) ||
        !r.I64(&t.union_area)) {
      return r.Error("truncated task result");
    }
    if (task_index_.count(id) == 0) return r.Error("unknown task \"" + id + "\"");
  }
  if (!r.AtEnd()) return r.Error("expected the end of the state");
  for (auto& [id, t] : incoming) {
    if (results_.emplace(id, t).second) order_.push_back(id);
  }
  return Status::Ok();
}

PhraseCutSummary PhraseCutEvaluator::Summarize() const {
  PhraseCutSummary s;
  s.tasks_total = static_cast<int64_t>(tasks_.size());
  s.tasks_evaluated = static_cast<int64_t>(order_.size());
  s.has_masks = evaluate_masks_;
  if (order_.empty()) return s;
  double box_sum = 0, mask_sum = 0;
  int64_t i_sum = 0, u_sum = 0;
  std::array<int64_t, 5> box_above{}, mask_above{};
  for (const std::string& id : order_) {
    const TaskResult& r = results_.at(id);
    box_sum += r.box_iou;
    mask_sum += r.mask_iou;
    i_sum += r.intersection;
    u_sum += r.union_area;
    for (size_t k = 0; k < 5; ++k) {
      box_above[k] += r.box_iou > PhraseCutSummary::kThresholds[k] ? 1 : 0;
      mask_above[k] += r.mask_iou > PhraseCutSummary::kThresholds[k] ? 1 : 0;
    }
  }
  const double n = static_cast<double>(order_.size());
  s.mean_box_iou = box_sum / n;
  s.mean_mask_iou = mask_sum / n;
  s.cum_mask_iou = u_sum == 0 ? 0.0 : static_cast<double>(i_sum) / static_cast<double>(u_sum);
  for (size_t k = 0; k < 5; ++k) {
    s.box_precision[k] = static_cast<double>(box_above[k]) / n;
    s.mask_precision[k] = static_cast<double>(mask_above[k]) / n;
  }
  return s;
}

}  // namespace mdetr::eval
