#include "datasets/synthetic/generator.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "datasets/image/codec.h"
#include "datasets/synthetic/captions.h"

namespace mdetr::synthetic {
namespace {

using Json = nlohmann::ordered_json;

// Accumulates one annotation file in MDETR's layout.
class AnnotationFile {
 public:
  AnnotationFile(const std::string& variant, const std::string& split, uint64_t seed) {
    json_["info"] = {{"description", "synthetic grounding data (" + variant + "-style)"},
                     {"split", split},
                     {"seed", seed}};
    json_["licenses"] = Json::array();
    json_["images"] = Json::array();
    json_["annotations"] = Json::array();
    Json categories = Json::array();
    for (int s = 0; s < kNumShapes; ++s) {
      categories.push_back(
          {{"supercategory", "shape"}, {"id", s + 1}, {"name", ShapeName(static_cast<Shape>(s))}});
    }
    json_["categories"] = categories;
  }

  // One image entry per (scene, caption) pair.
  void Add(const Scene& scene, const std::string& file_name, int scene_id, int sentence_id,
           const Caption& caption, const std::string& dataset_name, bool with_eval_phrases) {
    const int64_t image_id = static_cast<int64_t>(json_["images"].size());
    Json eval = Json::array();
    for (const Phrase& p : caption.phrases) {
      const SceneObject& o = scene.objects[p.object];
      const Json span = Json::array({Json::array({p.begin, p.end})});
      eval.push_back(span);
      json_["annotations"].push_back(
          {{"area", o.visible_pixels},
           {"iscrowd", 0},
           {"image_id", image_id},
           {"category_id", static_cast<int>(o.shape) + 1},
           {"id", static_cast<int64_t>(json_["annotations"].size())},
           {"bbox", {o.box.x0, o.box.y0, o.box.x1 - o.box.x0 + 1, o.box.y1 - o.box.y0 + 1}},
           {"tokens_positive", span}});
    }
    Json image = {{"file_name", file_name},           {"height", scene.image.height()},
                  {"width", scene.image.width()},     {"id", image_id},
                  {"caption", caption.text},          {"dataset_name", dataset_name},
                  {"tokens_negative", Json::array()}, {"original_id", scene_id},
                  {"sentence_id", sentence_id}};
    if (with_eval_phrases) image["tokens_positive_eval"] = eval;
    json_["images"].push_back(image);
  }

  Status Write(const std::string& path) const {
    std::ofstream out(path, std::ios::trunc);
    if (!out) return NotFoundError(path + ": cannot open for writing");
    out << json_.dump() << "\n";
    out.close();
    if (!out) return ResourceExhaustedError(path + ": write failed");
    return Status::Ok();
  }

 private:
  Json json_;
};

std::string FileName(const std::string& split, int index) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%s_%06d.png", split.c_str(), index);
  return buf;
}

Status CheckOptions(const SyntheticOptions& o) {
  if (o.out_dir.empty()) return InvalidArgumentError("synthetic data: out_dir must be set");
  if (o.num_images < 1) return InvalidArgumentError("synthetic data: num_images must be at least 1");
  if (o.val_fraction < 0 || o.val_fraction >= 1) {
    return InvalidArgumentError("synthetic data: val_fraction must be in [0, 1)");
  }
  if (o.scene.min_size < 32 || o.scene.max_size < o.scene.min_size || o.scene.max_size > 4096) {
    return InvalidArgumentError(
        "synthetic data: image sizes must satisfy 32 <= min_size <= max_size <= 4096");
  }
  if (o.scene.min_objects < 1 || o.scene.max_objects < o.scene.min_objects || o.scene.max_objects > 32) {
    return InvalidArgumentError("synthetic data: objects must satisfy 1 <= min_objects <= max_objects <= 32");
  }
  if (o.scene.small_shape_percent < 2 || o.scene.small_shape_percent > 45) {
    return InvalidArgumentError("synthetic data: small_shape_percent must be in [2, 45] (large shapes are twice it)");
  }
  if (o.captions_per_image < 1 || o.refexp_per_image < 0 || o.max_phrases < 1) {
    return InvalidArgumentError("synthetic data: captions_per_image and max_phrases must be >= 1");
  }
  return Status::Ok();
}

Status GenerateSplit(const SyntheticOptions& options, const std::string& split, int split_id, int count) {
  AnnotationFile flickr("flickr", split, options.seed);
  AnnotationFile refexp("refexp", split, options.seed);
  const std::string image_dir = options.out_dir + "/images";
  for (int i = 0; i < count; ++i) {
    Rng rng(Rng::Mix(Rng::Mix(options.seed, static_cast<uint64_t>(split_id)), static_cast<uint64_t>(i)));
    const Scene scene = GenerateScene(rng, options.scene);
    const std::string file_name = FileName(split, i);
    MDETR_RETURN_IF_ERROR(image::WritePngFile(scene.image, image_dir + "/" + file_name));
    for (int k = 0; k < options.captions_per_image; ++k) {
      flickr.Add(scene, file_name, i, k, FlickrStyleCaption(scene, rng, options.max_phrases), "synthetic",
                 true);
    }
    std::vector<int> targets = ReferableObjects(scene);
    for (int t = static_cast<int>(targets.size()) - 1; t > 0; --t)
      std::swap(targets[t], targets[rng.Int(0, t)]);
    for (int k = 0; k < options.refexp_per_image && k < static_cast<int>(targets.size()); ++k) {
      refexp.Add(scene, file_name, i, k, RefexpCaption(scene, targets[k], rng), "synthetic_refexp", false);
    }
  }
  MDETR_RETURN_IF_ERROR(flickr.Write(options.out_dir + "/" + split + ".json"));
  return refexp.Write(options.out_dir + "/refexp_" + split + ".json");
}

}  // namespace

Status GenerateSyntheticDataset(const SyntheticOptions& options) {
  MDETR_RETURN_IF_ERROR(CheckOptions(options));
  std::error_code ec;
  std::filesystem::create_directories(options.out_dir + "/images", ec);
  if (ec)
    return FailedPreconditionError(options.out_dir + ": cannot create directory (" + ec.message() + ")");
  int num_val = static_cast<int>(std::lround(options.num_images * options.val_fraction));
  if (options.num_images >= 2 && options.val_fraction > 0) num_val = std::max(num_val, 1);
  const int num_train = options.num_images - num_val;
  MDETR_RETURN_IF_ERROR(GenerateSplit(options, "train", 0, num_train));
  return GenerateSplit(options, "val", 1, num_val);
}

}  // namespace mdetr::synthetic
