#include "common/config/experiment.h"

#include "common/config/reader.h"

namespace mdetr::config {
namespace {

void ApplyTextEncoderPreset(TextEncoderConfig* t) {
  auto shape = [t](int hidden, int layers, int heads, int intermediate) {
    t->hidden_size = hidden;
    t->num_layers = layers;
    t->num_heads = heads;
    t->intermediate_size = intermediate;
    t->vocab_size = 50265;
    t->max_positions = 514;
  };
  if (t->type == "roberta-base") shape(768, 12, 12, 3072);
  else if (t->type == "distilroberta-base") shape(768, 6, 12, 3072);
  else if (t->type == "roberta-large") shape(1024, 24, 16, 4096);
}

void ParseTextEncoder(Object& o, TextEncoderConfig* t) {
  o.Choice("type", &t->type, {"roberta-base", "distilroberta-base", "roberta-large", "custom"});
  ApplyTextEncoderPreset(t);
  // Shape fields are only meaningful for "custom"; a named preset fixes them.
  const bool custom = t->type == "custom";
  for (const char* key : {"hidden_size", "num_layers", "num_heads", "intermediate_size"}) {
    o.Check(custom || !o.Has(key), key, "only settable when type is 'custom' (the named presets fix it)");
  }
  o.Optional("hidden_size", &t->hidden_size);
  o.Optional("num_layers", &t->num_layers);
  o.Optional("num_heads", &t->num_heads);
  o.Optional("intermediate_size", &t->intermediate_size);
  o.Optional("vocab_size", &t->vocab_size);
  o.Optional("max_positions", &t->max_positions);
  o.Optional("tokenizer_dir", &t->tokenizer_dir);
  o.Optional("weights", &t->weights);
  o.Optional("freeze", &t->freeze);
  o.Optional("dropout", &t->dropout);
  o.Check(t->dropout >= 0 && t->dropout < 1, "dropout", "must be in [0, 1)");
  o.Check(t->hidden_size > 0 && t->num_heads > 0 && t->hidden_size % t->num_heads == 0, "num_heads",
          "hidden_size must be a positive multiple of num_heads");
  o.Check(t->num_layers >= 1, "num_layers", "must be at least 1");
}

void ParseModel(Object& o, ModelConfig* m) {
  o.Choice("backbone", &m->backbone,
           {"resnet18", "resnet34", "resnet50", "resnet101", "timm_tf_efficientnet_b3_ns",
            "timm_tf_efficientnet_b5_ns"});
  o.Optional("dilation", &m->dilation);
  o.Choice("backbone_norm", &m->backbone_norm, {"frozen", "batch"});
  o.Check(m->backbone_norm == "frozen" || m->backbone.rfind("resnet", 0) == 0, "backbone_norm",
          "batch is for the ResNet backbones; EfficientNets have frozen norms only");
  o.Choice("position_embedding", &m->position_embedding, {"sine", "learned"});
  o.Section("text_encoder", [&](Object& t) { ParseTextEncoder(t, &m->text_encoder); });
  o.Optional("hidden_dim", &m->hidden_dim);
  o.Optional("enc_layers", &m->enc_layers);
  o.Optional("dec_layers", &m->dec_layers);
  o.Optional("dim_feedforward", &m->dim_feedforward);
  o.Optional("nheads", &m->nheads);
  o.Optional("num_queries", &m->num_queries);
  o.Optional("dropout", &m->dropout);
  o.Optional("pass_pos_and_query", &m->pass_pos_and_query);
  o.Optional("aux_loss", &m->aux_loss);
  o.Optional("contrastive_align_loss", &m->contrastive_align_loss);
  o.Optional("contrastive_hdim", &m->contrastive_hdim);
  o.Optional("contrastive_loss", &m->contrastive_loss);
  o.Optional("masks", &m->masks);
  o.Choice("qa_dataset", &m->qa_dataset, {"", "gqa", "clevr"});
  o.Optional("split_qa_heads", &m->split_qa_heads);
  o.Optional("predict_final", &m->predict_final);
  o.Optional("init_checkpoint", &m->init_checkpoint);
  o.Optional("frozen_weights", &m->frozen_weights);
  o.Check(m->frozen_weights.empty() || m->masks, "frozen_weights", "is for segmentation only: set masks: true");
  // The mask head's group norms (8 groups) run over hidden_dim + nheads and hidden_dim / 16 channels.
  o.Check(!m->masks || (m->hidden_dim % 128 == 0 && (m->hidden_dim + m->nheads) % 8 == 0), "hidden_dim",
          "with masks, hidden_dim must be a multiple of 128 and hidden_dim + nheads a multiple of 8");
  o.Check(m->hidden_dim > 0 && m->nheads > 0 && m->hidden_dim % m->nheads == 0, "nheads",
          "hidden_dim must be a positive multiple of nheads");
  o.Check(m->hidden_dim % 2 == 0, "hidden_dim", "must be even (sine position encoding splits it in two)");
  o.Check(m->enc_layers >= 1, "enc_layers", "must be at least 1");
  o.Check(m->dec_layers >= 1, "dec_layers", "must be at least 1");
  o.Check(m->num_queries >= 1, "num_queries", "must be at least 1");
  o.Check(m->dropout >= 0 && m->dropout < 1, "dropout", "must be in [0, 1)");
}

void ParseLoss(Object& o, LossConfig* l) {
  o.Optional("set_cost_class", &l->set_cost_class);
  o.Optional("set_cost_bbox", &l->set_cost_bbox);
  o.Optional("set_cost_giou", &l->set_cost_giou);
  o.Optional("ce_loss_coef", &l->ce_loss_coef);
  o.Optional("bbox_loss_coef", &l->bbox_loss_coef);
  o.Optional("giou_loss_coef", &l->giou_loss_coef);
  o.Optional("mask_loss_coef", &l->mask_loss_coef);
  o.Optional("dice_loss_coef", &l->dice_loss_coef);
  o.Optional("qa_loss_coef", &l->qa_loss_coef);
  o.Optional("eos_coef", &l->eos_coef);
  o.Optional("contrastive_loss_coef", &l->contrastive_loss_coef);
  o.Optional("contrastive_align_loss_coef", &l->contrastive_align_loss_coef);
  o.Optional("temperature_nce", &l->temperature_nce);
  o.Check(l->temperature_nce > 0, "temperature_nce", "must be > 0");
  o.Check(l->eos_coef >= 0, "eos_coef", "must be >= 0");
}

void ParseOptim(Object& o, OptimConfig* p) {
  o.Choice("optimizer", &p->optimizer, {"adam", "adamw", "sgd"});
  if (p->optimizer == "adam") p->optimizer = "adamw";  // the reference maps both to AdamW
  o.Optional("lr", &p->lr);
  o.Optional("lr_backbone", &p->lr_backbone);
  o.Optional("text_encoder_lr", &p->text_encoder_lr);
  o.Optional("weight_decay", &p->weight_decay);
  o.Optional("clip_max_norm", &p->clip_max_norm);
  o.Choice("schedule", &p->schedule, {"step", "multistep", "linear_with_warmup", "all_linear_with_warmup"});
  o.Optional("lr_drop", &p->lr_drop);
  o.Optional("fraction_warmup_steps", &p->fraction_warmup_steps);
  o.Optional("ema", &p->ema);
  o.Optional("ema_decay", &p->ema_decay);
  o.Optional("epochs", &p->epochs);
  o.Optional("batch_size", &p->batch_size);
  o.Optional("grad_accumulation", &p->grad_accumulation);
  o.Check(p->lr > 0, "lr", "must be > 0");
  o.Check(p->lr_backbone >= 0, "lr_backbone", "must be >= 0 (0 freezes the backbone)");
  o.Check(p->epochs >= 1, "epochs", "must be at least 1");
  o.Check(p->batch_size >= 1, "batch_size", "must be at least 1");
  o.Check(p->grad_accumulation >= 1, "grad_accumulation", "must be at least 1");
  o.Check(p->ema_decay > 0 && p->ema_decay < 1, "ema_decay", "must be in (0, 1)");
  o.Check(p->fraction_warmup_steps >= 0 && p->fraction_warmup_steps < 1, "fraction_warmup_steps",
          "must be in [0, 1)");
}

void ParseDatasets(Object& o, const char* key, std::vector<DatasetConfig>* out) {
  o.SectionList(key, [&](size_t, Object& d) {
    DatasetConfig ds;
    d.Choice("name", &ds.name,
             {"flickr", "refcoco", "refcoco+", "refcocog", "phrasecut", "gqa", "clevr", "clevr_ref",
              "lvis", "mixed", "synthetic", "synthetic_refexp"},
             /*required=*/true);
    d.Required("ann_file", &ds.ann_file);
    d.Required("images", &ds.images);
    out->push_back(std::move(ds));
  });
}

void ParseData(Object& o, DataConfig* d) {
  ParseDatasets(o, "train", &d->train);
  ParseDatasets(o, "val", &d->val);
  o.Optional("num_workers", &d->num_workers);
  o.Optional("max_size", &d->max_size);
  o.Optional("scales", &d->scales);
  o.Optional("eval_size", &d->eval_size);
  o.Optional("augment", &d->augment);
  o.Check(d->num_workers >= 0, "num_workers", "must be >= 0");
  o.Check(d->max_size > 0, "max_size", "must be > 0");
}

void ParseRun(Object& o, RunConfig* r) {
  o.Choice("kind", &r->kind, {"pretrain", "finetune", "evaluate", "predict"});
  o.Optional("seed", &r->seed);
  o.Choice("device", &r->device, {"cpu", "cuda"});
  o.Choice("precision", &r->precision, {"fp32", "bf16"});
  o.Optional("channels_last", &r->channels_last);
  o.Optional("retain_host_memory", &r->retain_host_memory);
  o.Optional("threads", &r->threads);
  o.Optional("deterministic", &r->deterministic);
  o.Optional("checkpoint_every_steps", &r->checkpoint_every_steps);
  o.Optional("keep_last_checkpoints", &r->keep_last_checkpoints);
  o.Optional("best_metric", &r->best_metric);
  o.Optional("eval_every_epochs", &r->eval_every_epochs);
  o.Optional("log_every_steps", &r->log_every_steps);
  o.Optional("tensorboard", &r->tensorboard);
  o.Optional("max_steps", &r->max_steps);
  o.Optional("ranks", &r->ranks);
  o.Optional("gpus_per_rank", &r->gpus_per_rank);
  o.Optional("cpus_per_rank", &r->cpus_per_rank);
  o.Check(r->ranks >= 1, "ranks", "must be at least 1");
  if (r->gpus_per_rank < 0) r->gpus_per_rank = r->device == "cuda" ? 1 : 0;
  if (r->cpus_per_rank < 0) r->cpus_per_rank = r->gpus_per_rank > 0 ? 0 : 1;
  o.Check(r->gpus_per_rank > 0 || r->cpus_per_rank > 0, "cpus_per_rank",
          "a task needs GPUs or CPU slots: set gpus_per_rank or cpus_per_rank");
  o.Check(r->device != "cpu" || r->gpus_per_rank == 0, "gpus_per_rank", "must be 0 for device cpu (use cpus_per_rank)");
  o.Check(r->threads >= 0, "threads", "must be >= 0");
  o.Check(r->keep_last_checkpoints >= 1, "keep_last_checkpoints", "must be at least 1");
  o.Check(r->checkpoint_every_steps >= 0, "checkpoint_every_steps", "must be >= 0");
}

}  // namespace

Result<ExperimentConfig> ParseExperiment(const Document& doc) {
  ExperimentConfig cfg;
  Errors errors;
  Object top(doc, &errors);
  top.Optional("name", &cfg.name);
  top.Section("model", [&](Object& o) { ParseModel(o, &cfg.model); });
  top.Section("loss", [&](Object& o) { ParseLoss(o, &cfg.loss); });
  top.Section("optim", [&](Object& o) { ParseOptim(o, &cfg.optim); });
  top.Section("data", [&](Object& o) { ParseData(o, &cfg.data); });
  top.Section("run", [&](Object& o) { ParseRun(o, &cfg.run); });
  top.Finish();
  MDETR_RETURN_IF_ERROR(errors.ToStatus());
  return cfg;
}

Result<ExperimentConfig> LoadExperiment(const std::string& path, const std::vector<std::string>& overrides) {
  MDETR_ASSIGN_OR_RETURN(Document doc, Document::Load(path));
  MDETR_RETURN_IF_ERROR(doc.ApplyOverrides(overrides));
  return ParseExperiment(doc);
}

}  // namespace mdetr::config
