#include "worker/trainer/trainer.h"

#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cctype>
#include <filesystem>
#include <optional>

#include "common/log_line.h"
#include "datasets/grounding/loader.h"
#include "model/nn/hf_text_weights.h"
#include "model/nn/state_dict.h"
#include "model/objective/optim_recipe.h"
#include "model/objective/qa_losses.h"
#include "model/objective/set_criterion.h"
#include "worker/trainer/checkpoint.h"
#include "worker/trainer/determinism.h"
#include "worker/trainer/device_memory.h"
#include "worker/trainer/evaluation.h"
#include "worker/trainer/event_log.h"
#include "worker/trainer/gradient_buckets.h"
#include "worker/trainer/host_memory.h"
#include "worker/trainer/initial_weights.h"
#include "worker/trainer/precision.h"
#include "worker/trainer/rank_rng.h"
#include "worker/trainer/task_model.h"
#include "worker/trainer/task_targets.h"

namespace mdetr::trainer {
namespace fs = std::filesystem;

namespace {

std::atomic<bool> g_stop_requested{false};
extern "C" void OnStopSignal(int) { g_stop_requested = true; }

using Clock = std::chrono::steady_clock;

// The criterion suffixes the terms of the auxiliary decoder layers "_0", "_1", ...; the step
// events carry the last layer's terms (and the QA terms and accuracies) only.
bool IsAuxLayerTerm(const std::string& name) {
  const size_t us = name.rfind('_');
  if (us == std::string::npos || us + 1 == name.size()) return false;
  for (size_t i = us + 1; i < name.size(); ++i) {
    if (!std::isdigit(static_cast<unsigned char>(name[i]))) return false;
  }
  return true;
}

struct Failure {
  int code;
  std::string message;
};

// Everything a run holds; built once, then driven by Train() / Evaluate().
class Task {
 public:
  explicit Task(const TrainerOptions& o) : o_(o), cfg_(o.config) {}
  int Run();

 private:
  // A data.val entry with its own loader; every evaluation scores them all.
  struct ValidationSet {
    std::string where;   // "data.val[i]", for messages
    std::string prefix;  // of its metric names (ValidationPrefixes)
    std::shared_ptr<grounding::GroundingDataset> set;
    std::unique_ptr<grounding::Loader> loader;
    EvaluationInputs inputs;
  };

  Status Setup();
  Status Train();
  Status BuildModels();
  Result<std::map<std::string, double>> Evaluate(TaskModel& model);
  Status EvaluateOne(TaskModel& model, ValidationSet& val, const config::DatasetConfig& cfg,
                     std::map<std::string, double>* metrics);
  Result<objective::LossDict> Losses(const model::MdetrOutputs& out, const grounding::Batch& b) const;
  Status Save(bool epoch_end);
  Status Resume();
  model::NestedTensor Images(const grounding::Batch& b) const {
    auto images = b.images.to(device_);
    if (cfg_.run.channels_last) images = images.contiguous(torch::MemoryFormat::ChannelsLast);
    return {images, b.mask.to(device_)};
  }
  model::TextBatch Text(const grounding::Batch& b) const {
    return {b.input_ids.to(device_), b.attention_mask.to(device_)};
  }

