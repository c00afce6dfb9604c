// PhraseCut box and mask IoU against the reference's evaluator (tests/data/eval/phrasecut.txt),
// and the polygon filling against Pillow's ImageDraw.polygon (tests/data/eval/polygon_raster.txt).
#include <map>

#include <gtest/gtest.h>

#include "datasets/eval/phrasecut_evaluator.h"
#include "datasets/eval/polygon_raster.h"
#include "tests/eval/golden_text.h"
#include "tests/support/test_paths.h"

namespace mdetr::eval {
namespace {

BinaryMask MaskFromRows(const golden::Row& r) {
  const int h = static_cast<int>(r.fields.size() - 1);
  const int w = static_cast<int>(r.fields.at(1).size());
  BinaryMask m(w, h);
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) m.pixels[static_cast<size_t>(y) * w + x] = r.fields[y + 1][x] == '1' ? 1 : 0;
  }
  return m;
}

TEST(PolygonRasterTest, FillsTheSamePixelsAsPillow) {
  const std::vector<golden::Row> rows = golden::Load("polygon_raster.txt");
  int checked = 0;
  for (size_t i = 0; i + 1 < rows.size(); ++i) {
    if (rows[i].key() != "poly") continue;
    const golden::Row& poly = rows[i];
    const BinaryMask want = MaskFromRows(rows[i + 1]);
    std::vector<IntPoint> points;
    for (size_t k = 3; k + 1 < poly.fields.size(); k += 2) {
      points.push_back({static_cast<int>(poly.Int(k)), static_cast<int>(poly.Int(k + 1))});
    }
    BinaryMask got(static_cast<int>(poly.Int(1)), static_cast<int>(poly.Int(2)));
    FillPolygon(points, &got);
    ASSERT_EQ(got.width, want.width);
    ASSERT_EQ(got.height, want.height);
    int differ = 0;
    for (size_t p = 0; p < got.pixels.size(); ++p) differ += got.pixels[p] != want.pixels[p] ? 1 : 0;
    EXPECT_EQ(differ, 0) << "polygon " << checked << " (line " << i << ")";
    ++checked;
  }
  EXPECT_GE(checked, 100);
}

TEST(PhraseCutParityTest, BoxAndMaskIouMatchTheReference) {
  const std::string dir = testing::SourceDir() + "/tests/data/eval/";
  auto tasks =
      ReadPhraseCutTasks(dir + "phrasecut_refer_miniv.json", dir + "phrasecut_image_data_split.json");
  ASSERT_TRUE(tasks.ok()) << tasks.status();
  const std::vector<golden::Row> rows = golden::Load("phrasecut.txt");
  std::map<std::string, std::pair<double, double>> want_task;
  for (const golden::Row* r : golden::Select(rows, {"task_iou"}))
    want_task[r->fields[1]] = {r->Num(2), r->Num(3)};

  PhraseCutEvaluator rank0(*tasks, true), rank1(*tasks, true);
  int k = 0;
  for (size_t i = 0; i + 1 < rows.size(); ++i) {
    if (rows[i].key() != "pred") continue;
    const golden::Row& r = rows[i];
    PhraseCutPrediction p;
    const long long n = r.Int(2);
    for (long long b = 0; b < n; ++b)
      p.boxes.push_back({r.Num(3 + 4 * b), r.Num(4 + 4 * b), r.Num(5 + 4 * b), r.Num(6 + 4 * b)});
    p.has_mask = true;
    p.mask = MaskFromRows(rows[i + 1]);
    const std::string& task_id = r.fields[1];
    const auto& task = *std::find_if(tasks->begin(), tasks->end(),
                                     [&](const PhraseCutTask& t) { return t.task_id == task_id; });
    EXPECT_NEAR(PhraseCutBoxIou(p.boxes, task.boxes), want_task.at(task_id).first, 1e-12) << task_id;
    EXPECT_NEAR(PolygonMaskOverlap(task.polygons, p.mask).iou, want_task.at(task_id).second, 1e-12)
        << task_id;
    ASSERT_TRUE(((k++ % 2) ? rank1 : rank0).Add(task_id, p).ok());
  }
  ASSERT_TRUE(rank0.MergeState(rank1.SerializeState()).ok());
  const PhraseCutSummary s = rank0.Summarize();
  const auto result = golden::Select(rows, {"result"});
  ASSERT_EQ(result.size(), 1u);
  const std::vector<double> want = result[0]->Nums(1);
  ASSERT_EQ(want.size(), 15u);
  EXPECT_NEAR(s.mean_box_iou, want[0], 1e-9);
  for (size_t t = 0; t < 5; ++t) EXPECT_DOUBLE_EQ(s.box_precision[t], want[1 + t]) << "box acc " << t;
  EXPECT_NEAR(s.mean_mask_iou, want[6], 1e-9);
  EXPECT_NEAR(s.cum_mask_iou, want[7], 1e-12);
  for (size_t t = 0; t < 5; ++t) EXPECT_DOUBLE_EQ(s.mask_precision[t], want[8 + t]) << "mask acc " << t;
  EXPECT_EQ(s.tasks_evaluated, static_cast<int64_t>(want[13]));
  EXPECT_EQ(s.tasks_total, static_cast<int64_t>(want[14]));
}

TEST(PhraseCutEvaluatorTest, RejectsUnknownTasksAndMissingMasks) {
  const std::string dir = testing::SourceDir() + "/tests/data/eval/";
  auto tasks =
      ReadPhraseCutTasks(dir + "phrasecut_refer_miniv.json", dir + "phrasecut_image_data_split.json");
  ASSERT_TRUE(tasks.ok()) << tasks.status();
  PhraseCutEvaluator e(*tasks, true);
  EXPECT_EQ(e.Add("no-such-task", {}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(e.Add(tasks->front().task_id, {}).code(), StatusCode::kInvalidArgument);  // no mask
  auto missing = ReadPhraseCutTasks(dir + "nope.json", dir + "phrasecut_image_data_split.json");
  EXPECT_EQ(missing.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(missing.status().message().find("nope.json"), std::string::npos);
}

}  // namespace
}  // namespace mdetr::eval
