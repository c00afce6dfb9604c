// GQA and CLEVR answer accuracies against MDETR's QACriterionGQA / QACriterionClevr on the same
// predictions (tests/data/eval/qa.txt), and CLEVR accuracy by the paper's question kinds, the
// families read from the real template files (../shared/data/clevr).
#include <gtest/gtest.h>

#include "datasets/eval/clevr_templates.h"
#include "datasets/eval/qa_accuracy.h"
#include "tests/eval/golden_text.h"
#include "tests/support/test_paths.h"

namespace mdetr::eval {
namespace {

// The reference's metrics are float32 tensors (integer counts divided in float32): our ratios,
// rounded to float32, must be those very values.
void ExpectSameFloat32(double ours, double reference, const std::string& what) {
  EXPECT_EQ(static_cast<float>(ours), static_cast<float>(reference)) << what;
}

TEST(QaParityTest, GqaAccuraciesMatchTheReferenceCriterion) {
  const std::vector<golden::Row> rows = golden::Load("qa.txt");
  QaAccuracy rank0 = MakeGqaAccuracy(), rank1 = MakeGqaAccuracy();
  int k = 0;
  for (const golden::Row* r : golden::Select(rows, {"gqa"})) {
    GqaTruth truth{static_cast<int>(r->Int(1)), static_cast<int>(r->Int(2))};
    GqaPrediction p;
    p.predicted_type = static_cast<int>(r->Int(3));
    for (int h = 0; h < 5; ++h) p.head_answers[h] = static_cast<int>(r->Int(4 + h));
    ASSERT_TRUE(AddGqa((k++ % 2) ? &rank1 : &rank0, truth, p).ok());
  }
  ASSERT_TRUE(rank0.MergeState(rank1.SerializeState()).ok());
  const QaSummary s = rank0.Summarize();
  const auto want = golden::Select(rows, {"gqa_metrics"});
  ASSERT_EQ(want.size(), 1u);
  ExpectSameFloat32(s.answer_type_accuracy, want[0]->Num(1), "answer type");
  for (size_t t = 0; t < 5; ++t)
    ExpectSameFloat32(s.per_type[t].second.head_accuracy(), want[0]->Num(2 + t), s.per_type[t].first);
  ExpectSameFloat32(s.total_accuracy, want[0]->Num(7), "total");
  EXPECT_EQ(s.questions, k);
}

TEST(QaParityTest, ClevrAccuraciesMatchTheReferenceCriterionAndKindsTheTemplates) {
  auto templates = ClevrTemplates::Load(testing::SharedDataDir() + "/clevr");
  ASSERT_TRUE(templates.ok()) << templates.status();
  EXPECT_EQ(templates->families().size(), 90u);  // CLEVR's 90 question families
  const std::vector<golden::Row> rows = golden::Load("qa.txt");
  QaAccuracy acc = MakeClevrAccuracy();
  for (const golden::Row* r : golden::Select(rows, {"clevr"})) {
    ClevrTruth truth{static_cast<int>(r->Int(1)), static_cast<int>(r->Int(2))};
    ClevrPrediction p{static_cast<int>(r->Int(3)), r->Int(4) != 0, static_cast<int>(r->Int(5)),
                      static_cast<int>(r->Int(6))};
    const ClevrFamily* family = templates->Find(r->fields[7], static_cast<int>(r->Int(8)));
    ASSERT_NE(family, nullptr) << r->fields[7] << "/" << r->fields[8];
    ASSERT_TRUE(AddClevr(&acc, truth, p, {"kind:" + family->kind, "family:" + family->name()}).ok());
  }
  const QaSummary s = acc.Summarize();
  const auto want = golden::Select(rows, {"clevr_metrics"});
  ASSERT_EQ(want.size(), 1u);
  ExpectSameFloat32(s.answer_type_accuracy, want[0]->Num(1), "answer type");
  for (size_t t = 0; t < 3; ++t)
    ExpectSameFloat32(s.per_type[t].second.head_accuracy(), want[0]->Num(2 + t), s.per_type[t].first);
  ExpectSameFloat32(s.total_accuracy, want[0]->Num(5), "total");
  const auto kinds = golden::Select(rows, {"clevr_kind"});
  ASSERT_EQ(kinds.size(), 5u);
  for (const golden::Row* kind : kinds) {
    const auto it = s.per_group.find("kind:" + kind->fields[1]);
    ASSERT_NE(it, s.per_group.end()) << kind->fields[1];
    EXPECT_EQ(it->second.questions, kind->Int(2));
    EXPECT_DOUBLE_EQ(it->second.accuracy(), kind->Num(3)) << kind->fields[1];
  }
}

TEST(QaAccuracyTest, EncodesClevrAnswersAsTheReference) {
  EXPECT_EQ(ClevrTruthFromAnswer("yes")->type, 0);
  EXPECT_EQ(ClevrTruthFromAnswer("no")->answer, 0);
  EXPECT_EQ(ClevrTruthFromAnswer("cylinder")->answer, 12);
  EXPECT_EQ(ClevrTruthFromAnswer("7")->type, 2);
  EXPECT_EQ(ClevrTruthFromAnswer("seven").status().code(), StatusCode::kInvalidArgument);
}

TEST(QaAccuracyTest, RejectsOutOfRangeTypesAndForeignStates) {
  QaAccuracy gqa = MakeGqaAccuracy();
  EXPECT_EQ(AddGqa(&gqa, {7, 0}, {}).code(), StatusCode::kInvalidArgument);
  QaAccuracy clevr = MakeClevrAccuracy();
  EXPECT_FALSE(gqa.MergeState(clevr.SerializeState()).ok());
  EXPECT_EQ(gqa.MergeState("xx").code(), StatusCode::kDataLoss);
}

}  // namespace
}  // namespace mdetr::eval
