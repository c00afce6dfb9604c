// Answers from QA outputs against the reference's own evaluation scripts (scripts/eval_gqa.py,
// scripts/eval_clevr.py, run by tools/parity/model/make_qa_goldens.py): on the tiny model's outputs
// and on designed outputs that predict every answer type (and a CLEVR yes/no logit of exactly 0),
// GQA through an answer vocabulary in the reference's file format (tests/data/model/qa).
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <set>

#include "datasets/eval/qa_accuracy.h"
#include "tests/inference/qa_goldens.h"
#include "tests/support/test_paths.h"
#include "worker/inference/qa_postprocess.h"

namespace mdetr::inference {
namespace {

using testing::QaGolden;
using testing::QaGoldenString;
using testing::QaReferenceAnswers;

const std::string kVocabDir = "tests/data/model/qa";

void ExpectReferenceAnswers(const std::string& prefix, const std::vector<QaAnswer>& ours) {
  for (size_t q = 0; q < ours.size(); ++q) {
    EXPECT_EQ(ours[q].answer, QaGoldenString(prefix + "answer." + std::to_string(q))) << prefix << q;
    const double want = QaGolden(prefix + "answer_confidence")[static_cast<int64_t>(q)].item<double>();
    EXPECT_NEAR(ours[q].confidence, want, 1e-6 * want) << prefix << q;
  }
}

TEST(QaPostprocessTest, GqaAnswersAreThoseOfTheReferenceScript) {
  auto vocab = GqaAnswerVocabulary::FromFolder(kVocabDir);
  ASSERT_TRUE(vocab.ok()) << vocab.status();
  for (const std::string prefix : {"gqa.", "gqa.designed.", "gqa_all.", "gqa_all.designed."}) {
    auto answers = GqaAnswers(QaReferenceAnswers(prefix + "out."), *vocab);
    ASSERT_TRUE(answers.ok()) << answers.status();
    ASSERT_EQ(answers->size(), prefix.find("designed") == std::string::npos ? 6u : 12u);
    ExpectReferenceAnswers(prefix, *answers);
  }
  // The designed outputs predict every type.
  auto designed = GqaAnswers(QaReferenceAnswers("gqa.designed.out."), *vocab);
  std::set<int> types;
  for (const auto& a : *designed) types.insert(a.type);
  EXPECT_EQ(types.size(), 5u);
}

TEST(QaPostprocessTest, ClevrAnswersAreThoseOfTheReferenceScript) {
  for (const std::string prefix : {"clevr.", "clevr.designed."}) {
    auto answers = ClevrAnswers(QaReferenceAnswers(prefix + "out."));
    ASSERT_TRUE(answers.ok()) << answers.status();
    ExpectReferenceAnswers(prefix, *answers);
  }
  // Question 0's yes/no logit is exactly 0: sigmoid 0.5 is not > 0.5, so "no".
  auto designed = ClevrAnswers(QaReferenceAnswers("clevr.designed.out."));
  ASSERT_EQ(QaGolden("clevr.designed.out.pred_answer_binary")[0].item<float>(), 0.0f);
  EXPECT_EQ((*designed)[0].answer, "no");
}

// The argmaxes feed datasets/eval/qa_accuracy: scored against the reference's answer strings as
// ground truth, every question is right; with two answers changed, those two are wrong.
TEST(QaPostprocessTest, PredictionsScoredAgainstTheReferenceAnswersAreRight) {
  auto vocab = GqaAnswerVocabulary::FromFolder(kVocabDir);
  ASSERT_TRUE(vocab.ok()) << vocab.status();
  const auto out = QaReferenceAnswers("gqa.designed.out.");
  auto predictions = GqaPredictions(out);
  ASSERT_TRUE(predictions.ok()) << predictions.status();
  const auto types = out.at("answer_type").argmax(-1);
  eval::QaAccuracy gqa = eval::MakeGqaAccuracy();
  for (size_t q = 0; q < predictions->size(); ++q) {
    const int type = static_cast<int>(types[static_cast<int64_t>(q)].item<int64_t>());
    const auto& names = vocab->type_answers(type);
    const std::string ref = QaGoldenString("gqa.designed.answer." + std::to_string(q));
    int id = static_cast<int>(std::find(names.begin(), names.end(), ref) - names.begin());
    ASSERT_LT(id, static_cast<int>(names.size())) << ref;
    if (q == 3 || q == 8) id = (id + 1) % static_cast<int>(names.size());
    ASSERT_TRUE(eval::AddGqa(&gqa, {type, id}, (*predictions)[q]).ok());
  }
  EXPECT_DOUBLE_EQ(gqa.Summarize().total_accuracy, 10.0 / 12.0);

  const auto clevr_out = QaReferenceAnswers("clevr.designed.out.");
  auto clevr_predictions = ClevrPredictions(clevr_out);
  ASSERT_TRUE(clevr_predictions.ok()) << clevr_predictions.status();
  eval::QaAccuracy clevr = eval::MakeClevrAccuracy();
  for (size_t q = 0; q < clevr_predictions->size(); ++q) {
    auto truth = eval::ClevrTruthFromAnswer(QaGoldenString("clevr.designed.answer." + std::to_string(q)));
    ASSERT_TRUE(truth.ok()) << truth.status();
    ASSERT_TRUE(eval::AddClevr(&clevr, *truth, (*clevr_predictions)[q]).ok());
  }
  EXPECT_DOUBLE_EQ(clevr.Summarize().total_accuracy, 1.0);
}

void Write(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

TEST(QaPostprocessTest, BadVocabulariesAreReportedWithTheFileAndKey) {
  const std::string dir = testing::MakeTempDir("qa_vocab");
  EXPECT_EQ(GqaAnswerVocabulary::FromFolder(dir).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(GqaAnswerVocabulary::Load(dir + "/absent.json", "").status().code(), StatusCode::kNotFound);

  Write(dir + "/broken.json", "{\"answer_obj\": ");
  auto r = GqaAnswerVocabulary::Load(dir + "/broken.json", "");
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("broken.json"), std::string::npos) << r.status();

  const std::string others = R"("answer_rel": {"on": 0}, "answer_global": {"x": 0}, "answer_cat": {"y": 0})";
  Write(dir + "/no_attr.json", R"({"answer_obj": {"yes": 0}, )" + others + "}");
  r = GqaAnswerVocabulary::Load(dir + "/no_attr.json", "");
  EXPECT_NE(r.status().message().find("answer_attr"), std::string::npos) << r.status();

  Write(dir + "/twice.json", R"({"answer_obj": {"yes": 0, "no": 0}, "answer_attr": {"a": 0}, )" + others + "}");
  r = GqaAnswerVocabulary::Load(dir + "/twice.json", "");
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("answer_obj"), std::string::npos) << r.status();

  Write(dir + "/gap.json", R"({"yes": 0, "no": 2})");
  r = GqaAnswerVocabulary::Load("", dir + "/gap.json");
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("\"no\""), std::string::npos) << r.status();

