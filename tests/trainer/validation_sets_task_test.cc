// `mdetr train` with several validation sets: each is reported, the second under its file stem,
// with the values it has when evaluated alone; CLEVR accuracy per question kind and family, the
// families named in the annotation file and resolved through the real CLEVR template files.
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/support/child_process.h"
#include "tests/support/test_paths.h"
#include "tests/trainer/task_run_helpers.h"
#include "tests/trainer/training_run.h"

namespace mdetr::testing {
namespace {

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

// Evaluates the untrained CLEVR model on `questions` (written to <dir>/clevr_val.json) and returns
// the metrics of its one eval event; `templates`: the real CLEVR template files beside the file.
json EvaluateClevrQuestions(const std::string& dir, const json& questions, bool templates,
                            const std::vector<std::string>& extra = {}) {
  const std::string ann = dir + "/clevr_val.json";
  WriteJson(ann, questions);
  if (templates) {
    std::filesystem::create_directory_symlink(SharedDataDir() + "/clevr", dir + "/CLEVR_1.0_templates");
  }
  ChildProcess run(
      TrainCommand(dir + "/run",
                   Plus({"model.qa_dataset=clevr", "run.kind=evaluate",
                         "data.val=[" + ValEntry(ann, FixedSizeSyntheticDataDir() + "/images") + "]"},
                        extra)),
      dir + "/run.log");
  EXPECT_EQ(run.Wait(), 0) << ReadFile(dir + "/run.log");
  const auto evals = Events(dir + "/run", "eval");
  EXPECT_EQ(evals.size(), 1u);
  return evals.empty() ? json::object() : evals[0].at("metrics");
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

  const json m = EvaluateClevrQuestions(dir, questions, /*templates=*/true, {"optim.batch_size=3"});
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
  std::map<std::string, double> expected;  // from the answers: counts, attributes, yes/no
  for (const auto& im : questions["images"]) {
    const std::string answer = im["answer"];
    expected[answer == "2" ? "count" : answer == "cube" ? "query_attribute" : "yes_no"] += 1;
  }
  const json m = EvaluateClevrQuestions(dir, questions, /*templates=*/false);
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

}  // namespace
}  // namespace mdetr::testing
