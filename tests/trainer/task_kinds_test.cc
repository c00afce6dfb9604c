// `mdetr train` on the paper's other task kinds, with the tiny CPU model:
//  * PhraseCut-style segmentation: a detector trained first, then frozen (model.frozen_weights)
//    while only the mask head trains on polygon masks; the eval event has PhraseCut's metrics;
//  * GQA question answering on the real GQA questions of ../shared/data/gqa, CLEVR answers on
//    synthetic scenes;
//  * a RefCOCO-named validation set: the trainer's precision@1 equals RefExpEvaluator's over
//    predictions this test computes itself (model + inference post-processor), on one rank and
//    merged over two;
//  * several validation sets: each is reported, the second under its file stem, with the values
//    it has when evaluated alone; CLEVR accuracy per question kind and family, the families
//    named in the annotation file and resolved through the real CLEVR template files.
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
#include "tests/trainer/training_run.h"
#include "worker/inference/refexp_postprocess.h"
#include "worker/trainer/checkpoint.h"

namespace mdetr::testing {
namespace {

using nlohmann::json;

std::vector<json> Events(const std::string& out_dir, const std::string& type) {
  std::istringstream lines(ReadFile(out_dir + "/events.jsonl"));
  std::string line;
  std::vector<json> out;
  while (std::getline(lines, line)) {
    auto ev = json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (ev.is_object() && ev.value("type", "") == type) out.push_back(ev);
  }
  return out;
}

json ReadJson(const std::string& path) {
  std::ifstream in(path);
  return json::parse(in);
}

void WriteJson(const std::string& path, const json& j) { std::ofstream(path) << j.dump(); }

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

std::vector<std::string> DataOverrides(const std::string& train, const std::string& val,
                                       const std::string& images, const std::string& name) {
  return {"data.train=[{name: " + name + ", ann_file: " + train + ", images: " + images + "}]",
          "data.val=[{name: " + name + ", ann_file: " + val + ", images: " + images + "}]"};
}

// The mask head's group norms need hidden_dim a multiple of 128 (the reference's widths / 8 groups).
const std::vector<std::string> kMaskableTinyModel = {"model.hidden_dim=128", "model.nheads=8"};

std::vector<std::string> Plus(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

double MeanOf(const std::vector<json>& steps, const std::string& key, size_t from, size_t to) {
  double sum = 0;
  for (size_t i = from; i < to; ++i) sum += steps[i].at(key).get<double>();
  return sum / static_cast<double>(to - from);
}

// Runs `cmd` as the two ranks of one Gloo task on a free port (logs: <log_prefix>-rank<r>.log) and
// expects both to succeed.
void RunTwoRanks(const std::vector<std::string>& cmd, const std::string& log_prefix) {
  const int port = FreeLocalPort();
  std::vector<std::unique_ptr<ChildProcess>> procs;
  for (int r = 0; r < 2; ++r) {
    auto rank_cmd = cmd;
    rank_cmd.insert(rank_cmd.end(), {"--rank", std::to_string(r), "--world-size", "2", "--master-port",
                                     std::to_string(port)});
    procs.push_back(
        std::make_unique<ChildProcess>(rank_cmd, log_prefix + "-rank" + std::to_string(r) + ".log"));
  }
  for (int r = 0; r < 2; ++r) {
    ASSERT_EQ(procs[static_cast<size_t>(r)]->Wait(), 0)
        << ReadFile(log_prefix + "-rank" + std::to_string(r) + ".log");
  }
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

// CLEVR-style questions on the synthetic scenes: the first `count` image entries of the synthetic
// refexp file, `copies` times under new ids, answers cycling through yes/no, an attribute and a
// count. With `families`, each question names the CLEVR template it came from (the question
// generator's template_filename and question_family_index), a template whose last program node
// fits the answer.
struct ClevrTemplate {
  std::string file;
  int index;
  std::string last_node;
};

std::vector<ClevrTemplate> ReadClevrTemplates() {
  std::vector<ClevrTemplate> out;
  for (const auto& entry : std::filesystem::directory_iterator(SharedDataDir() + "/clevr")) {
    const json t = ReadJson(entry.path().string());
    for (size_t i = 0; i < t.size(); ++i) {
      out.push_back({entry.path().filename().string(), static_cast<int>(i), t[i]["nodes"].back()["type"]});
    }
  }
  return out;
}

// The question kinds of the MDETR paper's CLEVR table, by the template's last program node.
std::string PaperKind(const std::string& node) {
  if (node == "count" || node == "relate_filter_count" || node.find("_count") != std::string::npos)
    return "count";
  if (node == "exist" || node.find("_exist") != std::string::npos) return "exist";
  if (node == "equal_integer" || node == "less_than" || node == "greater_than") return "compare_number";
  if (node.rfind("query_", 0) == 0) return "query_attribute";
  if (node.rfind("equal_", 0) == 0) return "compare_attribute";
  return "?";
}

json ClevrQuestions(const std::string& synth_file, size_t count, int copies, bool families) {
  const json src = ReadJson(synth_file);
  const std::array<const char*, 4> answers = {"yes", "cube", "2", "no"};
  const auto templates = ReadClevrTemplates();
  json j = src;
  j["images"] = json::array();
  j["annotations"] = json::array();
  int64_t next_id = 0, next_ann = 0;
  size_t k = 0;
  for (int c = 0; c < copies; ++c) {
    for (size_t i = 0; i < count && i < src["images"].size(); ++i, ++k) {
      json im = src["images"][i];
      const int64_t old_id = im["id"];
      im["id"] = next_id;
      im["dataset_name"] = "clevr";
      const std::string answer = answers[k % answers.size()];
      im["answer"] = answer;
      if (families) {
        // Yes/no questions rotate over the exist and comparison templates, the others take a
        // query or count template; every k-th fitting template, so several families occur.
        std::vector<const ClevrTemplate*> fit;
        for (const auto& t : templates) {
          const std::string kind = PaperKind(t.last_node);
          const bool ok = answer == "2" ? kind == "count"
                          : answer == "cube"
                              ? kind == "query_attribute"
                              : kind == "exist" || kind == "compare_number" || kind == "compare_attribute";
          if (ok) fit.push_back(&t);
        }
        const ClevrTemplate* t = fit[(k * 7) % fit.size()];
        im["template_filename"] = t->file;
        im["question_family_index"] = t->index;
      }
      for (const auto& a : src["annotations"]) {
        if (a["image_id"].get<int64_t>() != old_id) continue;
        json b = a;
        b["id"] = next_ann++;
        b["image_id"] = next_id;
        j["annotations"].push_back(b);
      }
      j["images"].push_back(im);
      ++next_id;
    }
  }
  return j;
}

std::string ValEntry(const std::string& ann, const std::string& images, const std::string& name = "clevr") {
  return "{name: " + name + ", ann_file: " + ann + ", images: " + images + "}";
}

TEST(TaskKindsTest, EveryValidationSetIsReportedTheSecondUnderItsFileStem) {
  const std::string synth = FixedSizeSyntheticDataDir();
  const std::string dir = MakeTempDir("multival");
  const std::string first = dir + "/clevr_val.json", second = dir + "/refs_testA.json";
  WriteJson(first, ClevrQuestions(synth + "/refexp_val.json", 4, 1, false));
  WriteJson(second, ClevrQuestions(synth + "/refexp_val.json", 10, 1, false));
  // A third set of another kind, without answers: the QA model's boxes scored as RefCOCO.
  json refexp = ReadJson(synth + "/refexp_val.json");
  for (auto& im : refexp["images"]) im["dataset_name"] = "refcoco";
  const std::string third = dir + "/refs_testB.json";
  WriteJson(third, refexp);
  const std::string images = synth + "/images";
  const std::vector<std::string> model = {"model.qa_dataset=clevr", "run.kind=evaluate",
                                          "optim.batch_size=2"};

  ChildProcess both(TrainCommand(dir + "/both", Plus(model, {"data.val=[" + ValEntry(first, images) + ", " +
                                                             ValEntry(second, images) + ", " +
                                                             ValEntry(third, images, "refcoco") + "]"})),
                    dir + "/both.log");
  ASSERT_EQ(both.Wait(), 0) << ReadFile(dir + "/both.log");
  ChildProcess alone(
      TrainCommand(dir + "/alone", Plus(model, {"data.val=[" + ValEntry(second, images) + "]"})),
      dir + "/alone.log");
  ASSERT_EQ(alone.Wait(), 0) << ReadFile(dir + "/alone.log");

  const auto evals = Events(dir + "/both", "eval");
  ASSERT_EQ(evals.size(), 1u);
  const auto& m = evals[0].at("metrics");
  const auto alone_evals = Events(dir + "/alone", "eval");
  ASSERT_EQ(alone_evals.size(), 1u);
  const auto& a = alone_evals[0].at("metrics");

  // The first set keeps the plain names; the second's are prefixed and equal its own evaluation.
  EXPECT_EQ(m.at("questions").get<double>(), 4) << m.dump();
  EXPECT_EQ(a.at("questions").get<double>(), 10) << a.dump();
  ASSERT_TRUE(a.contains("accuracy") && a.contains("accuracy_binary")) << a.dump();
  size_t compared = 0;
  for (const auto& [key, value] : a.items()) {
    ASSERT_TRUE(m.contains("refs_testA/" + key)) << "refs_testA/" << key << " missing in " << m.dump();
    EXPECT_EQ(m.at("refs_testA/" + key).get<double>(), value.get<double>()) << key;
    ++compared;
  }
  for (const char* key : {"precision@1", "precision@5", "precision@10"}) {
    EXPECT_TRUE(m.contains(std::string("refs_testB/") + key)) << key << " missing in " << m.dump();
  }
  EXPECT_EQ(m.at("refs_testB/expressions").get<double>(), static_cast<double>(refexp["images"].size()));
  // The first set's metrics have the same names as the second's, unprefixed; the third adds its four.
  EXPECT_EQ(m.size(), 2 * compared + 4) << m.dump();

  // Two Gloo ranks, each evaluating half of every set, merge to the same numbers, set by set.
  RunTwoRanks(TrainCommand(dir + "/both2", Plus(model, {"data.val=[" + ValEntry(first, images) + ", " +
                                                        ValEntry(second, images) + ", " +
                                                        ValEntry(third, images, "refcoco") + "]"})),
              dir + "/both2");
  const auto merged = Events(dir + "/both2", "eval");
  ASSERT_EQ(merged.size(), 1u);
  EXPECT_EQ(merged[0].at("metrics"), m);

  // The final event and the TensorBoard scalars carry every set too.
  const auto finished = Events(dir + "/both", "finished");
  ASSERT_EQ(finished.size(), 1u);
  EXPECT_TRUE(finished[0].at("metrics").contains("refs_testA/accuracy"));
  bool tensorboard_has_prefixed = false;
  for (const auto& entry : std::filesystem::directory_iterator(dir + "/both/tensorboard")) {
    tensorboard_has_prefixed |=
        ReadFile(entry.path().string()).find("eval/refs_testA/accuracy") != std::string::npos;
  }
  EXPECT_TRUE(tensorboard_has_prefixed);
}

TEST(TaskKindsTest, ABadSecondValidationSetIsNamedAsDataVal1) {
  const std::string synth = FixedSizeSyntheticDataDir();
  const std::string dir = MakeTempDir("multival-bad");
  const std::string first = dir + "/val.json", second = dir + "/testB.json";
  WriteJson(first, ClevrQuestions(synth + "/refexp_val.json", 4, 1, false));
  json bad = ClevrQuestions(synth + "/refexp_val.json", 4, 1, false);
  bad["images"][2]["answer"] = "maybe";
  WriteJson(second, bad);
  const std::string images = synth + "/images";
  ChildProcess run(TrainCommand(dir + "/run", {"model.qa_dataset=clevr", "run.kind=evaluate",
                                               "data.val=[" + ValEntry(first, images) + ", " +
                                                   ValEntry(second, images) + "]"}),
                   dir + "/run.log");
  EXPECT_EQ(run.Wait(), 2);
  const std::string log = ReadFile(dir + "/run.log") + ReadFile(dir + "/run/events.jsonl");
  EXPECT_NE(log.find("data.val[1]"), std::string::npos) << log;
  EXPECT_EQ(log.find("data.val[0]"), std::string::npos) << log;
  EXPECT_NE(log.find("images[2]"), std::string::npos) << log;
}

TEST(TaskKindsTest, ClevrAccuracyPerQuestionKindAndFamilyCountsEveryQuestionOnce) {
  const std::string synth = FixedSizeSyntheticDataDir();
  const std::string dir = MakeTempDir("clevr-kinds");
  const json questions = ClevrQuestions(synth + "/refexp_val.json", 10, 3, true);
  const std::string ann = dir + "/clevr_val.json";
  WriteJson(ann, questions);
  std::filesystem::create_directory_symlink(SharedDataDir() + "/clevr", dir + "/CLEVR_1.0_templates");

  // What the file says, counted here from its fields and the template files.
  std::map<std::string, std::string> node_of;
  for (const auto& t : ReadClevrTemplates()) node_of[t.file + "#" + std::to_string(t.index)] = t.last_node;
  std::map<std::string, double> per_kind, per_family;
  for (const auto& im : questions["images"]) {
    const std::string file = im["template_filename"];
    const int index = im["question_family_index"];
    per_kind[PaperKind(node_of.at(file + "#" + std::to_string(index)))] += 1;
    per_family[file.substr(0, file.size() - 5) + "/" + std::to_string(index)] += 1;
  }
  ASSERT_EQ(per_kind.size(), 5u);  // every kind of the paper's table occurs

  ChildProcess run(
      TrainCommand(dir + "/run", {"model.qa_dataset=clevr", "run.kind=evaluate", "optim.batch_size=3",
                                  "data.val=[" + ValEntry(ann, synth + "/images") + "]"}),
      dir + "/run.log");
  ASSERT_EQ(run.Wait(), 0) << ReadFile(dir + "/run.log");
  const auto evals = Events(dir + "/run", "eval");
  ASSERT_EQ(evals.size(), 1u);
  const auto& m = evals[0].at("metrics");
  const double total = m.at("questions").get<double>();
  EXPECT_EQ(total, static_cast<double>(questions["images"].size()));

  double kind_sum = 0, weighted_accuracy = 0;
  for (const auto& [kind, n] : per_kind) {
    ASSERT_TRUE(m.contains("questions_kind/" + kind)) << kind << " missing in " << m.dump();
    EXPECT_EQ(m.at("questions_kind/" + kind).get<double>(), n) << kind;
    const double acc = m.at("accuracy_kind/" + kind).get<double>();
    EXPECT_GE(acc, 0.0);
    EXPECT_LE(acc, 1.0);
    kind_sum += m.at("questions_kind/" + kind).get<double>();
    weighted_accuracy += acc * n;
  }
  EXPECT_EQ(kind_sum, total);
  // The kinds split the total accuracy: their question-weighted mean is it.
  EXPECT_NEAR(weighted_accuracy / total, m.at("accuracy").get<double>(), 1e-12);

  double family_sum = 0;
  size_t families = 0;
  for (const auto& [key, value] : m.items()) {
    if (key.rfind("questions_family/", 0) != 0) continue;
    const std::string family = key.substr(std::string("questions_family/").size());
    ASSERT_TRUE(per_family.count(family)) << family;
    EXPECT_EQ(value.get<double>(), per_family.at(family)) << family;
    EXPECT_TRUE(m.contains("accuracy_family/" + family)) << family;
    family_sum += value.get<double>();
    ++families;
  }
  EXPECT_EQ(families, per_family.size());
  EXPECT_EQ(family_sum, total);
}

TEST(TaskKindsTest, ClevrWithoutFamiliesReportsTheKindsItsAnswersTell) {
  const std::string synth = FixedSizeSyntheticDataDir();
  const std::string dir = MakeTempDir("clevr-answer-kinds");
  const json questions = ClevrQuestions(synth + "/refexp_val.json", 10, 1, false);
  const std::string ann = dir + "/clevr_val.json";
  WriteJson(ann, questions);
  std::map<std::string, double> expected;  // from the answers: counts, attributes, yes/no
  for (const auto& im : questions["images"]) {
    const std::string answer = im["answer"];
    expected[answer == "2" ? "count" : answer == "cube" ? "query_attribute" : "yes_no"] += 1;
  }
  ChildProcess run(TrainCommand(dir + "/run", {"model.qa_dataset=clevr", "run.kind=evaluate",
                                               "data.val=[" + ValEntry(ann, synth + "/images") + "]"}),
                   dir + "/run.log");
  ASSERT_EQ(run.Wait(), 0) << ReadFile(dir + "/run.log");
  const auto evals = Events(dir + "/run", "eval");
  ASSERT_EQ(evals.size(), 1u);
  const auto& m = evals[0].at("metrics");
  for (const auto& [kind, n] : expected) {
    ASSERT_TRUE(m.contains("questions_kind/" + kind)) << kind << " missing in " << m.dump();
    EXPECT_EQ(m.at("questions_kind/" + kind).get<double>(), n) << kind;
  }
  for (const auto& [key, value] : m.items()) EXPECT_NE(key.rfind("accuracy_family/", 0), 0u) << key;
}

TEST(TaskKindsTest, AnUnknownClevrFamilyIsNamedWithItsRecordAndTheTemplateFolder) {
  const std::string synth = FixedSizeSyntheticDataDir();
  const std::string dir = MakeTempDir("clevr-bad-family");
  json questions = ClevrQuestions(synth + "/refexp_val.json", 6, 1, true);
  questions["images"][4]["question_family_index"] = 40;  // no file has 41 templates
  const std::string ann = dir + "/clevr_val.json";
  WriteJson(ann, questions);
  const std::vector<std::string> args = {"model.qa_dataset=clevr", "run.kind=evaluate",
                                         "data.val=[" + ValEntry(ann, synth + "/images") + "]"};
  // Without the templates folder: the folder it looked for is named.
  ChildProcess missing(TrainCommand(dir + "/missing", args), dir + "/missing.log");
  EXPECT_EQ(missing.Wait(), 2);
  std::string log = ReadFile(dir + "/missing.log");
  EXPECT_NE(log.find("CLEVR_1.0_templates"), std::string::npos) << log;
  EXPECT_NE(log.find("data.val[0]"), std::string::npos) << log;

  std::filesystem::create_directory_symlink(SharedDataDir() + "/clevr", dir + "/CLEVR_1.0_templates");
  ChildProcess unknown(TrainCommand(dir + "/unknown", args), dir + "/unknown.log");
  EXPECT_EQ(unknown.Wait(), 2);
  log = ReadFile(dir + "/unknown.log");
  EXPECT_NE(log.find("images[4]"), std::string::npos) << log;
  EXPECT_NE(log.find("40"), std::string::npos) << log;
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
