#include "worker/trainer/evaluation.h"

#include <algorithm>
#include <set>

#include <nlohmann/json.hpp>

#include "datasets/eval/phrase_recall.h"
#include "datasets/eval/phrasecut_evaluator.h"
#include "datasets/eval/qa_accuracy.h"
#include "datasets/eval/refexp_evaluator.h"
#include "model/text/positive_map.h"
#include "worker/inference/qa_postprocess.h"
#include "worker/inference/refexp_postprocess.h"
#include "worker/inference/segm_postprocess.h"

namespace mdetr::trainer {
namespace {

std::string ThresholdName(double threshold) {
  std::string s = std::to_string(threshold);
  while (s.size() > 3 && s.back() == '0') s.pop_back();  // 0.500000 -> 0.5
  return s;
}

// Flickr30k-style phrase grounding: recall@k of each eval phrase's boxes, the phrase's score for
// a query being its highest probability over the phrase's tokens (the reference's PostProcessFlickr).
class PhraseRecallEvaluation : public TaskEvaluation {
 public:
  Status Add(const model::MdetrOutputs& out, const grounding::Batch& batch) override {
    const auto prob = out.logits().softmax(-1).cpu();   // [B,Q,256]
    const auto boxes = out.boxes().cpu().contiguous();  // [B,Q,4]
    for (size_t i = 0; i < batch.samples.size(); ++i) {
      const auto& s = batch.samples[i];
      const auto b = boxes[static_cast<int64_t>(i)];
      const auto acc = b.accessor<float, 2>();
      const float w = static_cast<float>(s.orig_width), h = static_cast<float>(s.orig_height);
      std::vector<eval::BoxXyxy> pred(static_cast<size_t>(b.size(0)));
      for (int64_t q = 0; q < b.size(0); ++q) {
        const float cx = acc[q][0], cy = acc[q][1], bw = acc[q][2], bh = acc[q][3];
        pred[static_cast<size_t>(q)] = {(cx - bw / 2) * w, (cy - bh / 2) * h, (cx + bw / 2) * w,
                                        (cy + bh / 2) * h};
      }
      for (size_t p = 0; p < s.eval_phrases.size(); ++p) {
        auto map = text::CreatePositiveMap(s.encoding, {s.eval_phrases[p]});
        std::vector<int64_t> tokens;
        for (int64_t t = 0; t < text::kPositiveMapWidth; ++t) {
          if (map[static_cast<size_t>(t)] > 1e-6f) tokens.push_back(t);
        }
        std::vector<eval::BoxXyxy> truth;
        for (size_t bi = 0; bi < s.box_phrase.size(); ++bi) {
          if (s.box_phrase[bi] == static_cast<int>(p)) {
            const auto ob = s.orig_boxes[static_cast<int64_t>(bi)];
            truth.push_back(
                {ob[0].item<double>(), ob[1].item<double>(), ob[2].item<double>(), ob[3].item<double>()});
          }
        }
        if (tokens.empty() || truth.empty()) continue;
        const auto scores =
            prob[static_cast<int64_t>(i)].index_select(1, torch::tensor(tokens, torch::kInt64)).amax(1);
        const auto order = std::get<1>(scores.sort(0, /*descending=*/true));
        std::vector<eval::BoxXyxy> ranked;
        for (int64_t k = 0; k < order.size(0); ++k)
          ranked.push_back(pred[static_cast<size_t>(order[k].item<int64_t>())]);
        recall_.AddPhrase(ranked, truth);
      }
    }
    return Status::Ok();
  }

  Result<std::map<std::string, double>> Finish(Collective& coll) override {
    MDETR_ASSIGN_OR_RETURN(auto counts, coll.AllReduceSum(recall_.ToCounts()));
    eval::PhraseRecall merged;
    merged.AddCounts(counts);
    auto summary = merged.Summary();
    summary["phrases"] = static_cast<double>(merged.phrases());
    return summary;
  }

 private:
  eval::PhraseRecall recall_;
};

// RefCOCO/+/g and CLEVR-Ref+: the ranked boxes of each expression into RefExpEvaluator. Only the
// top 10 boxes travel between ranks: precision@1/5/10 reads no further, and the evaluator ranks
// them as the post-processor does.
class RefExpEvaluation : public TaskEvaluation {
 public:
  RefExpEvaluation(const grounding::GroundingDataset& set, std::string val_name,
                   eval::RefExpProtocol protocol, inference::RefExpScore score)
      : gt_(set.annotations()),
        val_name_(std::move(val_name)),
        protocol_(protocol),
        score_(score),
        local_(gt_, protocol) {}

