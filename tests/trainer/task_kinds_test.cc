// `mdetr train` on the paper's other task kinds, with the tiny CPU model:
//  * PhraseCut-style segmentation: a detector trained first, then frozen (model.frozen_weights)
//    while only the mask head trains on polygon masks; the eval event has PhraseCut's metrics;
//  * GQA question answering on the real GQA questions of ../shared/data/gqa, CLEVR answers on
//    synthetic scenes;
//  * a RefCOCO-named validation set: the trainer's precision@1 equals RefExpEvaluator's over
//    predictions this test computes itself (model + inference post-processor), on one rank and
//    merged over two;
// Several validation sets and CLEVR accuracy per question kind: validation_sets_task_test.cc.
#include <array>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/config/experiment.h"
#include "datasets/annotations/coco_dataset.h"
#include "datasets/eval/refexp_evaluator.h"
#include "datasets/grounding/collate.h"
#include "datasets/grounding/grounding_dataset.h"
#include "model/nn/mdetr.h"
#include "model/nn/state_dict.h"
#include "model/text/roberta_tokenizer.h"
#include "tests/support/child_process.h"
#include "tests/support/test_paths.h"
#include "tests/trainer/task_run_helpers.h"
#include "tests/trainer/training_run.h"
#include "worker/inference/refexp_postprocess.h"
#include "worker/trainer/checkpoint.h"

