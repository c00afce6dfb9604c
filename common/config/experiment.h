// The schema of an experiment config: what a task runs (model, objective, optimisation, data,
// run settings). The defaults are the MDETR reference's (main.py argument defaults), so a recipe
// only states what it changes. Parsed without LibTorch, so the coordinator and CLI can validate a
// config at submission time.
#pragma once

#include <string>
#include <vector>

#include "common/config/document.h"
#include "common/status.h"

namespace mdetr::config {

// Shape of the text encoder. The named presets fill this in; small CPU presets set it directly.
struct TextEncoderConfig {
  std::string type = "roberta-base";  // roberta-base | distilroberta-base | roberta-large | custom
  int hidden_size = 768;
  int num_layers = 12;
  int num_heads = 12;
  int intermediate_size = 3072;
  int vocab_size = 50265;
  int max_positions = 514;
  std::string tokenizer_dir = "../shared/data/tokenizer/roberta-base";  // vocab.json + merges.txt
  // Pre-trained weights to start from: a Hugging Face model folder or its model.safetensors /
  // pytorch_model.bin (the reference starts from roberta-base's). Empty: initialised weights.
  std::string weights;
  bool freeze = false;
  // RoBERTa's hidden and attention dropout, and the resizer's after it (0.1 in the reference).
  double dropout = 0.1;
};

struct ModelConfig {
  std::string backbone = "resnet101";  // resnet18|34|50|101, timm_tf_efficientnet_b3_ns|b5_ns
  bool dilation = false;
  // frozen: the reference's frozen batch norms (right for pre-trained backbones). batch: a ResNet's
  // norms use batch statistics in training, so a backbone trained from random weights stays
  // normalised; in evaluation both compute the same, and the keys are the same.
  std::string backbone_norm = "frozen";
  std::string position_embedding = "sine";  // sine | learned
  TextEncoderConfig text_encoder;
  int hidden_dim = 256;
  int enc_layers = 6;
  int dec_layers = 6;
  int dim_feedforward = 2048;
  int nheads = 8;
  int num_queries = 100;
  double dropout = 0.1;
  bool pass_pos_and_query = true;
  bool aux_loss = true;
  bool contrastive_align_loss = true;
  int contrastive_hdim = 64;
  bool contrastive_loss = false;  // the global image-text loss; off in every released model
  bool masks = false;             // segmentation head (PhraseCut)
  std::string qa_dataset;         // "" | gqa | clevr
  bool split_qa_heads = true;
  bool predict_final = false;
  std::string init_checkpoint;    // weights to start from (.pth or our safetensors)
  // Segmentation second stage (the reference's --frozen_weights): detector weights to load and
  // freeze, so only the mask head trains. Needs masks.
  std::string frozen_weights;
};

struct LossConfig {
  double set_cost_class = 1, set_cost_bbox = 5, set_cost_giou = 2;
  double ce_loss_coef = 1, bbox_loss_coef = 5, giou_loss_coef = 2;
  double mask_loss_coef = 1, dice_loss_coef = 1, qa_loss_coef = 1;
  double eos_coef = 0.1;
  double contrastive_loss_coef = 0.1, contrastive_align_loss_coef = 1;
  double temperature_nce = 0.07;
};

struct OptimConfig {
  std::string optimizer = "adamw";  // adamw | sgd
  double lr = 1e-4;
  double lr_backbone = 1e-5;
  double text_encoder_lr = 5e-5;
  double weight_decay = 1e-4;
  double clip_max_norm = 0.1;
  std::string schedule = "linear_with_warmup";  // step | multistep | linear_with_warmup | all_linear_with_warmup
  int lr_drop = 35;
  double fraction_warmup_steps = 0.01;
  bool ema = true;
  double ema_decay = 0.9998;
  int epochs = 40;
  int batch_size = 2;          // per rank
  int grad_accumulation = 1;
};

struct DatasetConfig {
  // flickr | refcoco | refcoco+ | refcocog | phrasecut | gqa | clevr | clevr_ref | lvis | mixed |
  // synthetic | synthetic_refexp (the generator's refexp-style captions, scored as RefCOCO)
  std::string name;
  std::string ann_file;  // MDETR-format annotation JSON
  std::string images;    // image folder
};

struct DataConfig {
  std::vector<DatasetConfig> train;
  std::vector<DatasetConfig> val;
  int num_workers = 4;
  int max_size = 1333;            // longest side after resize
  std::vector<int> scales;        // train shorter-side choices; empty = reference 480..800 step 32
  int eval_size = 800;
  bool augment = true;            // false: training images get the evaluation resize only (tests, debugging)
};

struct RunConfig {
  std::string kind = "finetune";  // pretrain | finetune | evaluate | predict
  int seed = 42;
  std::string device = "cpu";     // cpu | cuda
  std::string precision = "fp32"; // fp32 | bf16 (autocast of the model's forward; losses stay fp32)
  bool channels_last = false;     // NHWC images and backbone weights (faster convolutions on GPUs)
  bool retain_host_memory = true; // keep freed host memory for the next step (worker/trainer/host_memory.h)
  int threads = 0;                // intra-op threads; 0 = one per core
  bool deterministic = true;
  int checkpoint_every_steps = 0; // 0 = only at epoch ends
  int keep_last_checkpoints = 3;
  std::string best_metric;        // keep the best checkpoint by this eval metric too
  int eval_every_epochs = 1;
  int log_every_steps = 10;
  bool tensorboard = true;        // also write <output>/tensorboard/events.out.tfevents.* (TensorBoard scalars)
  int max_steps = 0;              // 0 = run all epochs; > 0 stops early (tests, smoke runs)
  // What the task asks of the cluster: `ranks` processes, each with these GPUs or CPU slots.
  // Unset (-1): one GPU per rank for device cuda, one CPU slot per rank for device cpu.
  int ranks = 1;
  int gpus_per_rank = -1;
  int cpus_per_rank = -1;
};

struct ExperimentConfig {
  std::string name;
  ModelConfig model;
  LossConfig loss;
  OptimConfig optim;
  DataConfig data;
  RunConfig run;
};

// Reads and validates an experiment from a document (all errors at once, with locations).
Result<ExperimentConfig> ParseExperiment(const Document& doc);

// Load + overrides + parse, the usual entry point.
Result<ExperimentConfig> LoadExperiment(const std::string& path, const std::vector<std::string>& overrides = {});

}  // namespace mdetr::config
