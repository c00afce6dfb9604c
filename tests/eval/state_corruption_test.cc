// Every evaluator's MergeState on damaged bytes (truncations at every length of a small state, and
// single flipped bytes) returns an error or merges something, but never crashes or hangs; an
// intact state always merges.
#include <functional>
#include <random>

#include <gtest/gtest.h>

#include "datasets/annotations/coco_dataset.h"
#include "datasets/eval/coco_evaluator.h"
#include "datasets/eval/lvis_evaluator.h"
#include "datasets/eval/phrasecut_evaluator.h"
#include "datasets/eval/qa_accuracy.h"
#include "datasets/eval/refexp_evaluator.h"
#include "tests/support/test_paths.h"

namespace mdetr::eval {
namespace {

void Damage(const std::string& state, const std::function<Status(const std::string&)>& merge) {
  ASSERT_TRUE(merge(state).ok());
  for (size_t cut = 0; cut < state.size(); ++cut)
    EXPECT_FALSE(merge(state.substr(0, cut)).ok()) << "cut " << cut;
  std::mt19937 rng(7);
  for (int i = 0; i < 300; ++i) {
    std::string bad = state;
    bad[rng() % bad.size()] ^= static_cast<char>(1 + rng() % 255);
    (void)merge(bad);  // may be accepted (a flipped score is still a score); must not crash
  }
}

TEST(StateCorruptionTest, DamagedStatesAreRejectedWithoutCrashing) {
  const std::string dir = testing::SourceDir() + "/tests/data/eval/";
  auto coco = annotations::ReadCocoJson(dir + "coco_synthetic_gt.json");
  ASSERT_TRUE(coco.ok()) << coco.status();
  auto lvis_gt = annotations::ReadCocoJson(testing::SharedDataDir() + "/lvis/lvis_val_100.json");
  ASSERT_TRUE(lvis_gt.ok()) << lvis_gt.status();
  auto refexp_gt = annotations::ReadCocoJson(dir + "refcoco_gt.json");
  ASSERT_TRUE(refexp_gt.ok()) << refexp_gt.status();
  auto tasks =
      ReadPhraseCutTasks(dir + "phrasecut_refer_miniv.json", dir + "phrasecut_image_data_split.json");
  ASSERT_TRUE(tasks.ok()) << tasks.status();

  auto dets = DetectionsFromQueries({{10, 10, 60, 80}, {0, 0, 5, 5}}, {0.9f, 0.2f},
                                    {coco->categories()[0].id, coco->categories()[1].id});
  ASSERT_TRUE(dets.ok());
  CocoBoxEvaluator c(*coco);
  ASSERT_TRUE(c.AddImage(coco->images()[0].id, *dets).ok());
  Damage(c.SerializeState(), [&](const std::string& s) { return CocoBoxEvaluator(*coco).MergeState(s); });

  auto l = LvisEvaluator::Create(*lvis_gt);
  ASSERT_TRUE(l.ok());
  Detection d;
  d.category_id = lvis_gt->categories()[0].id;
  d.box = {1, 2, 30, 40};
  d.score = 0.5;
  ASSERT_TRUE(l->AddImage(lvis_gt->images()[0].id, {d, d}).ok());
  Damage(l->SerializeState(),
         [&](const std::string& s) { return LvisEvaluator::Create(*lvis_gt)->MergeState(s); });

  RefExpEvaluator r(*refexp_gt);
  ASSERT_TRUE(r.AddImage(refexp_gt->images()[0].id, {0.5f, 0.25f}, {{0, 0, 10, 10}, {1, 1, 2, 2}}).ok());
  Damage(r.SerializeState(), [&](const std::string& s) { return RefExpEvaluator(*refexp_gt).MergeState(s); });

  PhraseCutEvaluator p(*tasks, true);
  PhraseCutPrediction pred;
  pred.boxes = {{1, 1, 5, 5}};
  pred.has_mask = true;
  pred.mask = BinaryMask(tasks->front().width, tasks->front().height);
  ASSERT_TRUE(p.Add(tasks->front().task_id, pred).ok());
  Damage(p.SerializeState(),
         [&](const std::string& s) { return PhraseCutEvaluator(*tasks, true).MergeState(s); });

  QaAccuracy q = MakeClevrAccuracy();
  ASSERT_TRUE(AddClevr(&q, {0, 1}, {0, true, 0, 0}, {"kind:exist"}).ok());
  Damage(q.SerializeState(), [&](const std::string& s) {
    QaAccuracy fresh = MakeClevrAccuracy();
    return fresh.MergeState(s);
  });
}

TEST(DetectionsFromQueriesTest, WidthsAreFloat32DifferencesAndSizesMustAgree) {
  // 0.1f and 1e8f: the float32 difference differs from the double one.
  auto d = DetectionsFromQueries({{0.1f, 2.0f, 1e8f, 3.5f}}, {0.75f}, {4});
  ASSERT_TRUE(d.ok());
  EXPECT_EQ((*d)[0].box.w, static_cast<double>(1e8f - 0.1f));
  EXPECT_NE((*d)[0].box.w, static_cast<double>(1e8f) - static_cast<double>(0.1f));
  EXPECT_EQ((*d)[0].box.h, 1.5);
  EXPECT_EQ((*d)[0].category_id, 4);
  EXPECT_EQ(DetectionsFromQueries({{0, 0, 1, 1}}, {}, {1}).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace mdetr::eval