  Status Add(const model::MdetrOutputs& out, const grounding::Batch& batch) override {
    for (size_t i = 0; i < batch.samples.size(); ++i) {
      const auto& s = batch.samples[i];
      MDETR_ASSIGN_OR_RETURN(auto ranking, inference::RankRefExpBoxes(
                                               out, static_cast<int64_t>(i), static_cast<int>(s.orig_width),
                                               static_cast<int>(s.orig_height), score_));
      if (ranking.boxes.size() > 10) ranking.boxes.resize(10);
      MDETR_RETURN_IF_ERROR(local_.AddImage(s.image_id, ranking.scores(), ranking.xyxy()));
    }
    return Status::Ok();
  }

  Result<std::map<std::string, double>> Finish(Collective& coll) override {
    MDETR_ASSIGN_OR_RETURN(auto states, AllGatherBytes(coll, local_.SerializeState()));
    eval::RefExpEvaluator merged(gt_, protocol_);
    for (const auto& st : states) MDETR_RETURN_IF_ERROR(merged.MergeState(st));
    MDETR_ASSIGN_OR_RETURN(auto groups, merged.Summarize());
    std::map<std::string, double> m;
    for (const auto& [group, scores] : groups) {
      if (scores.count == 0) continue;  // a group the file does not have
      const bool own = group == val_name_ || protocol_ == eval::RefExpProtocol::kClevrRef;
      const std::string prefix = own ? "" : group + "/";
      for (size_t k = 0; k < eval::RefExpEvaluator::kTopK.size(); ++k) {
        m[prefix + "precision@" + std::to_string(eval::RefExpEvaluator::kTopK[k])] = scores.precision[k];
      }
      m[prefix + "expressions"] = scores.count;
    }
    return m;
  }

 private:
  const annotations::CocoDataset& gt_;
  std::string val_name_;
  eval::RefExpProtocol protocol_;
  inference::RefExpScore score_;
  eval::RefExpEvaluator local_;
};

// PhraseCut: one task per image entry of the annotation file, its polygons and boxes read from the
// entry's annotations; predictions are the boxes (and masks) of the queries scoring > 0.7, the
// reference's PostProcessPhrasecut.
class PhraseCutEvaluation : public TaskEvaluation {
 public:
  PhraseCutEvaluation(const grounding::GroundingDataset& set, bool masks)
      : masks_(masks), tasks_(Tasks(set.annotations())), local_(tasks_, masks) {}

  static std::string TaskId(const annotations::CocoDataset& d, const annotations::ImageRecord& rec) {
    const auto id = d.str(rec.task_id);
    return id.empty() ? "image-" + std::to_string(rec.id) : std::string(id);
  }

  static std::vector<eval::PhraseCutTask> Tasks(const annotations::CocoDataset& d) {
    std::vector<eval::PhraseCutTask> tasks;
    for (uint32_t i = 0; i < d.images().size(); ++i) {
      const auto& rec = d.images()[i];
      eval::PhraseCutTask t;
      t.task_id = TaskId(d, rec);
      t.image_id = rec.id;
      t.width = rec.width;
      t.height = rec.height;
      for (uint32_t a : d.AnnotationsOf(i)) {
        const auto& ann = d.annotations()[a];
        t.boxes.push_back({ann.bbox[0], ann.bbox[1], ann.bbox[2], ann.bbox[3]});
        const auto* polys = d.polygon_ranges(ann.polygons);
        for (uint32_t p = 0; p < ann.polygons.size(); ++p) {
          const double* c = d.coords(polys[p]);
          std::vector<std::pair<double, double>> pts;
          for (uint32_t k = 0; k + 1 < polys[p].size(); k += 2) pts.emplace_back(c[k], c[k + 1]);
          t.polygons.push_back(std::move(pts));
        }
      }
      tasks.push_back(std::move(t));
    }
    return tasks;
  }

