// The paper's recipes in configs/tasks/ against the reference's own numbers: every recipe is loaded
// the way users load it (LoadExperiment, `extends:` resolved) and each hyper-parameter is compared
// with tests/data/configs/reference_recipes.json, which tools/recipes/extract_reference_recipes.py
// resolves from the reference's documented commands, dataset configs and argparse defaults.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/config/experiment.h"
#include "tests/support/test_paths.h"

namespace mdetr::config {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Reference flags the schema cannot state yet, per recipe; their recipes say so in a comment.
const std::set<std::pair<std::string, std::string>> kKnownGaps = {
    {"gqa_balanced", "no_detection"},
    {"clevr_humans", "no_detection"},
};

json ReferenceRecipes() {
  std::ifstream in(testing::SourceDir() + "/tests/data/configs/reference_recipes.json");
  EXPECT_TRUE(in.good()) << "tests/data/configs/reference_recipes.json is missing";
  return in.good() ? json::parse(in) : json::object();
}

// configs/tasks/<name>.yaml for every paper recipe (the synthetic demo tasks have no reference).
std::map<std::string, std::string> RecipeFiles() {
  std::map<std::string, std::string> files;
  for (const auto& e : fs::directory_iterator(testing::SourceDir() + "/configs/tasks")) {
    const std::string stem = e.path().stem().string();
    if (e.path().extension() == ".yaml" && stem.rfind("synthetic_", 0) != 0) files[stem] = e.path().string();
  }
  return files;
}

// Compares one value and names the recipe, our key and the reference's flag on a mismatch.
class Checker {
 public:
  Checker(std::string recipe, const json& ref) : recipe_(std::move(recipe)), ref_(ref) {}

  template <typename T>
  void Eq(const std::string& our_key, const T& ours, const std::string& ref_key) {
    ASSERT_TRUE(ref_.contains(ref_key)) << recipe_ << ": reference_recipes.json has no " << ref_key;
    Eq(our_key, ours, ref_key, ref_.at(ref_key).get<T>());
  }
  template <typename T>
  void Eq(const std::string& our_key, const T& ours, const std::string& ref_key, const T& expected) {
    EXPECT_EQ(ours, expected) << "configs/tasks/" << recipe_ << ".yaml: " << our_key
                              << " differs from the reference's " << ref_key << " ("
                              << ref_.value("doc", std::string()) << ")";
  }
  void Near(const std::string& our_key, double ours, const std::string& ref_key) {
    ASSERT_TRUE(ref_.contains(ref_key)) << recipe_ << ": reference_recipes.json has no " << ref_key;
    const double expected = ref_.at(ref_key).get<double>();
    EXPECT_NEAR(ours, expected, 1e-12 * std::max(1.0, std::abs(expected)))
        << "configs/tasks/" << recipe_ << ".yaml: " << our_key << " differs from the reference's " << ref_key
        << " (" << ref_.value("doc", std::string()) << ")";
  }

