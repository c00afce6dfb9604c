#include "datasets/grounding/task_fields.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "datasets/eval/coco_polygon.h"
#include "datasets/eval/polygon_raster.h"
#include "datasets/eval/qa_accuracy.h"

namespace mdetr::grounding {
namespace fs = std::filesystem;
namespace {

Result<nlohmann::json> ReadJson(const std::string& path) {
  std::ifstream in(path);
  if (!in) return NotFoundError(path + ": cannot open (GQA answer ids)");
  nlohmann::json j = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return InvalidArgumentError(path + ": not valid JSON");
  return j;
}

// {answer: id}; ids must be integers.
Result<std::map<std::string, int64_t>> AnswerMap(const nlohmann::json& j, const std::string& where) {
  if (!j.is_object()) return InvalidArgumentError(where + ": expected an object {answer: id}");
  std::map<std::string, int64_t> out;
  for (const auto& [answer, id] : j.items()) {
    if (!id.is_number_integer() || id.get<int64_t>() < 0) {
      return InvalidArgumentError(where + "[\"" + answer + "\"]: expected a non-negative integer id");
    }
    out[answer] = id.get<int64_t>();
  }
  return out;
}

int GqaTypeIndex(std::string_view type) {
  for (size_t i = 0; i < kGqaAnswerTypes.size(); ++i) {
    if (type == kGqaAnswerTypes[i]) return static_cast<int>(i);
  }
  return -1;
}

}  // namespace

Result<GqaAnswerIds> GqaAnswerIds::FromFolder(const std::string& dir) {
  GqaAnswerIds ids;
  ids.all_path_ = (fs::path(dir) / "gqa_answer2id.json").string();
  ids.by_type_path_ = (fs::path(dir) / "gqa_answer2id_by_type.json").string();
  MDETR_ASSIGN_OR_RETURN(auto all, ReadJson(ids.all_path_));
  MDETR_ASSIGN_OR_RETURN(ids.all_, AnswerMap(all, ids.all_path_));
  MDETR_ASSIGN_OR_RETURN(auto by_type, ReadJson(ids.by_type_path_));
  for (size_t t = 0; t < kGqaAnswerTypes.size(); ++t) {
    const std::string key = std::string("answer_") + kGqaAnswerTypes[t];
    if (!by_type.is_object() || !by_type.contains(key)) {
      return InvalidArgumentError(ids.by_type_path_ + ": missing \"" + key + "\"");
    }
    MDETR_ASSIGN_OR_RETURN(ids.by_type_[t], AnswerMap(by_type[key], ids.by_type_path_ + "." + key));
  }
  // The reference maps answers it does not know to "unknown": every list needs one.
  if (!ids.all_.count("unknown")) return InvalidArgumentError(ids.all_path_ + ": no \"unknown\" answer");
  for (size_t t = 0; t < kGqaAnswerTypes.size(); ++t) {
    if (!ids.by_type_[t].count("unknown")) {
      return InvalidArgumentError(ids.by_type_path_ + ".answer_" + kGqaAnswerTypes[t] + ": no \"unknown\" answer");
    }
  }
  return ids;
}

Result<QaLabel> GqaAnswerIds::Label(const std::string& answer, const std::string& question_type) const {
  QaLabel label;
  label.type = GqaTypeIndex(question_type);
  if (label.type < 0) {
    return InvalidArgumentError("question_type \"" + question_type + "\": expected obj, attr, rel, global or cat");
  }
  auto lookup = [&](const std::map<std::string, int64_t>& m) {
    auto it = m.find(answer);
    return it != m.end() ? it->second : m.at("unknown");
  };
  label.answer = lookup(all_);
  label.type_answer = lookup(by_type_[static_cast<size_t>(label.type)]);
  return label;
}

Result<QaLabel> ClevrLabel(const std::string& answer) {
  MDETR_ASSIGN_OR_RETURN(auto truth, eval::ClevrTruthFromAnswer(answer));
  QaLabel label;
  label.type = truth.type;
  label.type_answer = truth.answer;
  label.answer = truth.answer;
  return label;
}

Result<TaskFields> TaskFields::Open(const TaskFieldOptions& options, const annotations::CocoDataset& data,
                                    const std::string& source) {
  TaskFields f;
  f.options_ = options;
  if (!options.qa_dataset.empty() && options.qa_dataset != "gqa" && options.qa_dataset != "clevr") {
    return InvalidArgumentError("qa_dataset \"" + options.qa_dataset + "\": expected gqa or clevr");
  }
  if (options.qa_dataset == "gqa") {
    const std::string dir =
        options.answer_dir.empty() ? fs::path(source).parent_path().string() : options.answer_dir;
    auto ids = GqaAnswerIds::FromFolder(dir.empty() ? "." : dir);
    if (!ids.ok()) return ids.status().WithContext(source + ": GQA answer ids");
    f.gqa_ = std::make_shared<const GqaAnswerIds>(std::move(ids).value());
  }
  std::vector<std::string> errors;
  auto fail = [&](const std::string& what) {
    if (errors.size() < 20) errors.push_back(what);
  };
  if (!options.qa_dataset.empty()) {
    for (size_t i = 0; i < data.images().size(); ++i) {
      const auto& rec = data.images()[i];
      const std::string where = source + ": images[" + std::to_string(i) + "] (id " + std::to_string(rec.id) + ")";
      const std::string answer(data.str(rec.answer));
      if (answer.empty()) {
        fail(where + ".answer: missing; a " + options.qa_dataset + " question needs its answer");
        continue;
      }
      if (options.qa_dataset == "gqa") {
        auto label = f.gqa_->Label(answer, std::string(data.str(rec.question_type)));
        if (!label.ok()) fail(where + "." + label.status().message());
      } else {
        auto label = ClevrLabel(answer);
        if (!label.ok()) fail(where + ".answer: " + label.status().message());
      }
    }
  }
  if (options.masks || options.isfinal) {
    for (size_t a = 0; a < data.annotations().size(); ++a) {
      const auto& ann = data.annotations()[a];
      if (ann.image_index == annotations::kNoImage || ann.iscrowd) continue;
      const std::string where = source + ": annotations[" + std::to_string(a) + "] (id " + std::to_string(ann.id) + ")";
      if (options.isfinal && ann.isfinal < 0) fail(where + ".isfinal: missing; CLEVR-Ref+ needs 0 or 1 per box");
      if (!options.masks) continue;
      if (ann.segmentation != annotations::SegmentationKind::kPolygons || ann.polygons.empty()) {
        fail(where + ".segmentation: expected a list of polygons [[x0, y0, x1, y1, ...], ...]" +
             (ann.segmentation == annotations::SegmentationKind::kRle ? " (RLE is not supported)" : ""));
        continue;
      }
      const auto* polys = data.polygon_ranges(ann.polygons);
      for (uint32_t p = 0; p < ann.polygons.size(); ++p) {
        const auto r = polys[p];
        bool finite = true;
        for (uint32_t k = 0; k < r.size(); ++k) finite = finite && std::isfinite(data.coords(r)[k]);
        if (r.size() < 6 || r.size() % 2 != 0 || !finite) {
          fail(where + ".segmentation[" + std::to_string(p) + "]: expected at least 3 finite (x, y) points, got " +
               std::to_string(r.size()) + " numbers");
        }
      }
    }
  }
  if (!errors.empty()) {
    std::string msg;
    for (const auto& e : errors) msg += (msg.empty() ? "" : "\n") + e;
    return InvalidArgumentError(msg);
  }
  return f;
}

torch::Tensor TaskFields::Masks(const annotations::CocoDataset& data, const std::vector<uint32_t>& anns, int width,
                                int height) const {
  auto out = torch::zeros({static_cast<int64_t>(anns.size()), height, width}, torch::kBool);
  bool* dst = out.data_ptr<bool>();
  const size_t plane = static_cast<size_t>(width) * static_cast<size_t>(height);
  for (size_t i = 0; i < anns.size(); ++i) {
    const auto& ann = data.annotations()[anns[i]];
    eval::BinaryMask mask(width, height);
    const auto* polys = data.polygon_ranges(ann.polygons);
    for (uint32_t p = 0; p < ann.polygons.size(); ++p) {
      // pycocotools' rasterisation of the unrounded vertices, as the reference's ConvertCocoPolysToMask;
      // each polygon fills into the same mask: the union of the polygons.
      eval::RasterizePolygonCoco(data.coords(polys[p]), polys[p].size(), &mask);
    }
    for (size_t k = 0; k < plane; ++k) dst[i * plane + k] = mask.pixels[k] != 0;
  }
  return out;
}

QaLabel TaskFields::Answer(const annotations::CocoDataset& data, uint32_t image_index) const {
  const auto& rec = data.images()[image_index];
  const std::string answer(data.str(rec.answer));
  Result<QaLabel> label = options_.qa_dataset == "gqa" ? gqa_->Label(answer, std::string(data.str(rec.question_type)))
                                                       : ClevrLabel(answer);
  return label.ok() ? *label : QaLabel{};
}

}  // namespace mdetr::grounding
