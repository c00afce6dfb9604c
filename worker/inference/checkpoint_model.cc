#include "worker/inference/checkpoint_model.h"

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

Result<config::ModelConfig> ConfigFrom(const io::TorchCheckpoint& ckpt, const io::StateDict& weights) {
  config::ModelConfig cfg;
  const io::PyValue args = ckpt.root["args"];
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
  // Shapes the weights fix, whatever the args say (custom text encoders, QA heads, the ResNet).
  auto shape_of = [&](const std::string& key) -> std::vector<int64_t> {
    const io::TensorView* t = weights.Find(key);
    return t ? t->shape : std::vector<int64_t>{};
  };
  auto& te = cfg.text_encoder;
  if (auto s = shape_of("transformer.text_encoder.embeddings.word_embeddings.weight"); s.size() == 2) {
    te.vocab_size = static_cast<int>(s[0]);
    te.hidden_size = static_cast<int>(s[1]);
  } else {
    return InvalidArgumentError("checkpoint has no transformer.text_encoder.embeddings.word_embeddings.weight: "
                                "not an MDETR model");
  }
  int layers = 0;
  while (weights.contains("transformer.text_encoder.encoder.layer." + std::to_string(layers) +
                          ".attention.self.query.weight")) {
    ++layers;
  }
  te.num_layers = layers;
  if (auto s = shape_of("transformer.text_encoder.encoder.layer.0.intermediate.dense.weight"); s.size() == 2) {
    te.intermediate_size = static_cast<int>(s[0]);
  }
  if (auto s = shape_of("transformer.text_encoder.embeddings.position_embeddings.weight"); s.size() == 2) {
    te.max_positions = static_cast<int>(s[0]);
  }
  te.type = "custom";
  te.num_heads = te.hidden_size == 1024 ? 16 : (te.hidden_size >= 768 ? 12 : std::max(1, te.hidden_size / 16));
  if (args.is_object()) {
    std::string type;
    ReadArg(args, "text_encoder_type", &type);
    if (type == "roberta-large") te.num_heads = 16;
  }
  if (auto s = shape_of("query_embed.weight"); s.size() == 2) {
    cfg.num_queries = static_cast<int>(s[0]);
    cfg.hidden_dim = static_cast<int>(s[1]);
  }
  if (auto s = shape_of("qa_embed.weight"); s.size() == 2) {
    cfg.qa_dataset = s[0] == 4 ? "clevr" : "gqa";
    cfg.split_qa_heads = s[0] != 1;
  }
  cfg.contrastive_align_loss = weights.contains("contrastive_align_projection_image.weight");
  if (weights.contains("backbone.0.body.conv1.weight")) {
    int layer3_blocks = 0;
    while (weights.contains("backbone.0.body.layer3." + std::to_string(layer3_blocks) + ".conv1.weight")) {
      ++layer3_blocks;
    }
    const bool bottleneck = weights.contains("backbone.0.body.layer1.0.conv3.weight");
    if (bottleneck) cfg.backbone = layer3_blocks >= 23 ? "resnet101" : "resnet50";
    else cfg.backbone = layer3_blocks >= 6 ? "resnet34" : "resnet18";
  } else if (auto stem = shape_of("backbone.0.body.conv_stem.weight"); !stem.empty()) {
    // timm EfficientNet: the stem width tells B3 (40) from B5 (48).
    if (stem[0] != 40 && stem[0] != 48) {
      return InvalidArgumentError("backbone.0.body.conv_stem.weight has " + std::to_string(stem[0]) +
                                  " output channels: expected 40 (EfficientNet-B3) or 48 (EfficientNet-B5)");
    }
    cfg.backbone = stem[0] == 40 ? "timm_tf_efficientnet_b3_ns" : "timm_tf_efficientnet_b5_ns";
  }
  int enc = 0, dec = 0;
  while (weights.contains("transformer.encoder.layers." + std::to_string(enc) + ".linear1.weight")) ++enc;
  while (weights.contains("transformer.decoder.layers." + std::to_string(dec) + ".linear1.weight")) ++dec;
  cfg.enc_layers = enc;
  cfg.dec_layers = dec;
  if (auto s = shape_of("transformer.encoder.layers.0.linear1.weight"); s.size() == 2) {
    cfg.dim_feedforward = static_cast<int>(s[0]);
  }
  return cfg;
}

}  // namespace

Result<config::ModelConfig> ModelConfigFromCheckpoint(const std::string& path) {
  MDETR_ASSIGN_OR_RETURN(io::TorchCheckpoint ckpt, io::LoadTorchCheckpoint(path));
  MDETR_ASSIGN_OR_RETURN(io::StateDict weights, io::SelectStateDict(ckpt.root));
  auto cfg = ConfigFrom(ckpt, weights);
  if (!cfg.ok()) return cfg.status().WithContext(path);
  return cfg;
}

Result<LoadedModel> LoadModelFromCheckpoint(const std::string& path, const std::string& tokenizer_dir) {
  auto ckpt = io::LoadTorchCheckpoint(path);
  if (!ckpt.ok()) return ckpt.status();
  LoadedModel loaded;
  auto weights = io::SelectStateDict(ckpt->root, &loaded.weights_key);
  if (!weights.ok()) return weights.status().WithContext(path);
  auto cfg = ConfigFrom(*ckpt, *weights);
  if (!cfg.ok()) return cfg.status().WithContext(path);
  loaded.config = *cfg;
  loaded.config.text_encoder.tokenizer_dir = tokenizer_dir;
  loaded.config.dropout = 0.0;
  try {
    loaded.model = model::Mdetr(loaded.config, /*train_backbone=*/false);
  } catch (const c10::Error& e) {
    return InvalidArgumentError(path + ": cannot build the model its args describe: " + e.what_without_backtrace());
  }
  model::StateDict sd;
  for (const auto& [name, view] : *weights) sd[name] = model::TensorFromView(view, ckpt->file);
  auto report = model::LoadStateDict(*loaded.model, sd);
  if (!report.ok()) return report.status().WithContext(path + " (" + loaded.weights_key + ")");
  loaded.report = *report;
  loaded.model->eval();
  return loaded;
}

}  // namespace mdetr::inference