  Status Add(const model::MdetrOutputs& out, const grounding::Batch& batch) override {
    const auto prob = out.logits().softmax(-1).cpu();
    const auto scores = (1.0 - prob.select(2, prob.size(2) - 1)).contiguous();  // [B,Q]
    const auto boxes = out.boxes().cpu().contiguous();
    std::vector<torch::Tensor> masks;
    if (masks_) {
      std::vector<inference::ImageSize> input, output;
      for (const auto& s : batch.samples) {
        input.push_back({s.height(), s.width()});
        output.push_back({s.orig_height, s.orig_width});
      }
      MDETR_ASSIGN_OR_RETURN(masks, inference::PostprocessMasks(out.pred_masks, input, output));
    }
    for (size_t i = 0; i < batch.samples.size(); ++i) {
      const auto& s = batch.samples[i];
      const int64_t bi = static_cast<int64_t>(i);
      eval::PhraseCutPrediction pred;
      const auto image_scores = scores[bi], image_boxes = boxes[bi];
      const auto sc = image_scores.accessor<float, 1>();
      const auto bx = image_boxes.accessor<float, 2>();
      const float w = static_cast<float>(s.orig_width), h = static_cast<float>(s.orig_height);
      for (int64_t q = 0; q < sc.size(0); ++q) {
        if (sc[q] <= 0.7f) continue;
        const float x0 = (bx[q][0] - 0.5f * bx[q][2]) * w, y0 = (bx[q][1] - 0.5f * bx[q][3]) * h;
        const float x1 = (bx[q][0] + 0.5f * bx[q][2]) * w, y1 = (bx[q][1] + 0.5f * bx[q][3]) * h;
        pred.boxes.push_back({x0, y0, x1 - x0, y1 - y0});
      }
      if (masks_) {
        const auto u =
            inference::UnionOfConfidentMasks(masks[i], scores[bi], 0.7).to(torch::kUInt8).contiguous();
        pred.has_mask = true;
        pred.mask = eval::BinaryMask(static_cast<int>(u.size(1)), static_cast<int>(u.size(0)));
        std::memcpy(pred.mask.pixels.data(), u.data_ptr<uint8_t>(), pred.mask.pixels.size());
      }
      const auto& d = *annotations_;
      MDETR_RETURN_IF_ERROR(local_.Add(TaskId(d, d.images()[d.FindImage(s.image_id)]), pred));
    }
    return Status::Ok();
  }

  Result<std::map<std::string, double>> Finish(Collective& coll) override {
    MDETR_ASSIGN_OR_RETURN(auto states, AllGatherBytes(coll, local_.SerializeState()));
    eval::PhraseCutEvaluator merged(tasks_, masks_);
    for (const auto& st : states) MDETR_RETURN_IF_ERROR(merged.MergeState(st));
    const auto sum = merged.Summarize();
    std::map<std::string, double> m;
    m["tasks"] = static_cast<double>(sum.tasks_evaluated);
    m["box_mean_iou"] = sum.mean_box_iou;
    for (size_t k = 0; k < sum.kThresholds.size(); ++k) {
      m["box_precision@" + ThresholdName(sum.kThresholds[k])] = sum.box_precision[k];
    }
    const bool with_masks = sum.has_masks;
    m["mean_iou"] = with_masks ? sum.mean_mask_iou : sum.mean_box_iou;
    if (with_masks) m["cum_iou"] = sum.cum_mask_iou;
    for (size_t k = 0; k < sum.kThresholds.size(); ++k) {
      m["precision@" + ThresholdName(sum.kThresholds[k])] =
          with_masks ? sum.mask_precision[k] : sum.box_precision[k];
    }
    return m;
  }

  void set_annotations(const annotations::CocoDataset* d) { annotations_ = d; }

 private:
  bool masks_;
  std::vector<eval::PhraseCutTask> tasks_;
  eval::PhraseCutEvaluator local_;
  const annotations::CocoDataset* annotations_ = nullptr;
};

// GQA and CLEVR: answer-type accuracy, per-type head accuracy and total accuracy; CLEVR also by
// question kind and family (total accuracy: type and answer right).
class QaEvaluation : public TaskEvaluation {
 public:
  QaEvaluation(std::string dataset, bool split_heads, const ClevrQuestionGroups* clevr_groups)
      : dataset_(std::move(dataset)),
        split_heads_(split_heads),
        clevr_groups_(clevr_groups),
        local_(dataset_ == "gqa" ? eval::MakeGqaAccuracy() : eval::MakeClevrAccuracy()) {}