 private:
  std::string recipe_;
  const json& ref_;
};

// (name, annotation file) of each dataset entry; the reference's file names are the tail of ours
// (CLEVR's carry their folder, which tells medium / full / cogent apart).
void CheckDatasets(const std::string& recipe, const std::string& which,
                   const std::vector<DatasetConfig>& ours, const json& names, const json& files,
                   bool ordered) {
  std::vector<std::string> expected, actual;
  for (size_t i = 0; i < names.size(); ++i)
    expected.push_back(names[i].get<std::string>() + " " + files[i].get<std::string>());
  const bool with_folder = std::any_of(files.begin(), files.end(), [](const json& f) {
    return f.get<std::string>().find('/') != std::string::npos;
  });
  for (const auto& d : ours) {
    const fs::path p(d.ann_file);
    const std::string file = p.filename().string();
    actual.push_back(d.name + " " + (with_folder ? p.parent_path().filename().string() + "/" + file : file));
  }
  if (!ordered) {
    std::sort(expected.begin(), expected.end());
    std::sort(actual.begin(), actual.end());
  }
  EXPECT_EQ(actual, expected) << "configs/tasks/" << recipe << ".yaml: data." << which
                              << " (name and annotation file) differs from the reference's datasets";
}

TEST(RecipesTest, EveryPaperRecipeHasTheReferenceNumbersAndBack) {
  const json ref = ReferenceRecipes();
  ASSERT_TRUE(ref.contains("recipes"));
  std::set<std::string> in_reference, in_configs;
  for (const auto& [name, value] : ref["recipes"].items()) in_reference.insert(name);
  for (const auto& [name, path] : RecipeFiles()) in_configs.insert(name);
  EXPECT_EQ(in_configs, in_reference)
      << "each configs/tasks/*.yaml (but synthetic_*) needs an entry in "
         "tests/data/configs/reference_recipes.json "
         "(tools/recipes/extract_reference_recipes.py) and each entry a recipe";
  EXPECT_GE(in_configs.size(), 20u);
}

TEST(RecipesTest, RecipesMatchTheReferenceHyperParameters) {
  const json ref = ReferenceRecipes();
  ASSERT_TRUE(ref.contains("recipes"));
  for (const auto& [name, path] : RecipeFiles()) {
    if (!ref["recipes"].contains(name)) continue;  // reported by the test above
    SCOPED_TRACE(path);
    auto loaded = LoadExperiment(path);
    ASSERT_TRUE(loaded.ok()) << loaded.status();
    const ExperimentConfig& c = *loaded;
    const json& r = ref["recipes"][name];
    Checker k(name, r);

    // Optimisation. The reference's --epoch_chunks N splits an epoch into N "epochs"; a recipe
    // states whole passes, so epochs and lr_drop (both counted in chunks there) are divided by N.
    const int chunks = std::max(1, r.at("epoch_chunks").get<int>());
    ASSERT_EQ(r.at("epochs").get<int>() % chunks, 0) << name;
    k.Near("optim.lr", c.optim.lr, "lr");
    k.Near("optim.lr_backbone", c.optim.lr_backbone, "lr_backbone");
    k.Near("optim.text_encoder_lr", c.optim.text_encoder_lr, "text_encoder_lr");
    k.Near("optim.weight_decay", c.optim.weight_decay, "weight_decay");
    k.Near("optim.clip_max_norm", c.optim.clip_max_norm, "clip_max_norm");
    k.Near("optim.ema_decay", c.optim.ema_decay, "ema_decay");
    k.Near("optim.fraction_warmup_steps", c.optim.fraction_warmup_steps, "fraction_warmup_steps");
    k.Eq("optim.batch_size", c.optim.batch_size, "batch_size");
    k.Eq("optim.optimizer", c.optim.optimizer, "optimizer");
    k.Eq("optim.schedule", c.optim.schedule, "schedule");
    k.Eq("optim.ema", c.optim.ema, "ema");
    k.Eq("optim.grad_accumulation", c.optim.grad_accumulation, "(no accumulation)", 1);
    k.Eq("optim.epochs", c.optim.epochs, "epochs / epoch_chunks", r.at("epochs").get<int>() / chunks);
    const int lr_drop = r.at("lr_drop").get<int>();
    if (lr_drop % chunks == 0) {
      k.Eq("optim.lr_drop", c.optim.lr_drop, "lr_drop / epoch_chunks", lr_drop / chunks);
    } else {
      // Only a drop after the last epoch (which never happens) may be rounded.
      ASSERT_GE(lr_drop, r.at("epochs").get<int>()) << name;
      EXPECT_GE(c.optim.lr_drop, c.optim.epochs) << name << ": the reference's lr_drop is after the end";
    }

    // Cluster shape, kind of run, initial weights, seed.
    k.Eq("run.ranks (GPUs)", c.run.ranks, "gpus");
    k.Eq("run.device", c.run.device, "(GPU training)", std::string("cuda"));
    k.Eq("run.kind is evaluate", c.run.kind == "evaluate", "eval_only");
    if (!r.at("eval_only").get<bool>()) k.Eq("run.eval_every_epochs", c.run.eval_every_epochs, "eval_skip");
    k.Eq("run.seed", c.run.seed, "seed");
    k.Eq("model.init_checkpoint is set", !c.model.init_checkpoint.empty() || !c.model.frozen_weights.empty(),
         "init_checkpoint (--load / --resume / --frozen_weights)",
         r.at("init_checkpoint").get<bool>() || r.at("frozen_weights").get<bool>());
    if (!r.at("init_checkpoint").get<bool>() && !r.at("frozen_weights").get<bool>()) {
      // Without a checkpoint the reference still starts its text encoder from the pre-trained
      // Hugging Face model (RobertaModel.from_pretrained).
      EXPECT_FALSE(c.model.text_encoder.weights.empty())
          << "configs/tasks/" << name
          << ".yaml: model.text_encoder.weights is empty, the reference starts from "
          << r.at("text_encoder_type").get<std::string>();
    }

    // Model.
    k.Eq("model.backbone", c.model.backbone, "backbone");
    k.Eq("model.dilation", c.model.dilation, "dilation");
    k.Eq("model.position_embedding", c.model.position_embedding, "position_embedding");
    k.Eq("model.text_encoder.type", c.model.text_encoder.type, "text_encoder_type");
    k.Eq("model.text_encoder.freeze", c.model.text_encoder.freeze, "freeze_text_encoder");
    k.Eq("model.hidden_dim", c.model.hidden_dim, "hidden_dim");
    k.Eq("model.enc_layers", c.model.enc_layers, "enc_layers");
    k.Eq("model.dec_layers", c.model.dec_layers, "dec_layers");
    k.Eq("model.dim_feedforward", c.model.dim_feedforward, "dim_feedforward");
    k.Eq("model.nheads", c.model.nheads, "nheads");
    k.Eq("model.num_queries", c.model.num_queries, "num_queries");
    k.Near("model.dropout", c.model.dropout, "dropout");
    k.Eq("model.pass_pos_and_query", c.model.pass_pos_and_query, "pass_pos_and_query");
    k.Eq("model.aux_loss", c.model.aux_loss, "aux_loss");
    k.Eq("model.masks", c.model.masks, "masks");
    k.Eq("model.frozen_weights is set", !c.model.frozen_weights.empty(), "frozen_weights");
    k.Eq("model.qa_dataset", c.model.qa_dataset, "qa_dataset");
    if (r.at("do_qa").get<bool>()) k.Eq("model.split_qa_heads", c.model.split_qa_heads, "split_qa_heads");
    k.Eq("model.predict_final", c.model.predict_final, "predict_final");
    k.Eq("model.contrastive_loss", c.model.contrastive_loss, "contrastive_loss");
    k.Eq("model.contrastive_align_loss", c.model.contrastive_align_loss, "contrastive_align_loss");
    k.Eq("model.contrastive_hdim", c.model.contrastive_hdim, "contrastive_loss_hdim");
    if (r.at("no_detection").get<bool>()) {
      EXPECT_TRUE(kKnownGaps.count({name, "no_detection"}))
          << name << ": the reference trains without detection (--no_detection), which no recipe key states";
    }

    // Matching costs and loss weights.
    for (const auto& [key, ours] :
         std::map<std::string, double>{{"set_cost_class", c.loss.set_cost_class},
                                       {"set_cost_bbox", c.loss.set_cost_bbox},
                                       {"set_cost_giou", c.loss.set_cost_giou},
                                       {"ce_loss_coef", c.loss.ce_loss_coef},
                                       {"bbox_loss_coef", c.loss.bbox_loss_coef},
                                       {"giou_loss_coef", c.loss.giou_loss_coef},
                                       {"mask_loss_coef", c.loss.mask_loss_coef},
                                       {"dice_loss_coef", c.loss.dice_loss_coef},
                                       {"qa_loss_coef", c.loss.qa_loss_coef},
                                       {"eos_coef", c.loss.eos_coef},
                                       {"contrastive_loss_coef", c.loss.contrastive_loss_coef},
                                       {"contrastive_align_loss_coef", c.loss.contrastive_align_loss_coef},
                                       {"temperature_nce", c.loss.temperature_nce}}) {
      k.Near("loss." + key, ours, key);
    }

    // Data: which datasets and annotation files, and the training resize.
    if (!r.at("eval_only").get<bool>()) {
      CheckDatasets(name, "train", c.data.train, r.at("train"), r.at("train_files"), /*ordered=*/true);
    }
    // The reference evaluates every validation set on its own, so their order is free (the
    // trainer scores the first).
    CheckDatasets(name, "val", c.data.val, r.at("val"), r.at("val_files"), /*ordered=*/false);
    std::vector<int> scales = c.data.scales;
    if (scales.empty()) {
      for (int s = 480; s <= 800; s += 32) scales.push_back(s);  // the schema's "reference default"
    }
    k.Eq("data.scales", scales, "train_scales");
    k.Eq("data.max_size", c.data.max_size, "max_size");
  }
}

}  // namespace
}  // namespace mdetr::config