namespace mdetr::testing {
namespace {

// The shape's outline inside its box (the synthetic scenes draw squares filling their box,
// triangles with the apex at the top centre, circles inscribed): PhraseCut-style polygons.
json Outline(int category, const json& bbox) {
  const double x = bbox[0], y = bbox[1], w = bbox[2], h = bbox[3];
  std::vector<double> p;
  if (category == 2) {
    p = {x, y, x + w, y, x + w, y + h, x, y + h};
  } else if (category == 3) {
    p = {x, y + h, x + w, y + h, x + w / 2, y};
  } else {
    for (int k = 0; k < 24; ++k) {
      const double a = 2 * M_PI * k / 24;
      p.push_back(x + w / 2 + w / 2 * std::cos(a));
      p.push_back(y + h / 2 + h / 2 * std::sin(a));
    }
  }
  return json::array({p});
}

// A PhraseCut-format copy of a synthetic referring-expression file: one phrase per entry, its
// object's polygon, a task id, dataset_name "phrasecut". With `distinct` > 0, only the first
// `distinct` entries, each repeated `copies` times under new ids: a set small enough for the
// mask head to fit within one short epoch.
std::string PhraseCutFile(const std::string& synth_file, const std::string& out, int distinct = 0,
                          int copies = 1) {
  json j = ReadJson(synth_file);
  if (distinct > 0) {
    json images = json::array(), anns = json::array();
    int64_t next_id = 0, next_ann = 0;
    for (int c = 0; c < copies; ++c) {
      for (int k = 0; k < distinct; ++k) {
        json im = j["images"][static_cast<size_t>(k)];
        const int64_t old_id = im["id"];
        im["id"] = next_id;
        for (const auto& a : j["annotations"]) {
          if (a["image_id"].get<int64_t>() != old_id) continue;
          json b = a;
          b["id"] = next_ann++;
          b["image_id"] = next_id;
          anns.push_back(b);
        }
        images.push_back(im);
        ++next_id;
      }
    }
    j["images"] = images;
    j["annotations"] = anns;
  }
  for (auto& im : j["images"]) {
    im["dataset_name"] = "phrasecut";
    im["task_id"] = "task-" + std::to_string(im["id"].get<int64_t>());
  }
  for (auto& a : j["annotations"]) a["segmentation"] = Outline(a["category_id"].get<int>(), a["bbox"]);
  WriteJson(out, j);
  return out;
}

// The mask head's group norms need hidden_dim a multiple of 128 (the reference's widths / 8 groups).
const std::vector<std::string> kMaskableTinyModel = {"model.hidden_dim=128", "model.nheads=8"};

double MeanOf(const std::vector<json>& steps, const std::string& key, size_t from, size_t to) {
  double sum = 0;
  for (size_t i = from; i < to; ++i) sum += steps[i].at(key).get<double>();
  return sum / static_cast<double>(to - from);
}

TEST(TaskKindsTest, PhraseCutMaskHeadTrainsOnAFrozenDetector) {
  const std::string synth = FixedSizeSyntheticDataDir();
  const std::string dir = MakeTempDir("phrasecut");
  // Two scenes, 24 copies each: 12 steps of 4 images per epoch, no augmentation.
  const std::string train = PhraseCutFile(synth + "/refexp_train.json", dir + "/phrasecut_train.json", 2, 24);
  const std::string val = PhraseCutFile(synth + "/refexp_val.json", dir + "/phrasecut_val.json");
  const auto data = Plus(Plus(DataOverrides(train, val, synth + "/images", "phrasecut"), kMaskableTinyModel),
                         {"optim.batch_size=4", "data.augment=false"});

  // Step 1: a box detector (a few steps are enough: it only has to exist).
  ChildProcess detector(
      TrainCommand(dir + "/detector", Plus(data, {"optim.ema=false", "optim.epochs=1", "run.max_steps=2",
                                                  "run.eval_every_epochs=0"})),
      dir + "/detector.log");
  ASSERT_EQ(detector.Wait(), 0) << ReadFile(dir + "/detector.log");
  const auto detector_weights = FinalWeights(dir + "/detector");
  ASSERT_FALSE(detector_weights.empty());

  // Step 2: masks on the frozen detector (a checkpoint at every epoch end).
  ChildProcess masks(
      TrainCommand(dir + "/masks",
                   Plus(data, {"model.masks=true", "model.frozen_weights=" + dir + "/detector/checkpoints",
                               "model.aux_loss=false", "optim.ema=false", "optim.lr=0.001", "optim.epochs=2",
                               "run.keep_last_checkpoints=10", "run.eval_every_epochs=2"})),
      dir + "/masks.log");
  ASSERT_EQ(masks.Wait(), 0) << ReadFile(dir + "/masks.log");

  const auto steps = Events(dir + "/masks", "step");
  ASSERT_GE(steps.size(), 24u);
  for (const auto& s : steps) {
    ASSERT_TRUE(s.contains("loss_mask") && s.contains("loss_dice")) << s.dump();
  }
  const size_t n = steps.size();
  EXPECT_LT(MeanOf(steps, "loss_mask", n - 6, n), MeanOf(steps, "loss_mask", 0, 6));
  EXPECT_LT(MeanOf(steps, "loss_dice", n - 6, n), MeanOf(steps, "loss_dice", 0, 6));

  const auto list = trainer::ListCheckpoints(dir + "/masks/checkpoints");
  ASSERT_GE(list.size(), 2u);
  auto first = trainer::LoadCheckpoint(list.front());
  auto last = trainer::LoadCheckpoint(list.back());
  ASSERT_TRUE(first.ok() && last.ok());
  size_t detector_tensors = 0, head_changed = 0;
  for (const auto& [name, t] : last->model) {
    if (name.rfind("detr.", 0) == 0) {
      auto it = detector_weights.find(name.substr(5));
      ASSERT_NE(it, detector_weights.end()) << name;
      EXPECT_TRUE(torch::equal(t, it->second)) << name << " changed although the detector is frozen";
      ++detector_tensors;
    } else if (name.rfind("mask_head.", 0) == 0 && !torch::equal(t, first->model.at(name))) {
      ++head_changed;
    }
  }
  EXPECT_GT(detector_tensors, 50u);
  EXPECT_GT(head_changed, 0u) << "the mask head did not train";

  const auto evals = Events(dir + "/masks", "eval");
  ASSERT_FALSE(evals.empty());
  const auto& m = evals.back().at("metrics");
  for (const char* key : {"mean_iou", "cum_iou", "precision@0.5", "precision@0.7", "precision@0.9"}) {
    ASSERT_TRUE(m.contains(key)) << key << " missing in " << m.dump();
    EXPECT_GE(m.at(key).get<double>(), 0.0);
    EXPECT_LE(m.at(key).get<double>(), 1.0);
  }
  EXPECT_EQ(m.at("tasks").get<double>(), static_cast<double>(ReadJson(val)["images"].size()));
}

TEST(TaskKindsTest, AMalformedPolygonIsNamedWithItsRecord) {
  const std::string synth = FixedSizeSyntheticDataDir();
  const std::string dir = MakeTempDir("phrasecut-bad");
  const std::string train = PhraseCutFile(synth + "/refexp_train.json", dir + "/train.json");
  json j = ReadJson(train);
  j["annotations"][3]["segmentation"] = json::array({json::array({1.0, 2.0, 3.0})});
  WriteJson(train, j);
  ChildProcess run(
      TrainCommand(dir + "/run",
                   Plus(Plus(DataOverrides(train, train, synth + "/images", "phrasecut"), kMaskableTinyModel),
                        {"model.masks=true", "run.max_steps=1"})),
      dir + "/run.log");
  EXPECT_EQ(run.Wait(), 2);  // bad input
  const std::string log = ReadFile(dir + "/run.log") + ReadFile(dir + "/run/events.jsonl");
  EXPECT_NE(log.find("annotations[3]"), std::string::npos) << log;
  EXPECT_NE(log.find("segmentation"), std::string::npos) << log;
}

// The two real GQA questions as an MDETR-format file (no boxes: the scene graph is not in the
// sample), with the answer-id files the reference reads from the annotation folder.
std::string GqaFiles(const std::string& dir) {
  json file = {{"images", json::array()},
               {"annotations", json::array()},
               {"categories", json::array({{{"id", 1}, {"name", "object"}}})}};
  int64_t id = 0;
  std::set<std::string> answers;
  std::map<std::string, std::set<std::string>> by_type;
  for (const char* name : {"questions0.json", "questions1.json"}) {
    const json questions = ReadJson(SharedDataDir() + "/gqa/" + name);
    for (const auto& [qid, q] : questions.items()) {
      const std::string image = q.at("imageId");
      const std::string type = q.at("types").at("semantic");
      file["images"].push_back({{"id", id++},
                                {"file_name", image + ".jpg"},
                                {"width", 0},
                                {"height", 0},
                                {"caption", q.at("question")},
                                {"answer", q.at("answer")},
                                {"question_type", type},
                                {"questionId", qid},
                                {"dataset_name", "gqa"},
                                {"tokens_positive_eval", json::array()}});
      answers.insert(q.at("answer").get<std::string>());
      by_type[type].insert(q.at("answer").get<std::string>());
    }
  }
  auto ids = [](const std::set<std::string>& s) {
    json m = json::object();
    int64_t k = 0;
    for (const auto& a : s) m[a] = k++;
    m["unknown"] = k;
    return m;
  };
  WriteJson(dir + "/gqa_answer2id.json", ids(answers));
  json per_type = json::object();
  for (const char* t : {"obj", "attr", "rel", "global", "cat"})
    per_type[std::string("answer_") + t] = ids(by_type[t]);
  WriteJson(dir + "/gqa_answer2id_by_type.json", per_type);
  WriteJson(dir + "/finetune_gqa_val.json", file);
  return dir + "/finetune_gqa_val.json";
}

TEST(TaskKindsTest, GqaTrainsTheAnswerHeadsAndReportsAccuracyPerAnswerType) {
  const std::string dir = MakeTempDir("gqa");
  const std::string ann = GqaFiles(dir);
  ChildProcess run(
      TrainCommand(dir + "/run", Plus(DataOverrides(ann, ann, SharedDataDir() + "/gqa/images", "gqa"),
                                      {"model.qa_dataset=gqa", "optim.batch_size=1", "optim.epochs=2"})),
      dir + "/run.log");
  ASSERT_EQ(run.Wait(), 0) << ReadFile(dir + "/run.log");
  const auto steps = Events(dir + "/run", "step");
  ASSERT_FALSE(steps.empty());
  for (const char* key :
       {"loss_answer_type", "loss_answer_rel", "loss_answer_attr", "accuracy_answer_total"}) {
    EXPECT_TRUE(steps.back().contains(key)) << key << " missing in " << steps.back().dump();
  }
  const auto evals = Events(dir + "/run", "eval");
  ASSERT_FALSE(evals.empty());
  const auto& m = evals.back().at("metrics");
  EXPECT_EQ(m.at("questions").get<double>(), 2);
  for (const char* key : {"accuracy", "accuracy_answer_type", "accuracy_obj", "accuracy_attr", "accuracy_rel",
                          "accuracy_global", "accuracy_cat"}) {
    ASSERT_TRUE(m.contains(key)) << key << " missing in " << m.dump();
  }
  // One rel and one attr question; the other types have none.
  EXPECT_EQ(m.at("questions_rel").get<double>(), 1);
  EXPECT_EQ(m.at("questions_attr").get<double>(), 1);
  EXPECT_EQ(m.at("questions_obj").get<double>(), 0);
}

TEST(TaskKindsTest, AGqaQuestionWithoutAnswerIsNamedWithItsRecord) {
  const std::string dir = MakeTempDir("gqa-bad");
  const std::string ann = GqaFiles(dir);
  json j = ReadJson(ann);
  j["images"][1].erase("answer");
  WriteJson(ann, j);
  ChildProcess run(
      TrainCommand(dir + "/run", Plus(DataOverrides(ann, ann, SharedDataDir() + "/gqa/images", "gqa"),
                                      {"model.qa_dataset=gqa", "optim.batch_size=1"})),
      dir + "/run.log");
  EXPECT_EQ(run.Wait(), 2);
  const std::string log = ReadFile(dir + "/run.log") + ReadFile(dir + "/run/events.jsonl");
  EXPECT_NE(log.find("images[1]"), std::string::npos) << log;
  EXPECT_NE(log.find(".answer"), std::string::npos) << log;
}

TEST(TaskKindsTest, ClevrQuestionsTrainAndReportAccuracyPerAnswerType) {
  // Synthetic scenes with CLEVR-style answers (yes/no, an attribute, a count) per caption.
  const std::string synth = FixedSizeSyntheticDataDir();
  const std::string dir = MakeTempDir("clevr");
  json j = ReadJson(synth + "/refexp_val.json");
  const std::array<const char*, 4> answers = {"yes", "cube", "2", "no"};
  size_t k = 0;
  for (auto& im : j["images"]) {
    im["dataset_name"] = "clevr";
    im["answer"] = answers[k++ % answers.size()];
  }
  const std::string ann = dir + "/clevr.json";
  WriteJson(ann, j);
  ChildProcess run(TrainCommand(dir + "/run", Plus(DataOverrides(ann, ann, synth + "/images", "clevr"),
                                                   {"model.qa_dataset=clevr", "optim.epochs=1"})),
                   dir + "/run.log");
  ASSERT_EQ(run.Wait(), 0) << ReadFile(dir + "/run.log");
  const auto steps = Events(dir + "/run", "step");
  ASSERT_FALSE(steps.empty());
  for (const char* key : {"loss_answer_type", "loss_answer_binary", "loss_answer_attr", "loss_answer_reg"}) {
    EXPECT_TRUE(steps.back().contains(key)) << key << " missing in " << steps.back().dump();
  }
  const auto evals = Events(dir + "/run", "eval");
  ASSERT_EQ(evals.size(), 1u);
  const auto& m = evals[0].at("metrics");
  const double n = static_cast<double>(j["images"].size());
  EXPECT_EQ(m.at("questions").get<double>(), n) << m.dump();
  // yes/no every other question, the attribute and the count every fourth.
  EXPECT_EQ(m.at("questions_binary").get<double>() + m.at("questions_attr").get<double>() +
                m.at("questions_reg").get<double>(),
            n);
  EXPECT_EQ(m.at("questions_attr").get<double>(), std::floor((n + 2) / 4));
  for (const char* key :
       {"accuracy", "accuracy_answer_type", "accuracy_binary", "accuracy_attr", "accuracy_reg"}) {
    ASSERT_TRUE(m.contains(key)) << key << " missing in " << m.dump();
  }
}

// Predictions of a checkpoint's model, computed here: the evaluation transform, one image per
// batch, ranked by the inference post-processor. By image id.
std::map<int64_t, inference::RefExpRanking> RankedPredictions(const std::string& checkpoints_of,
                                                              const std::string& ann_file,
                                                              const std::string& images) {
  std::map<int64_t, inference::RefExpRanking> out;
  auto cfg = config::LoadExperiment(SourceDir() + "/configs/tasks/synthetic_tiny.yaml");
  EXPECT_TRUE(cfg.ok()) << cfg.status().message();
  if (!cfg.ok()) return out;
  model::Mdetr net(cfg->model, false);
  EXPECT_TRUE(model::LoadStateDict(*net, FinalWeights(checkpoints_of)).ok());
  net->eval();
  auto tok = text::RobertaTokenizer::FromDirectory(SourceDir() + "/" + cfg->model.text_encoder.tokenizer_dir);
  EXPECT_TRUE(tok.ok()) << tok.status().message();
  if (!tok.ok()) return out;
  grounding::DatasetOptions opt;
  opt.ann_file = ann_file;
  opt.image_dir = images;
  opt.train = false;
  opt.transforms.eval_size = 96;  // TrainCommand's data.eval_size and max_size
  opt.transforms.max_size = 128;
  auto set = grounding::GroundingDataset::Open(
      opt, std::make_shared<const text::RobertaTokenizer>(std::move(tok).value()));
  EXPECT_TRUE(set.ok()) << set.status().message();
  if (!set.ok()) return out;
  std::mt19937_64 rng(0);
  torch::NoGradGuard no_grad;
  for (int64_t i = 0; i < (*set)->size(); ++i) {
    auto sample = (*set)->Get(i, rng);
    EXPECT_TRUE(sample.ok());
    if (!sample.ok()) return out;
    const int64_t w = sample->orig_width, h = sample->orig_height, id = sample->image_id;
    std::vector<grounding::Sample> one;
    one.push_back(std::move(sample).value());
    auto batch = grounding::Collate(std::move(one));
    auto pred = net->forward({batch.images, batch.mask}, {batch.input_ids, batch.attention_mask});
    auto ranking = inference::RankRefExpBoxes(pred, 0, static_cast<int>(w), static_cast<int>(h));
    EXPECT_TRUE(ranking.ok());
    if (ranking.ok()) out[id] = *ranking;
  }
  return out;
}

TEST(TaskKindsTest, RefExpPrecisionMatchesTheEvaluatorOnIndependentPredictions) {
  const std::string synth = FixedSizeSyntheticDataDir();
  const std::string dir = MakeTempDir("refexp");
  json j = ReadJson(synth + "/refexp_val.json");
  for (auto& im : j["images"]) im["dataset_name"] = "refcoco";
  const std::string val = dir + "/refcoco_val.json";
  WriteJson(val, j);
  ChildProcess run(TrainCommand(dir + "/run", Plus(DataOverrides(synth + "/refexp_train.json", val,
                                                                 synth + "/images", "refcoco"),
                                                   {"optim.ema=false", "optim.epochs=1", "run.max_steps=2"})),
                   dir + "/run.log");
  ASSERT_EQ(run.Wait(), 0) << ReadFile(dir + "/run.log");

  // A barely trained model finds nothing; so that precision@k is not 0 everywhere, each
  // expression's ground-truth box becomes the predicted box of rank 0, 3, 7 or 12 (found at 1, at
  // 5, at 10, or not at all). The images and captions, hence the predictions, stay the same.
  const auto ranked = RankedPredictions(dir + "/run", val, synth + "/images");
  ASSERT_EQ(ranked.size(), j["images"].size());
  const std::array<size_t, 4> ranks = {0, 3, 7, 12};
  size_t k = 0;
  for (auto& a : j["annotations"]) {
    const auto& boxes = ranked.at(a["image_id"].get<int64_t>()).boxes;
    const auto& b = boxes.at(ranks[k++ % ranks.size()]).box;
    a["bbox"] = {b.x0, b.y0, b.x1 - b.x0, b.y1 - b.y0};
  }
  WriteJson(val, j);

  // The trainer's evaluation of the same weights (run.kind evaluate, one image per batch as above).
  ChildProcess eval(TrainCommand(dir + "/eval", Plus(DataOverrides(synth + "/refexp_train.json", val,
                                                                   synth + "/images", "refcoco"),
                                                     {"run.kind=evaluate", "optim.batch_size=1",
                                                      "model.init_checkpoint=" + dir + "/run/checkpoints"})),
                    dir + "/eval.log");
  ASSERT_EQ(eval.Wait(), 0) << ReadFile(dir + "/eval.log");
  const auto evals = Events(dir + "/eval", "eval");
  ASSERT_EQ(evals.size(), 1u);
  const auto& m = evals[0].at("metrics");
  ASSERT_TRUE(m.contains("precision@1")) << m.dump();

  auto gt = annotations::ReadCocoJson(val);
  ASSERT_TRUE(gt.ok()) << gt.status().message();
  eval::RefExpEvaluator evaluator(*gt);
  for (const auto& [id, ranking] : ranked)
    ASSERT_TRUE(evaluator.AddImage(id, ranking.scores(), ranking.xyxy()).ok());
  auto summary = evaluator.Summarize();
  ASSERT_TRUE(summary.ok()) << summary.status().message();
  ASSERT_EQ(summary->count("refcoco"), 1u);
  const auto& expected = summary->at("refcoco");
  EXPECT_GT(expected.precision[0], 0.0);
  EXPECT_DOUBLE_EQ(m.at("precision@1").get<double>(), expected.precision[0]) << m.dump();
  EXPECT_DOUBLE_EQ(m.at("precision@5").get<double>(), expected.precision[1]) << m.dump();
  EXPECT_DOUBLE_EQ(m.at("precision@10").get<double>(), expected.precision[2]) << m.dump();
  EXPECT_EQ(m.at("expressions").get<double>(), expected.count);

  // Two Gloo ranks, each evaluating half of the expressions, merge to the same numbers.
  RunTwoRanks(TrainCommand(dir + "/eval2", Plus(DataOverrides(synth + "/refexp_train.json", val,
                                                              synth + "/images", "refcoco"),
                                                {"run.kind=evaluate", "optim.batch_size=1",
                                                 "model.init_checkpoint=" + dir + "/run/checkpoints"})),
              dir + "/eval2");
  const auto merged = Events(dir + "/eval2", "eval");
  ASSERT_EQ(merged.size(), 1u);
  EXPECT_EQ(merged[0].at("metrics"), m);
}

}  // namespace
}  // namespace mdetr::testing