  const TrainerOptions& o_;
  config::ExperimentConfig cfg_;
  torch::Device device_{torch::kCPU};
  std::unique_ptr<Collective> coll_;
  std::unique_ptr<EventLog> events_;
  std::shared_ptr<const text::RobertaTokenizer> tokenizer_;
  std::shared_ptr<const grounding::ConcatDataset> train_set_;  // every data.train entry, in order
  std::unique_ptr<grounding::Loader> train_loader_;
  std::vector<ValidationSet> val_sets_;  // one per data.val entry, in order
  TaskModel model_, eval_model_;
  std::unique_ptr<objective::SetCriterion> criterion_;
  std::optional<objective::QaCriterion> qa_criterion_;
  std::map<std::string, double> weights_;
  std::unique_ptr<torch::optim::Optimizer> optimizer_;
  std::unique_ptr<GradientBuckets> buckets_;
  std::unique_ptr<objective::ModelEma> ema_;
  TrainingPosition at_;
  std::map<std::string, double> last_metrics_;
  std::string best_checkpoint_;
  double best_value_ = -1e300;
  Failure failure_{kExitOk, ""};
};

Status Task::Setup() {
  const auto& run = cfg_.run;
  if (run.device == "cuda") {
    if (!torch::cuda::is_available()) return FailedPreconditionError("run.device is cuda but no GPU is visible");
    device_ = torch::Device(torch::kCUDA, 0);
  }
  ApplyDeterminism(device_, run.deterministic);
  if (run.retain_host_memory) {
    if (auto kept = RetainFreedHostMemory(); !kept.ok()) logging::LogWarn("run.retain_host_memory: " + kept.ToString());
  }
  if (run.threads > 0) torch::set_num_threads(run.threads);
  torch::manual_seed(static_cast<uint64_t>(run.seed + o_.rendezvous.rank));

  auto coll = Connect(o_.rendezvous);
  if (!coll.ok()) {
    failure_ = {kExitInfrastructure, coll.status().message()};
    return coll.status();
  }
  coll_ = std::move(coll).value();
  const bool chief = coll_->rank() == 0;
  fs::create_directories(o_.output_dir);
  events_ = std::make_unique<EventLog>(chief ? (fs::path(o_.output_dir) / "events.jsonl").string() : "",
                                       o_.events_on_stdout && chief);
  if (chief && cfg_.run.tensorboard) {
    const auto tb_dir = (fs::path(o_.output_dir) / "tensorboard").string();
    if (auto tb = events_->EnableTensorBoard(tb_dir); !tb.ok()) logging::LogWarn("run.tensorboard: " + tb.ToString());
  }

  auto tok = text::RobertaTokenizer::FromDirectory(cfg_.model.text_encoder.tokenizer_dir);
  if (!tok.ok()) return tok.status().WithContext("model.text_encoder.tokenizer_dir");
  tokenizer_ = std::make_shared<const text::RobertaTokenizer>(std::move(tok).value());
  if (tokenizer_->vocab_size() != cfg_.model.text_encoder.vocab_size) {
    return InvalidArgumentError("tokenizer has " + std::to_string(tokenizer_->vocab_size()) +
                                " ids but model.text_encoder.vocab_size is " +
                                std::to_string(cfg_.model.text_encoder.vocab_size));
  }

  grounding::TransformOptions tf;
  tf.scales = cfg_.data.scales;
  tf.max_size = cfg_.data.max_size;
  tf.eval_size = cfg_.data.eval_size;
  if (!cfg_.data.scales.empty()) {
    // Small-image presets: the crop branch works at the preset's scale, not the 384..600 px of the reference.
    const int smallest = *std::min_element(cfg_.data.scales.begin(), cfg_.data.scales.end());
    tf.crop_pre_scales = {smallest, (smallest + cfg_.data.max_size) / 2};
    tf.crop_min = smallest * 3 / 4;
    tf.crop_max = cfg_.data.max_size;
  }
  auto open = [&](const config::DatasetConfig& d, bool train) -> Result<std::shared_ptr<grounding::GroundingDataset>> {
    grounding::DatasetOptions opt{d.ann_file, d.images, train && cfg_.data.augment, tf, TaskFieldsFor(cfg_.model)};
    if (!train) {
      opt.task.masks = opt.task.isfinal = false;  // evaluation reads polygons and answers itself
      // Answers only where this set's evaluation scores them: a QA model's other validation sets
      // (grounding, referring expressions) have none.
      if (d.name != cfg_.model.qa_dataset) opt.task.qa_dataset.clear();
    }
    return grounding::GroundingDataset::Open(opt, tokenizer_);
  };
  grounding::SamplerOptions sampler;
  sampler.batch_size = cfg_.optim.batch_size;
  sampler.rank = coll_->rank();
  sampler.world_size = coll_->world_size();
  sampler.seed = static_cast<uint64_t>(run.seed);
  if (run.kind != "evaluate") {
    if (cfg_.data.train.empty()) return InvalidArgumentError("data.train: a training task needs at least one dataset");
    // Several entries are concatenated (same transforms), as the reference's pre-training does.
    std::vector<std::shared_ptr<const grounding::GroundingDataset>> parts;
    std::string files;
    for (size_t i = 0; i < cfg_.data.train.size(); ++i) {
      auto part = open(cfg_.data.train[i], true);
      if (!part.ok()) return part.status().WithContext("data.train[" + std::to_string(i) + "]");
      parts.push_back(std::move(part).value());
      files += (i ? " + " : "") + cfg_.data.train[i].ann_file;
    }
    train_set_ = std::make_shared<const grounding::ConcatDataset>(std::move(parts));
    sampler.shuffle = true;
    sampler.drop_last = true;
    train_loader_ = std::make_unique<grounding::Loader>(train_set_, grounding::LoaderOptions{sampler, cfg_.data.num_workers, 4, device_});
    if (train_loader_->batches_per_epoch() == 0) {
      return InvalidArgumentError(files + ": fewer samples than one batch per rank");
    }
  }
  sampler.shuffle = false;
  sampler.drop_last = false;
  const auto prefixes = ValidationPrefixes(cfg_.data.val);
  for (size_t i = 0; i < cfg_.data.val.size(); ++i) {
    ValidationSet v;
    v.where = "data.val[" + std::to_string(i) + "]";
    v.prefix = prefixes[i];
    auto set = open(cfg_.data.val[i], false);
    if (!set.ok()) return set.status().WithContext(v.where);
    v.set = std::move(set).value();
    auto inputs = PrepareEvaluation(cfg_.data.val[i], cfg_.model);
    if (!inputs.ok()) return inputs.status().WithContext(v.where);
    v.inputs = std::move(inputs).value();
    v.loader = std::make_unique<grounding::Loader>(v.set, grounding::LoaderOptions{sampler, cfg_.data.num_workers, 4, device_});
    val_sets_.push_back(std::move(v));
  }

  MDETR_RETURN_IF_ERROR(BuildModels());
  auto copts = objective::CriterionOptionsFrom(cfg_.model, cfg_.loss);
  Collective* coll_ptr = coll_.get();
  copts.average_over_ranks = [coll_ptr](double local) {
    auto s = coll_ptr->AllReduceSum({local});
    return s.ok() ? (*s)[0] / coll_ptr->world_size() : local;
  };
  criterion_ = std::make_unique<objective::SetCriterion>(copts);
  if (!cfg_.model.qa_dataset.empty()) {
    auto qa = objective::QaCriterion::FromConfig(cfg_.model);
    if (!qa.ok()) return qa.status().WithContext("model.qa_dataset");
    qa_criterion_.emplace(std::move(qa).value());
  }
  weights_ = objective::WeightDict(cfg_.model, cfg_.loss);  // mask and QA coefficients included
  // Frozen detector parameters (model.frozen_weights) are in no group: they never change.
  optimizer_ = objective::MakeOptimizer(objective::SplitParameters(model_.module()), cfg_.optim);
  buckets_ = std::make_unique<GradientBuckets>(*coll_, model_.module().parameters());
  // EMA weights only where something trains (an evaluate run scores the weights it loaded), and a
  // second model only to evaluate them; otherwise the trained model itself is evaluated. A
  // full-size copy is 0.75 GB that the reference does not hold.
  if (cfg_.optim.ema && cfg_.run.kind != "evaluate") {
    ema_ = std::make_unique<objective::ModelEma>(model_.module());
    if (!val_sets_.empty()) {
      eval_model_ = TaskModel::Build(cfg_.model, false);
      eval_model_.module().to(device_);
      if (cfg_.run.channels_last) ToChannelsLast(eval_model_.module());
      eval_model_.module().eval();
    }
  }
  // Every rank starts from rank 0's weights.
  auto params = model::NamedStateDict(model_.module());
  std::vector<torch::Tensor> all;
  for (auto& [k, v] : params) all.push_back(v);
  {
    torch::NoGradGuard ng;
    MDETR_RETURN_IF_ERROR(coll_->Broadcast(all, 0));
  }
  return Status::Ok();
}

// The detector (or segmentation model) to train and, with EMA, its evaluation copy, from model.*: text
// encoder weights, init_checkpoint, then frozen_weights (which must win over init_checkpoint).
Status Task::BuildModels() {
  if (!cfg_.model.frozen_weights.empty() && !cfg_.model.masks) {
    return InvalidArgumentError("model.frozen_weights needs model.masks: true (only the mask head trains)");
  }
  model_ = TaskModel::Build(cfg_.model, cfg_.optim.lr_backbone > 0);
  if (!cfg_.model.text_encoder.weights.empty()) {
    auto encoder = model_.detector()->transformer()->text_encoder();
    auto loaded = model::LoadHfTextEncoderWeights(encoder, cfg_.model.text_encoder.weights);
    if (!loaded.ok()) return loaded.status().WithContext("model.text_encoder.weights");
  }
  if (!cfg_.model.init_checkpoint.empty()) {
    auto init = LoadInitialWeights(cfg_.model.init_checkpoint);
    if (!init.ok()) return init.status().WithContext("model.init_checkpoint");
    // Not strict, as the reference's fine-tuning: a pre-trained detector has no QA or mask heads,
    // and a fine-tuned model drops what it does not use; what was left out is logged.
    model::LoadOptions lo;
    lo.strict = false;
    auto r = model::LoadStateDict(model_.module(), init->tensors, lo);
    if (!r.ok()) return r.status().WithContext("model.init_checkpoint");
    logging::LogInfo("model.init_checkpoint: " + init->description + ": " + r->Summary());
  }
  if (!cfg_.model.frozen_weights.empty()) {
    auto frozen = model_.LoadFrozenDetector(cfg_.model.frozen_weights);
    if (!frozen.ok()) return frozen.WithContext("model.frozen_weights");
  }
  model_.module().to(device_);
  if (cfg_.run.channels_last) ToChannelsLast(model_.module());
  return Status::Ok();
}

// The weighted terms of one batch: SetCriterion's (boxes, alignment, masks, is-final) and the QA
// criterion's.
Result<objective::LossDict> Task::Losses(const model::MdetrOutputs& out, const grounding::Batch& b) const {
  std::vector<text::Encoding> encodings;
  for (const auto& s : b.samples) encodings.push_back(s.encoding);
  MDETR_ASSIGN_OR_RETURN(auto targets, BuildTargets(b, cfg_.model, device_));
  MDETR_ASSIGN_OR_RETURN(auto crit, (*criterion_)(out, targets, encodings));
  if (qa_criterion_) {
    MDETR_ASSIGN_OR_RETURN(auto qa_targets, BuildQaTargets(b, cfg_.model, device_));
    MDETR_ASSIGN_OR_RETURN(auto qa, (*qa_criterion_)(out.answers, qa_targets));
    for (auto& [k, v] : qa) crit.losses[k] = v;
  }
  return crit.losses;
}

Status Task::Save(bool epoch_end) {
  auto rng = GatherRngStates(*coll_, device_);  // collective: before rank 0 goes its own way
  if (!rng.ok()) {
    failure_ = {kExitInfrastructure, rng.status().message()};
    return rng.status();
  }
  if (coll_->rank() == 0) {
    TrainingState st;
    st.at = at_;
    st.model = model::NamedStateDict(model_.module());
    if (ema_) st.ema = ema_->state();
    // Written by the checkpoint into its own archive, with no serialised copy in memory.
    st.write_optimizer = [this](torch::serialize::OutputArchive& archive) { optimizer_->save(archive); };
    st.rank_rng_states = rng->cpu;
    st.rank_cuda_rng_states = rng->cuda;
    st.config_yaml = o_.config_yaml;
    st.metrics = last_metrics_;
    const std::string dir = (fs::path(o_.output_dir) / "checkpoints").string();
    auto rec = SaveCheckpoint(dir, st);
    if (!rec.ok()) {
      failure_ = {kExitInfrastructure, rec.status().message()};
      return rec.status();
    }
    const auto& best_key = cfg_.run.best_metric;
    if (epoch_end && !best_key.empty() && last_metrics_.count(best_key) && last_metrics_[best_key] > best_value_) {
      best_value_ = last_metrics_[best_key];
      best_checkpoint_ = rec->path;
    }
    PruneCheckpoints(dir, cfg_.run.keep_last_checkpoints, best_checkpoint_);
    events_->Emit({{"type", "checkpoint"}, {"path", rec->path}, {"step", at_.step}, {"epoch", at_.epoch},
                   {"position", at_.position}, {"crc32", rec->crc32}, {"bytes", rec->bytes},
                   {"metrics", last_metrics_}});
  }
  return coll_->Barrier();
}

Status Task::Resume() {
  const std::string dir = (fs::path(o_.output_dir) / "checkpoints").string();
  if (!o_.resume || ListCheckpoints(dir).empty()) return Status::Ok();
  std::vector<std::string> warnings;
  CheckpointRecord chosen;
  auto st = LoadLatestCheckpoint(dir, &warnings, &chosen);
  for (const auto& w : warnings) {
    logging::LogWarn(w);
    events_->Emit({{"type", "warning"}, {"message", w}});
  }
  if (!st.ok()) return st.status();
  model::LoadOptions lo;
  auto r = model::LoadStateDict(model_.module(), st->model, lo);
  if (!r.ok()) return r.status().WithContext(chosen.path);
  if (ema_ && !st->ema.empty()) {
    for (auto& [k, v] : ema_->mutable_state()) {
      auto it = st->ema.find(k);
      if (it != st->ema.end()) v.copy_(it->second);
    }
  }
  if (auto opt = LoadOptimizerState(*st, *optimizer_); !opt.ok()) return opt.WithContext(chosen.path);
  const int rank = coll_->rank();
  if (Status restored = RestoreRngStates({st->rank_rng_states, st->rank_cuda_rng_states}, rank, device_);
      !restored.ok()) {
    // Fresh streams, still distinct per rank and reproducible from the seed and the step.
    torch::manual_seed(static_cast<uint64_t>(cfg_.run.seed + rank) + 1000003ull * static_cast<uint64_t>(st->at.step));
    const std::string w = chosen.path + ": " + restored.message() + "; rank " + std::to_string(rank) +
                          " continues with fresh random streams (its dropout masks differ from an uninterrupted run)";
    logging::LogWarn(w);
    events_->Emit({{"type", "warning"}, {"message", w}});
  }
  at_ = st->at;
  last_metrics_ = st->metrics;
  events_->Emit({{"type", "resumed"}, {"path", chosen.path}, {"step", at_.step}, {"epoch", at_.epoch},
                 {"position", at_.position}});
  return Status::Ok();
}

// Every data.val entry in turn (the same order on every rank: each one's Finish is collective),
// into one flat map: the first entry's metrics under their own names, the others' prefixed.
Result<std::map<std::string, double>> Task::Evaluate(TaskModel& model) {
  std::map<std::string, double> metrics;
  torch::NoGradGuard no_grad;
  model.module().eval();
  for (size_t i = 0; i < val_sets_.size(); ++i) {
    auto& val = val_sets_[i];
    const auto& cfg = cfg_.data.val[i];
    auto st = EvaluateOne(model, val, cfg, &metrics);
    if (!st.ok()) return st.WithContext(val.where + " (" + cfg.ann_file + ")");
  }
  return metrics;
}

Status Task::EvaluateOne(TaskModel& model, ValidationSet& val, const config::DatasetConfig& cfg,
                         std::map<std::string, double>* metrics) {
  MDETR_ASSIGN_OR_RETURN(auto evaluation, MakeTaskEvaluation(cfg, cfg_.model, *val.set, val.inputs));
  val.loader->Start(0, 0);
  while (auto batch = val.loader->Next()) {
    model::MdetrOutputs out;
    {
      AutocastScope autocast(device_, cfg_.run.precision == "bf16");
      out = model.forward(Images(*batch), Text(*batch));
    }
    out = ToFloat32(std::move(out));
    if (out.pred_masks.defined()) out.pred_masks = out.pred_masks.to(torch::kFloat32);
    MDETR_RETURN_IF_ERROR(evaluation->Add(out, *batch));
  }
  MDETR_ASSIGN_OR_RETURN(auto one, evaluation->Finish(*coll_));
  for (auto& [name, value] : one) (*metrics)[val.prefix + name] = value;
  return Status::Ok();
}

Status Task::Train() {
  const int64_t per_epoch = train_loader_->batches_per_epoch();
  const int64_t total_steps = per_epoch * cfg_.optim.epochs;
  const int accum = cfg_.optim.grad_accumulation;
  auto t_start = Clock::now();
  int64_t images_seen = 0;
  const int64_t first_step = at_.step;
  int micro = 0;
  events_->Emit({{"type", "started"}, {"kind", cfg_.run.kind}, {"world_size", coll_->world_size()},
                 {"steps_per_epoch", per_epoch}, {"total_steps", total_steps}, {"step", at_.step},
                 {"epoch", at_.epoch}});
  while (at_.epoch < cfg_.optim.epochs) {
    train_loader_->Start(at_.epoch, at_.position);
    model_.module().train();
    while (auto batch = train_loader_->Next()) {
      const int64_t curr_step = at_.epoch * per_epoch + batch->position;
      model::MdetrOutputs out;
      {
        AutocastScope autocast(device_, cfg_.run.precision == "bf16");
        out = model_.forward(Images(*batch), Text(*batch));
      }
      out = ToFloat32(std::move(out));
      if (out.pred_masks.defined()) out.pred_masks = out.pred_masks.to(torch::kFloat32);
      auto losses = Losses(out, *batch);
      if (!losses.ok()) return losses.status();
      auto total = objective::WeightedTotal(*losses, weights_);
      const double loss_value = total.item<double>();
      if (!std::isfinite(loss_value)) {
        failure_ = {kExitFailed, "loss is " + std::to_string(loss_value) + " at step " + std::to_string(at_.step)};
        return InternalError(failure_.message);
      }
      if (micro == 0) optimizer_->zero_grad();
      // Only the last micro-batch's backward communicates (DDP's no_sync for the others).
      buckets_->BeginBackward(micro + 1 == accum);
      (accum > 1 ? total / accum : total).backward();
      if (++micro < accum) continue;
      micro = 0;
      MDETR_RETURN_IF_ERROR(buckets_->FinishBackward());
      const double grad_norm = objective::ClipGradNorm(model_.module(), cfg_.optim.clip_max_norm);
      optimizer_->step();
      objective::AdjustLearningRate(*optimizer_, cfg_.optim, static_cast<int>(at_.epoch), curr_step, total_steps);
      if (ema_) ema_->Update(model_.module(), cfg_.optim.ema_decay);
      ++at_.step;
      at_.position = batch->position + 1;
      images_seen += static_cast<int64_t>(batch->samples.size()) * coll_->world_size();

      if (cfg_.run.log_every_steps > 0 && at_.step % cfg_.run.log_every_steps == 0) {
        const double elapsed = std::chrono::duration<double>(Clock::now() - t_start).count();
        const double steps_done = static_cast<double>(at_.step - first_step);
        nlohmann::json ev{{"type", "step"}, {"step", at_.step}, {"epoch", at_.epoch}, {"loss", loss_value},
                          {"grad_norm", grad_norm}, {"images_per_s", images_seen / std::max(elapsed, 1e-9)},
                          {"eta_s", elapsed / std::max(steps_done, 1.0) * static_cast<double>(total_steps - at_.step)},
                          {"lr", objective::CurrentLearningRates(*optimizer_)},
                          {"skipped_samples", train_loader_->skipped_samples()}};
        if (auto mem = ReadDeviceMemory(device_)) {
          ev["gpu_mem_allocated_mb"] = mem->allocated_mb;
          ev["gpu_mem_peak_mb"] = mem->peak_allocated_mb;
          ev["gpu_mem_reserved_mb"] = mem->reserved_mb;
          ResetPeakDeviceMemory(device_);
        }
        for (const auto& [k, v] : *losses) {
          if (!IsAuxLayerTerm(k)) ev[k] = v.item<double>();
        }
        events_->Emit(ev);
      }
      const bool stop = g_stop_requested.load();
      if ((cfg_.run.checkpoint_every_steps > 0 && at_.step % cfg_.run.checkpoint_every_steps == 0) || stop) {
        MDETR_RETURN_IF_ERROR(Save(false));
      }
      if (stop) {
        failure_ = {kExitPreempted, "stopped by signal after checkpointing step " + std::to_string(at_.step)};
        events_->Emit({{"type", "preempted"}, {"step", at_.step}});
        return CancelledError(failure_.message);
      }
      if (cfg_.run.max_steps > 0 && at_.step >= cfg_.run.max_steps) break;
    }
    const bool finished_epoch = at_.position >= per_epoch;
    if (finished_epoch) {
      ++at_.epoch;
      at_.position = 0;
    }
    if (finished_epoch && cfg_.run.eval_every_epochs > 0 && at_.epoch % cfg_.run.eval_every_epochs == 0 &&
        !val_sets_.empty()) {
      if (ema_) ema_->CopyTo(eval_model_.module());
      // The trained model goes back to training mode when the next epoch starts.
      auto metrics = Evaluate(ema_ ? eval_model_ : model_);
      if (!metrics.ok()) return metrics.status();
      last_metrics_ = *metrics;
      nlohmann::json ev{{"type", "eval"}, {"step", at_.step}, {"epoch", at_.epoch}, {"metrics", *metrics}};
      events_->Emit(ev);
    }
    MDETR_RETURN_IF_ERROR(Save(true));
    if (cfg_.run.max_steps > 0 && at_.step >= cfg_.run.max_steps) break;
  }
  events_->Emit({{"type", "finished"}, {"step", at_.step}, {"epoch", at_.epoch}, {"metrics", last_metrics_}});
  return Status::Ok();
}

int Task::Run() {
  Status s = Setup();
  if (s.ok()) s = Resume();
  if (s.ok()) {
    if (cfg_.run.kind == "evaluate") {
      auto m = Evaluate(model_);
      if (m.ok()) {
        last_metrics_ = *m;
        events_->Emit({{"type", "eval"}, {"step", 0}, {"metrics", *m}});
        events_->Emit({{"type", "finished"}, {"metrics", *m}});
      } else {
        s = m.status();
      }
    } else {
      s = Train();
    }
  }
  if (s.ok()) return kExitOk;
  if (failure_.code == kExitOk) {
    failure_.code = s.action() == Action::kFixInput ? kExitBadInput
                    : s.retryable()                  ? kExitInfrastructure
                                                     : kExitFailed;
    failure_.message = s.message();
  }
  logging::LogError("task failed: " + failure_.message);
  if (events_) events_->Emit({{"type", "failed"}, {"exit_code", failure_.code}, {"reason", failure_.message}});
  return failure_.code;
}

}  // namespace

void InstallPreemptionHandlers() {
  std::signal(SIGTERM, OnStopSignal);
  std::signal(SIGUSR1, OnStopSignal);
}

int RunTask(const TrainerOptions& options) {
  Task task(options);
  return task.Run();
}

}  // namespace mdetr::trainer
