#include "worker/inference/checkpoint_model.h"

#include <fstream>

#include "common/config/document.h"
#include "model/io/safetensors.h"
#include "model/io/torch_checkpoint.h"

namespace mdetr::inference {
namespace {

template <typename T>
void ReadArg(const io::PyValue& args, const char* name, T* out) {
  const io::PyValue v = args.attr(name);
  if (v.is_missing() || v.is_none()) return;
  if constexpr (std::is_same_v<T, bool>) {
    if (auto r = v.ToBool(); r.ok()) *out = *r;
  } else if constexpr (std::is_same_v<T, int>) {
    if (auto r = v.ToInt(); r.ok()) *out = static_cast<int>(*r);
  } else if constexpr (std::is_same_v<T, double>) {
    if (auto r = v.ToDouble(); r.ok()) *out = *r;
  } else {
    if (auto r = v.ToString(); r.ok()) *out = *r;
  }
}

// The reference's DETRsegm wraps the detector as `detr`: its keys carry that prefix, beside the
// attention map's and mask head's own.
constexpr char kSegmPrefix[] = "detr.";

bool HasSegmentationKeys(const io::StateDict& weights) {
  if (weights.contains("mask_head.lay1.weight")) return true;
  for (const auto& [name, view] : weights) {
    if (name.rfind(kSegmPrefix, 0) == 0) return true;
  }
  return false;
}

// `args`: the checkpoint's argparse Namespace, or a missing value (then the weights alone decide).
Result<config::ModelConfig> ConfigFrom(const io::PyValue& args, const io::StateDict& weights) {
  config::ModelConfig cfg;
  if (args.is_object()) {
    ReadArg(args, "backbone", &cfg.backbone);
    ReadArg(args, "dilation", &cfg.dilation);
    ReadArg(args, "hidden_dim", &cfg.hidden_dim);
    ReadArg(args, "enc_layers", &cfg.enc_layers);
    ReadArg(args, "dec_layers", &cfg.dec_layers);
    ReadArg(args, "dim_feedforward", &cfg.dim_feedforward);
    ReadArg(args, "nheads", &cfg.nheads);
    ReadArg(args, "num_queries", &cfg.num_queries);
    ReadArg(args, "contrastive_align_loss", &cfg.contrastive_align_loss);
    ReadArg(args, "contrastive_loss_hdim", &cfg.contrastive_hdim);
    ReadArg(args, "contrastive_loss", &cfg.contrastive_loss);
    ReadArg(args, "masks", &cfg.masks);
    ReadArg(args, "split_qa_heads", &cfg.split_qa_heads);
    ReadArg(args, "predict_final", &cfg.predict_final);
  }
  // What the weights hold decides over the args (a checkpoint fine-tuned from another keeps the
  // args of its first run for some flags): the heads present, the shapes of every layer.
  const bool segm = HasSegmentationKeys(weights);
  const std::string prefix = segm ? kSegmPrefix : "";
  auto has = [&](const std::string& key) { return weights.contains(prefix + key); };
  auto shape_of = [&](const std::string& key) -> std::vector<int64_t> {
    const io::TensorView* t = weights.Find(prefix + key);
    return t ? t->shape : std::vector<int64_t>{};
  };
  cfg.masks = segm;
  auto& te = cfg.text_encoder;
  if (auto s = shape_of("transformer.text_encoder.embeddings.word_embeddings.weight"); s.size() == 2) {
    te.vocab_size = static_cast<int>(s[0]);
    te.hidden_size = static_cast<int>(s[1]);
  } else {
    return InvalidArgumentError(
        "checkpoint has no " + prefix +
        "transformer.text_encoder.embeddings.word_embeddings.weight: not an MDETR model");
  }
  int layers = 0;
  while (has("transformer.text_encoder.encoder.layer." + std::to_string(layers) +
             ".attention.self.query.weight")) {
    ++layers;
  }
  te.num_layers = layers;
  if (auto s = shape_of("transformer.text_encoder.encoder.layer.0.intermediate.dense.weight");
      s.size() == 2) {
    te.intermediate_size = static_cast<int>(s[0]);
  }
  if (auto s = shape_of("transformer.text_encoder.embeddings.position_embeddings.weight"); s.size() == 2) {
    te.max_positions = static_cast<int>(s[0]);
  }
  te.type = "custom";
  te.num_heads =
      te.hidden_size == 1024 ? 16 : (te.hidden_size >= 768 ? 12 : std::max(1, te.hidden_size / 16));
  if (args.is_object()) {
    std::string type;
    ReadArg(args, "text_encoder_type", &type);
    if (type == "roberta-large") te.num_heads = 16;
  }
  if (auto s = shape_of("query_embed.weight"); s.size() == 2) {
    cfg.num_queries = static_cast<int>(s[0]);
    cfg.hidden_dim = static_cast<int>(s[1]);
  }
  // QA queries: 6 for GQA with one head per answer type, 4 for CLEVR, 1 for GQA's single head.
  cfg.qa_dataset.clear();
  if (auto s = shape_of("qa_embed.weight"); s.size() == 2) {
    if (s[0] != 1 && s[0] != 4 && s[0] != 6) {
      return InvalidArgumentError(prefix + "qa_embed.weight has " + std::to_string(s[0]) +
                                  " rows: expected 6 (GQA, split heads), 1 (GQA, one head) or 4 (CLEVR)");
    }
    cfg.qa_dataset = s[0] == 4 ? "clevr" : "gqa";
    cfg.split_qa_heads = s[0] != 1;
  }
  cfg.contrastive_align_loss = has("contrastive_align_projection_image.weight");
  cfg.contrastive_loss = has("contrastive_projection_image.weight");
  if (auto s = shape_of("contrastive_align_projection_image.weight"); s.size() == 2) {
    cfg.contrastive_hdim = static_cast<int>(s[0]);
  } else if (auto c = shape_of("contrastive_projection_image.weight"); c.size() == 2) {
    cfg.contrastive_hdim = static_cast<int>(c[0]);
  }
  cfg.predict_final = has("isfinal_embed.weight");
  if (has("backbone.0.body.conv1.weight")) {
    int layer3_blocks = 0;
    while (has("backbone.0.body.layer3." + std::to_string(layer3_blocks) + ".conv1.weight")) ++layer3_blocks;
    const bool bottleneck = has("backbone.0.body.layer1.0.conv3.weight");
    if (bottleneck)
      cfg.backbone = layer3_blocks >= 23 ? "resnet101" : "resnet50";
    else
      cfg.backbone = layer3_blocks >= 6 ? "resnet34" : "resnet18";
  } else if (auto stem = shape_of("backbone.0.body.conv_stem.weight"); !stem.empty()) {
    // timm EfficientNet: the stem width tells B3 (40) from B5 (48).
    if (stem[0] != 40 && stem[0] != 48) {
      return InvalidArgumentError(prefix + "backbone.0.body.conv_stem.weight has " + std::to_string(stem[0]) +
                                  " output channels: expected 40 (EfficientNet-B3) or 48 (EfficientNet-B5)");
    }
    cfg.backbone = stem[0] == 40 ? "timm_tf_efficientnet_b3_ns" : "timm_tf_efficientnet_b5_ns";
  }
  int enc = 0, dec = 0;
  while (has("transformer.encoder.layers." + std::to_string(enc) + ".linear1.weight")) ++enc;
  while (has("transformer.decoder.layers." + std::to_string(dec) + ".linear1.weight")) ++dec;
  cfg.enc_layers = enc;
  cfg.dec_layers = dec;
  if (auto s = shape_of("transformer.encoder.layers.0.linear1.weight"); s.size() == 2) {
    cfg.dim_feedforward = static_cast<int>(s[0]);
  }
  if (segm) {
    // The mask head's first conv reads the hidden features and one attention map per head.
    const io::TensorView* lay1 = weights.Find("mask_head.lay1.weight");
    if (lay1 == nullptr || lay1->shape.size() != 4) {
      return InvalidArgumentError(
          "checkpoint has detr.* keys (a segmentation model) but no 4-D mask_head.lay1.weight");
    }
    const int heads = static_cast<int>(lay1->shape[1]) - cfg.hidden_dim;
    if (heads <= 0 || cfg.hidden_dim % heads != 0) {
      return InvalidArgumentError("mask_head.lay1.weight has " + std::to_string(lay1->shape[1]) +
                                  " input channels: expected hidden_dim (" + std::to_string(cfg.hidden_dim) +
                                  ") + a number of attention heads dividing it");
    }
    cfg.nheads = heads;
  }
  return cfg;
}

bool IsSafetensorsFile(const std::string& path) {
  // torch.save writes a zip ("PK\3\4"); safetensors starts with its 8-byte header length.
  std::ifstream in(path, std::ios::binary);
  char magic[4] = {};
  in.read(magic, 4);
  return in.gcount() == 4 && !(magic[0] == 'P' && magic[1] == 'K' && magic[2] == 3 && magic[3] == 4);
}

model::StateDict TensorsOf(const io::StateDict& weights, const std::shared_ptr<const void>& keep) {
  model::StateDict sd;
  for (const auto& [name, view] : weights) sd[name] = model::TensorFromView(view, keep);
  return sd;
}

// Our own safetensors files: the experiment config in the metadata ("config", the YAML the trainer
// records) gives the architecture; without it the weights alone do.
Result<LoadedModel> LoadSafetensorsModel(const std::string& path, const std::string& tokenizer_dir) {
  MDETR_ASSIGN_OR_RETURN(io::SafetensorsFile file, io::ReadSafetensors(path));
  config::ModelConfig cfg;
  if (auto it = file.metadata.find("config"); it != file.metadata.end()) {
    auto doc = config::Document::Parse(it->second, path + " (metadata config)");
    if (!doc.ok()) return doc.status();
    auto exp = config::ParseExperiment(*doc);
    if (!exp.ok()) return exp.status();
    cfg = exp->model;
  } else {
    auto inferred = ConfigFrom(io::PyValue(), file.tensors);
    if (!inferred.ok()) return inferred.status().WithContext(path);
    cfg = *inferred;
  }
  cfg.text_encoder.tokenizer_dir = tokenizer_dir;
  return BuildAndLoad(cfg, TensorsOf(file.tensors, file.file), "model", path);
}

}  // namespace

const char* ModelKindName(ModelKind kind) {
  switch (kind) {
    case ModelKind::kSegmentation:
      return "segmentation";
    case ModelKind::kGqa:
      return "gqa";
    case ModelKind::kClevr:
      return "clevr";
    case ModelKind::kDetection:
      break;
  }
  return "detection";
}

ModelKind KindOf(const config::ModelConfig& cfg) {
  if (cfg.masks) return ModelKind::kSegmentation;
  if (cfg.qa_dataset == "gqa") return ModelKind::kGqa;
  if (cfg.qa_dataset == "clevr") return ModelKind::kClevr;
  return ModelKind::kDetection;
}

model::MdetrOutputs LoadedModel::Forward(const model::NestedTensor& images, const model::TextBatch& text) {
  return segm ? segm->forward(images, text) : model->forward(images, text);
}

void LoadedModel::To(const torch::Device& device) {
  if (segm)
    segm->to(device);
  else
    model->to(device);
}

Result<LoadedModel> BuildAndLoad(const config::ModelConfig& cfg, const model::StateDict& weights,
                                 const std::string& weights_key, const std::string& where) {
  LoadedModel loaded;
  loaded.config = cfg;
  loaded.config.dropout = 0.0;
  loaded.weights_key = weights_key;
  torch::nn::Module* root = nullptr;
  try {
    if (cfg.masks) {
      loaded.segm = model::MdetrSegm(loaded.config, /*train_backbone=*/false);
      loaded.model = loaded.segm->detr();
      root = loaded.segm.get();
    } else {
      loaded.model = model::Mdetr(loaded.config, /*train_backbone=*/false);
      root = loaded.model.get();
    }
  } catch (const c10::Error& e) {
    return InvalidArgumentError(where + ": cannot build the " + ModelKindName(KindOf(cfg)) +
                                " model its config describes: " + e.what_without_backtrace());
  }
  auto report = model::LoadStateDict(*root, weights);
  if (!report.ok()) {
    return report.status().WithContext(where + " (" + weights_key + ", " + ModelKindName(KindOf(cfg)) +
                                       " model)");
  }
  loaded.report = *report;
  root->eval();
  return loaded;
}

Result<config::ModelConfig> ModelConfigFromWeights(const io::PyValue& args, const io::StateDict& weights) {
  return ConfigFrom(args, weights);
}

Result<config::ModelConfig> ModelConfigFromCheckpoint(const std::string& path) {
  MDETR_ASSIGN_OR_RETURN(io::TorchCheckpoint ckpt, io::LoadTorchCheckpoint(path));
  MDETR_ASSIGN_OR_RETURN(io::StateDict weights, io::SelectStateDict(ckpt.root));
  auto cfg = ConfigFrom(ckpt.root["args"], weights);
  if (!cfg.ok()) return cfg.status().WithContext(path);
  return cfg;
}

Result<LoadedModel> LoadModelFromCheckpoint(const std::string& path, const std::string& tokenizer_dir) {
  if (IsSafetensorsFile(path)) return LoadSafetensorsModel(path, tokenizer_dir);
  auto ckpt = io::LoadTorchCheckpoint(path);
  if (!ckpt.ok()) return ckpt.status();
  std::string weights_key;
  auto weights = io::SelectStateDict(ckpt->root, &weights_key);
  if (!weights.ok()) return weights.status().WithContext(path);
  auto cfg = ConfigFrom(ckpt->root["args"], *weights);
  if (!cfg.ok()) return cfg.status().WithContext(path);
  cfg->text_encoder.tokenizer_dir = tokenizer_dir;
  return BuildAndLoad(*cfg, TensorsOf(*weights, ckpt->file), weights_key, path);
}

}  // namespace mdetr::inference