  Status Add(const model::MdetrOutputs& out, const grounding::Batch& batch) override {
    if (dataset_ == "gqa" && !split_heads_) {
      // The single all-answers head: right when its argmax is the answer; tallied by true type.
      auto it = out.answers.find("answer");
      if (it == out.answers.end())
        return InvalidArgumentError("evaluation: the GQA model has no \"answer\" head");
      const auto best = it->second.argmax(-1).cpu();
      for (size_t i = 0; i < batch.samples.size(); ++i) {
        const auto& a = batch.samples[i].answer;
        MDETR_RETURN_IF_ERROR(
            local_.Add(a.type, a.type, best[static_cast<int64_t>(i)].item<int64_t>() == a.answer));
      }
      return Status::Ok();
    }
    if (dataset_ == "gqa") {
      MDETR_ASSIGN_OR_RETURN(auto preds, inference::GqaPredictions(out.answers));
      for (size_t i = 0; i < batch.samples.size() && i < preds.size(); ++i) {
        const auto& a = batch.samples[i].answer;
        MDETR_RETURN_IF_ERROR(eval::AddGqa(&local_, {a.type, static_cast<int>(a.type_answer)}, preds[i]));
      }
      return Status::Ok();
    }
    MDETR_ASSIGN_OR_RETURN(auto preds, inference::ClevrPredictions(out.answers));
    static const std::vector<std::string> kNoGroups;
    for (size_t i = 0; i < batch.samples.size() && i < preds.size(); ++i) {
      const auto& s = batch.samples[i];
      const auto& groups = clevr_groups_ ? clevr_groups_->Of(s.image_id, s.answer.type) : kNoGroups;
      MDETR_RETURN_IF_ERROR(
          eval::AddClevr(&local_, {s.answer.type, static_cast<int>(s.answer.type_answer)}, preds[i], groups));
    }
    return Status::Ok();
  }

  Result<std::map<std::string, double>> Finish(Collective& coll) override {
    MDETR_ASSIGN_OR_RETURN(auto states, AllGatherBytes(coll, local_.SerializeState()));
    eval::QaAccuracy merged = dataset_ == "gqa" ? eval::MakeGqaAccuracy() : eval::MakeClevrAccuracy();
    for (const auto& st : states) MDETR_RETURN_IF_ERROR(merged.MergeState(st));
    const auto sum = merged.Summarize();
    std::map<std::string, double> m;
    m["questions"] = static_cast<double>(sum.questions);
    m["accuracy"] = sum.total_accuracy;
    if (split_heads_) m["accuracy_answer_type"] = sum.answer_type_accuracy;
    for (const auto& [type, counts] : sum.per_type) {
      m["accuracy_" + type] = counts.head_accuracy();
      m["questions_" + type] = static_cast<double>(counts.questions);
    }
    // "kind:count" -> accuracy_kind/count, "family:zero_hop/3" -> accuracy_family/zero_hop/3.
    for (const auto& [group, counts] : sum.per_group) {
      const auto colon = group.find(':');
      if (colon == std::string::npos) continue;
      const std::string what = group.substr(0, colon), label = group.substr(colon + 1);
      m["accuracy_" + what + "/" + label] = counts.accuracy();
      m["questions_" + what + "/" + label] = static_cast<double>(counts.questions);
    }
    return m;
  }