  // A vocabulary smaller than the head: the predicted id has no answer.
  Write(dir + "/small.json", R"({"yes": 0, "no": 1})");
  auto small = GqaAnswerVocabulary::Load("", dir + "/small.json");
  ASSERT_TRUE(small.ok()) << small.status();
  auto answers = GqaAnswers(QaReferenceAnswers("gqa_all.designed.out."), *small);
  EXPECT_EQ(answers.status().code(), StatusCode::kOutOfRange);
  EXPECT_NE(answers.status().message().find("small.json"), std::string::npos) << answers.status();
}

TEST(QaPostprocessTest, MissingHeadsAreErrors) {
  auto out = QaReferenceAnswers("clevr.designed.out.");
  out.erase("answer_reg");
  auto r = ClevrAnswers(out);
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("answer_reg"), std::string::npos) << r.status();
  EXPECT_FALSE(ClevrPredictions(out).ok());
  auto vocab = GqaAnswerVocabulary::FromFolder(kVocabDir);
  ASSERT_TRUE(vocab.ok());
  EXPECT_FALSE(GqaAnswers(out, *vocab).ok());  // CLEVR outputs are no GQA outputs
  EXPECT_FALSE(GqaPredictions({}).ok());
}

}  // namespace
}  // namespace mdetr::inference
