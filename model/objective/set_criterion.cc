#include "model/objective/set_criterion.h"

#include "model/objective/box_ops.h"
#include "model/objective/mask_losses.h"
#include "model/objective/qa_losses.h"

namespace mdetr::objective {
namespace {

// (batch index, query index) of every matched prediction, in match order.
std::pair<torch::Tensor, torch::Tensor> SrcIndex(const std::vector<MatchIndices>& match) {
  std::vector<int64_t> b, q;
  for (size_t i = 0; i < match.size(); ++i) {
    for (int64_t s : match[i].src) {
      b.push_back(static_cast<int64_t>(i));
      q.push_back(s);
    }
  }
  return {torch::tensor(b, torch::kInt64), torch::tensor(q, torch::kInt64)};
}

}  // namespace

CriterionOptions CriterionOptionsFrom(const config::ModelConfig& model, const config::LossConfig& loss) {
  CriterionOptions o;
  o.eos_coef = loss.eos_coef;
  o.temperature = loss.temperature_nce;
  o.contrastive_align = model.contrastive_align_loss;
  o.isfinal = model.predict_final;
  o.masks = model.masks;
  o.aux_loss = model.aux_loss;
  o.matcher = {loss.set_cost_class, loss.set_cost_bbox, loss.set_cost_giou};
  return o;
}

SetCriterion::SetCriterion(CriterionOptions options) : opt_(std::move(options)), matcher_(opt_.matcher) {}

torch::Tensor SetCriterion::LossLabels(const torch::Tensor& logits_in, const std::vector<Target>& targets,
                                       const torch::Tensor& positive_map, const std::vector<MatchIndices>& match,
                                       double num_boxes) const {
  const auto logits = logits_in.log_softmax(-1);
  auto [bi, qi] = SrcIndex(match);
  bi = bi.to(logits.device());
  qi = qi.to(logits.device());
  std::vector<int64_t> tgt_rows;
  int64_t offset = 0;
  for (size_t i = 0; i < match.size(); ++i) {
    for (int64_t t : match[i].tgt) tgt_rows.push_back(t + offset);
    offset += targets[i].size();
  }
  auto target_sim = torch::zeros_like(logits);
  target_sim.select(2, target_sim.size(2) - 1).fill_(1);
  auto eos = torch::full({logits.size(0), logits.size(1)}, opt_.eos_coef, logits.options());
  if (!tgt_rows.empty()) {
    const auto tgt_pos = positive_map.index_select(0, torch::tensor(tgt_rows, torch::kInt64).to(positive_map.device()));
    target_sim.index_put_({bi, qi}, tgt_pos.to(logits.dtype()));
    eos.index_put_({bi, qi}, torch::ones({bi.size(0)}, logits.options()));
  }
  const auto loss_ce = -(logits * target_sim).sum(-1) * eos;
  return loss_ce.sum() / num_boxes;
}

std::pair<torch::Tensor, torch::Tensor> SetCriterion::LossBoxes(const torch::Tensor& boxes,
                                                                const std::vector<Target>& targets,
                                                                const std::vector<MatchIndices>& match,
                                                                double num_boxes) const {
  auto [bi, qi] = SrcIndex(match);
  const auto src = boxes.index({bi.to(boxes.device()), qi.to(boxes.device())});
  std::vector<torch::Tensor> tgt;
  for (size_t i = 0; i < match.size(); ++i) {
    if (match[i].tgt.empty()) continue;
    tgt.push_back(targets[i].boxes.index_select(0, torch::tensor(match[i].tgt, torch::kInt64)));
  }
  if (tgt.empty()) return {boxes.sum() * 0, boxes.sum() * 0};
  const auto target_boxes = torch::cat(tgt).to(boxes.device(), boxes.scalar_type());
  const auto l1 = torch::l1_loss(src, target_boxes, at::Reduction::None).sum() / num_boxes;
  const auto giou = (1 - torch::diag(GeneralizedBoxIou(BoxCxcywhToXyxy(src), BoxCxcywhToXyxy(target_boxes)))).sum() /
                    num_boxes;
  return {l1, giou};
}

torch::Tensor SetCriterion::LossContrastiveAlign(const torch::Tensor& proj_queries, const torch::Tensor& proj_tokens,
                                                 const std::vector<Target>& targets,
                                                 const std::vector<text::Encoding>& text,
                                                 const std::vector<MatchIndices>& match, double num_boxes) const {
  const auto logits = torch::matmul(proj_queries, proj_tokens.transpose(-1, -2)) / opt_.temperature;  // [B,Q,T]
  const int64_t bs = logits.size(0), nq = logits.size(1), nt = logits.size(2);
  std::vector<uint8_t> pos(static_cast<size_t>(bs * nq * nt), 0);
  for (int64_t i = 0; i < bs; ++i) {
    const auto& enc = text[static_cast<size_t>(i)];
    const auto& m = match[static_cast<size_t>(i)];
    for (size_t j = 0; j < m.src.size(); ++j) {
      for (const auto& span : targets[static_cast<size_t>(i)].tokens_positive[static_cast<size_t>(m.tgt[j])]) {
        auto beg = enc.CharToToken(span.begin);
        auto end = enc.CharToToken(span.end - 1);
        // The reference's fallbacks call char_to_token without a batch index, which Hugging Face
        // answers from the FIRST caption of the batch whatever image this is. Reproduced: the
        // released checkpoints were trained with it.
        const auto& first = text.front();
        if (!beg) beg = first.CharToToken(span.begin + 1);
        if (!beg) beg = first.CharToToken(span.begin + 2);
        if (!end) end = first.CharToToken(span.end - 2);
        if (!end) end = first.CharToToken(span.end - 3);
        if (!beg || !end) continue;
        for (int64_t t = *beg; t <= *end && t < nt; ++t) pos[static_cast<size_t>((i * nq + m.src[j]) * nt + t)] = 1;
      }
    }
  }
  const auto positive = torch::from_blob(pos.data(), {bs, nq, nt}, torch::kUInt8).to(torch::kBool).to(logits.device());
  const auto positive_logits = -logits.masked_fill(positive.logical_not(), 0);
  auto directional = [&](int64_t dim) {
    const auto with_pos = positive.any(dim);
    const auto pos_term = positive_logits.sum(dim);
    const auto neg_term = logits.logsumexp(dim);
    const auto nb_pos = positive.sum(dim).to(logits.dtype()) + 1e-6;
    return (pos_term / nb_pos + neg_term).masked_fill(with_pos.logical_not(), 0).sum();
  };
  return (directional(2) + directional(1)) / 2 / num_boxes;
}

torch::Tensor SetCriterion::Cardinality(const torch::Tensor& logits, const std::vector<Target>& targets) const {
  torch::NoGradGuard no_grad;
  const auto pred = logits.argmax(-1).ne(logits.size(-1) - 1).sum(1).to(torch::kFloat32);
  std::vector<float> lengths;
  for (const auto& t : targets) lengths.push_back(static_cast<float>(t.size()));
  return torch::l1_loss(pred, torch::tensor(lengths).to(pred.device()));
}

Result<CriterionResult> SetCriterion::operator()(const model::MdetrOutputs& out, const std::vector<Target>& targets,
                                                 const std::vector<text::Encoding>& text) const {
  if (targets.size() != static_cast<size_t>(out.pred_logits.size(1))) {
    return InvalidArgumentError("criterion: " + std::to_string(targets.size()) + " targets for a batch of " +
                                std::to_string(out.pred_logits.size(1)));
  }
  std::vector<torch::Tensor> maps;
  double local_boxes = 0;
  for (const auto& t : targets) {
    maps.push_back(t.positive_map);
    local_boxes += static_cast<double>(t.size());
  }
  const auto positive_map = torch::cat(maps).to(out.pred_logits.device());
  CriterionResult result;
  double num_boxes = opt_.average_over_ranks ? opt_.average_over_ranks(local_boxes) : local_boxes;
  result.num_boxes = std::max(num_boxes, 1.0);

  const int64_t layers = out.pred_logits.size(0);
  const int64_t lowest = opt_.aux_loss ? 0 : layers - 1;
  for (int64_t l = layers - 1; l >= lowest; --l) {
    const std::string suffix = l == layers - 1 ? "" : "_" + std::to_string(l);
    const auto logits = out.pred_logits[l];
    const auto boxes = out.pred_boxes[l];
    auto match = matcher_.Match(logits, boxes, targets, positive_map);
    if (!match.ok()) return match.status();
    if (l == layers - 1) result.last_layer_match = *match;
    if (l == layers - 1 && opt_.masks) {  // the reference skips masks on the aux layers (too costly)
      if (!out.pred_masks.defined()) return InvalidArgumentError("criterion: masks enabled but no pred_masks");
      std::vector<torch::Tensor> target_masks;
      for (const auto& t : targets) target_masks.push_back(t.masks);
      auto masks = LossMasks(out.pred_masks, target_masks, *match, result.num_boxes);
      if (!masks.ok()) return masks.status().WithContext("criterion");
      result.losses["loss_mask"] = masks->focal;
      result.losses["loss_dice"] = masks->dice;
    }
    result.losses["loss_ce" + suffix] = LossLabels(logits, targets, positive_map, *match, result.num_boxes);
    auto [l1, giou] = LossBoxes(boxes, targets, *match, result.num_boxes);
    result.losses["loss_bbox" + suffix] = l1;
    result.losses["loss_giou" + suffix] = giou;
    result.losses["cardinality_error" + suffix] = Cardinality(logits, targets);
    if (opt_.contrastive_align && out.proj_queries.defined()) {
      result.losses["loss_contrastive_align" + suffix] =
          LossContrastiveAlign(out.proj_queries[l], out.proj_tokens, targets, text, *match, result.num_boxes);
    }
    if (opt_.isfinal && out.pred_isfinal.defined()) {
      auto [bi, qi] = SrcIndex(*match);
      const auto src = out.pred_isfinal[l].index({bi, qi}).squeeze(-1);
      std::vector<torch::Tensor> tgt;
      for (size_t i = 0; i < match->size(); ++i) {
        tgt.push_back(targets[i].isfinal.index_select(0, torch::tensor((*match)[i].tgt, torch::kInt64)));
      }
      result.losses["loss_isfinal" + suffix] =
          torch::binary_cross_entropy_with_logits(src, torch::cat(tgt).to(src.device()), {}, {},
                                                  at::Reduction::None).sum() / result.num_boxes;
    }
  }
  return result;
}

std::map<std::string, double> WeightDict(const config::ModelConfig& model, const config::LossConfig& loss) {
  std::map<std::string, double> w{{"loss_ce", loss.ce_loss_coef},
                                  {"loss_bbox", loss.bbox_loss_coef},
                                  {"loss_giou", loss.giou_loss_coef}};
  if (model.contrastive_loss) w["contrastive_loss"] = loss.contrastive_loss_coef;
  if (model.contrastive_align_loss) w["loss_contrastive_align"] = loss.contrastive_align_loss_coef;
  if (model.predict_final) w["loss_isfinal"] = 1;
  if (model.masks) {
    w["loss_mask"] = loss.mask_loss_coef;
    w["loss_dice"] = loss.dice_loss_coef;
  }
  AddQaWeights(model, loss, &w);  // before the aux copies: the reference copies its QA weights too
  if (model.aux_loss) {
    const auto base = w;
    for (int i = 0; i + 1 < model.dec_layers; ++i) {
      for (const auto& [k, v] : base) w[k + "_" + std::to_string(i)] = v;
    }
  }
  return w;
}

torch::Tensor WeightedTotal(const LossDict& losses, const std::map<std::string, double>& weights) {
  torch::Tensor total;
  for (const auto& [k, v] : losses) {
    auto it = weights.find(k);
    if (it == weights.end()) continue;
    total = total.defined() ? total + v * it->second : v * it->second;
  }
  return total;
}

}  // namespace mdetr::objective