 private:
  std::string dataset_;
  bool split_heads_;
  const ClevrQuestionGroups* clevr_groups_;
  eval::QaAccuracy local_;
};

}  // namespace

Result<EvaluationInputs> PrepareEvaluation(const config::DatasetConfig& val,
                                           const config::ModelConfig& model) {
  EvaluationInputs inputs;
  if ((val.name == "gqa" || val.name == "clevr") && !model.qa_dataset.empty() &&
      model.qa_dataset != val.name) {
    return InvalidArgumentError("name is " + val.name + " but model.qa_dataset is " + model.qa_dataset +
                                ": the model has no " + val.name + " answer heads to evaluate");
  }
  if (val.name == "clevr" && model.qa_dataset == "clevr") {
    MDETR_ASSIGN_OR_RETURN(auto groups, ClevrQuestionGroups::Read(val.ann_file));
    inputs.clevr = std::make_shared<const ClevrQuestionGroups>(std::move(groups));
  }
  return inputs;
}

std::vector<std::string> ValidationPrefixes(const std::vector<config::DatasetConfig>& val) {
  std::vector<std::string> prefixes;
  std::set<std::string> taken;
  for (size_t i = 0; i < val.size(); ++i) {
    if (i == 0) {
      prefixes.emplace_back();
      continue;
    }
    std::string stem = std::filesystem::path(val[i].ann_file).stem().string();
    if (stem.empty()) stem = "val";
    if (!taken.insert(stem).second) {
      stem += "#" + std::to_string(i);
      taken.insert(stem);
    }
    prefixes.push_back(stem + "/");
  }
  return prefixes;
}

Result<std::vector<std::string>> AllGatherBytes(Collective& coll, const std::string& bytes) {
  const int n = coll.world_size(), me = coll.rank();
  std::vector<double> sizes(static_cast<size_t>(n), 0.0);
  sizes[static_cast<size_t>(me)] = static_cast<double>(bytes.size());
  MDETR_ASSIGN_OR_RETURN(auto all_sizes, coll.AllReduceSum(sizes));
  // Three bytes per double: every value is an exact integer below 2^24, so the sum (one rank's
  // value plus zeros) is exact whatever the reduction order and precision.
  std::vector<size_t> offset(static_cast<size_t>(n) + 1, 0);
  for (int r = 0; r < n; ++r) {
    offset[static_cast<size_t>(r) + 1] =
        offset[static_cast<size_t>(r)] + (static_cast<size_t>(all_sizes[static_cast<size_t>(r)]) + 2) / 3;
  }
  std::vector<double> flat(offset.back(), 0.0);
  for (size_t i = 0; i < bytes.size(); ++i) {
    const auto v = static_cast<uint32_t>(static_cast<unsigned char>(bytes[i])) << (8 * (i % 3));
    flat[offset[static_cast<size_t>(me)] + i / 3] += static_cast<double>(v);
  }
  MDETR_ASSIGN_OR_RETURN(auto summed, coll.AllReduceSum(flat));
  std::vector<std::string> out(static_cast<size_t>(n));
  for (int r = 0; r < n; ++r) {
    const auto size = static_cast<size_t>(all_sizes[static_cast<size_t>(r)]);
    auto& s = out[static_cast<size_t>(r)];
    s.resize(size);
    for (size_t i = 0; i < size; ++i) {
      const auto v = static_cast<uint32_t>(summed[offset[static_cast<size_t>(r)] + i / 3]);
      s[i] = static_cast<char>((v >> (8 * (i % 3))) & 0xff);
    }
  }
  return out;
}

Result<std::unique_ptr<TaskEvaluation>> MakeTaskEvaluation(const config::DatasetConfig& val,
                                                           const config::ModelConfig& model,
                                                           const grounding::GroundingDataset& val_set,
                                                           const EvaluationInputs& inputs) {
  const std::string& name = val.name;
  if (name == "refcoco" || name == "refcoco+" || name == "refcocog" || name == "synthetic_refexp") {
    return std::unique_ptr<TaskEvaluation>(std::make_unique<RefExpEvaluation>(
        val_set, name, eval::RefExpProtocol::kRefCoco, inference::RefExpScore::kDetection));
  }
  if (name == "clevr_ref") {
    return std::unique_ptr<TaskEvaluation>(std::make_unique<RefExpEvaluation>(
        val_set, name, eval::RefExpProtocol::kClevrRef,
        model.predict_final ? inference::RefExpScore::kIsFinal : inference::RefExpScore::kDetection));
  }
  if (name == "phrasecut") {
    auto e = std::make_unique<PhraseCutEvaluation>(val_set, model.masks);
    e->set_annotations(&val_set.annotations());
    return std::unique_ptr<TaskEvaluation>(std::move(e));
  }
  if ((name == "gqa" || name == "clevr") && !model.qa_dataset.empty()) {
    if (model.qa_dataset != name) {
      return InvalidArgumentError("name is " + name + " but model.qa_dataset is " + model.qa_dataset +
                                  ": the model has no " + name + " answer heads to evaluate");
    }
    return std::unique_ptr<TaskEvaluation>(
        std::make_unique<QaEvaluation>(name, model.split_qa_heads, inputs.clevr.get()));
  }
  return std::unique_ptr<TaskEvaluation>(std::make_unique<PhraseRecallEvaluation>());
}

}  // namespace mdetr::trainer
