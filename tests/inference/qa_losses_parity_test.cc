// The QA objective against the reference's QACriterionGQA / QACriterionClevr
// (tools/parity/model/make_qa_goldens.py): the tiny model with QA heads and synthetic weights, on
// six real images and questions: the answer heads' outputs, every loss and accuracy term for three
// sets of answers (every type present, the predicted types, some types absent), the QA entries of
// the weight dictionary, the weighted QA total and its gradient with respect to the answer heads
// and qa_embed (GQA with split heads, CLEVR); the single GQA head's terms on the reference's
// outputs; and the target tensors built from per-question labels.
#include <gtest/gtest.h>

#include "common/config/experiment.h"
#include "model/nn/mdetr.h"
#include "model/nn/synthetic_weights.h"
#include "model/objective/qa_losses.h"
#include "model/objective/set_criterion.h"
#include "tests/inference/qa_goldens.h"

namespace mdetr::objective {
namespace {

using testing::QaGolden;
using testing::QaGoldensUnder;
using testing::RelativeMaxDiff;

struct Variant {
  std::string name;     // goldens prefix
  std::string dataset;  // model.qa_dataset
  bool split_heads;
};

std::string PrintVariant(const ::testing::TestParamInfo<Variant>& info) { return info.param.name; }
void PrintTo(const Variant& v, std::ostream* os) { *os << v.name; }

class QaLossesParityTest : public ::testing::TestWithParam<Variant> {
 protected:
  void SetUp() override {
    auto cfg = config::LoadExperiment("configs/models/tiny_cpu.yaml");
    ASSERT_TRUE(cfg.ok()) << cfg.status();
    cfg_ = *cfg;
    cfg_.model.qa_dataset = GetParam().dataset;
    cfg_.model.split_qa_heads = GetParam().split_heads;
    cfg_.loss.qa_loss_coef = G("qa_loss_coef").item<double>();
    model_ = model::Mdetr(cfg_.model);
    model::FillSyntheticWeights(*model_);
    model_->eval();  // dropout off, as in the goldens
  }
  const torch::Tensor& G(const std::string& name) const { return QaGolden(GetParam().name + "." + name); }
  model::MdetrOutputs Forward() {
    return model_->forward({QaGolden("input.images"), QaGolden("input.mask")},
                           {G("input_ids"), G("attention_mask")});
  }
  QaTargets Targets(const std::string& set) const { return QaGoldensUnder(GetParam().name + "." + set + ".target."); }

  config::ExperimentConfig cfg_;
  model::Mdetr model_{nullptr};
};

// One test per variant: building the model dominates the cost.
TEST_P(QaLossesParityTest, HeadsLossesAccuraciesWeightsAndGradientsMatchTheReference) {
  const auto out = Forward();
  const auto reference = testing::QaReferenceAnswers(GetParam().name + ".out.");
  ASSERT_FALSE(reference.empty());
  EXPECT_EQ(out.answers.size(), reference.size());
  for (const auto& [key, want] : reference) {
    ASSERT_EQ(out.answers.count(key), 1u) << key;
    EXPECT_LE(RelativeMaxDiff(out.answers.at(key), want), 1e-5) << key;
  }

  // Every term, for every type present, for the predicted types, and with types absent.
  auto criterion = QaCriterion::FromConfig(cfg_.model);
  ASSERT_TRUE(criterion.ok()) << criterion.status();
  for (const std::string set : {"mixed", "agree", "missing"}) {
    auto losses = (*criterion)(out.answers, Targets(set));
    ASSERT_TRUE(losses.ok()) << losses.status();
    const auto want = QaGoldensUnder(GetParam().name + "." + set + ".loss.");
    EXPECT_EQ(losses->size(), want.size()) << set;
    for (const auto& [name, ref_value] : want) {
      auto it = losses->find(name);
      ASSERT_NE(it, losses->end()) << set << ": we do not compute " << name;
      const double ref = ref_value.item<double>();
      EXPECT_NEAR(it->second.item<double>(), ref, 1e-5 * std::max(1e-3, std::abs(ref))) << set << " " << name;
      EXPECT_EQ(it->second.requires_grad(), name.rfind("loss_", 0) == 0) << name;
    }
  }

  // The QA entries of the reference's weight dictionary, aux copies included.
  const auto weights = WeightDict(cfg_.model, cfg_.loss);
  const auto reference_weights = QaGoldensUnder(GetParam().name + ".weight.");
  ASSERT_FALSE(reference_weights.empty());
  for (const auto& [k, v] : reference_weights) {
    ASSERT_EQ(weights.count(k), 1u) << k;
    EXPECT_DOUBLE_EQ(weights.at(k), v.item<double>()) << k;
  }
  for (const auto& [k, v] : weights) {
    if (k.find("answer") != std::string::npos) EXPECT_EQ(reference_weights.count(k), 1u) << k << " is not the reference's";
  }

  // The weighted QA total and its gradient with respect to the answer heads and qa_embed.
  model_->zero_grad();
  auto losses = (*criterion)(out.answers, Targets("mixed"));
  ASSERT_TRUE(losses.ok()) << losses.status();
  auto total = WeightedTotal(*losses, weights);
  const double ref_total = G("mixed.loss_total").item<double>();
  EXPECT_NEAR(total.item<double>(), ref_total, 1e-5 * std::abs(ref_total));
  total.backward();
  int full = 0, stats = 0;
  for (const auto& p : model_->named_parameters()) {
    const std::string& name = p.key();
    if (name.find("answer") == std::string::npos && name.rfind("qa_embed", 0) != 0) continue;
    const auto grad = p.value().grad();
    ASSERT_TRUE(grad.defined()) << name << " has no gradient";
    if (testing::HasQaGolden(GetParam().name + ".grad." + name)) {
      EXPECT_LE(RelativeMaxDiff(grad, G("grad." + name)), 1e-4) << name;
      ++full;
    } else {
      const auto st = G("gradstat." + name);  // norm, sum and three probes of a large gradient
      const auto gd = grad.to(torch::kFloat64);
      std::vector<double> ours = {gd.norm().item<double>(), gd.sum().item<double>()};
      for (int i = 0; i < 3; ++i) {
        auto probe = model::SyntheticTensor(name + ":probe" + std::to_string(i), grad.sizes()).to(torch::kFloat64);
        ours.push_back((gd * probe).sum().item<double>());
      }
      for (size_t k = 0; k < ours.size(); ++k) {
        const double ref = st[static_cast<int64_t>(k)].item<double>();
        EXPECT_NEAR(ours[k], ref, 1e-4 * std::max(std::abs(ref), st[0].item<double>())) << name << " statistic " << k;
      }
      ++stats;
    }
  }
  // GQA: qa_embed + 6 heads x (weight, bias); CLEVR: qa_embed + 3 linear heads x 2 + the 3-layer MLP x 2.
  EXPECT_EQ(full + stats, 13);
}

INSTANTIATE_TEST_SUITE_P(Variants, QaLossesParityTest,
                         ::testing::Values(Variant{"gqa", "gqa", true}, Variant{"clevr", "clevr", true}),
                         PrintVariant);

// The dataset-side labels give the reference's target tensors (its -100 for other types).
class QaTargetsTest : public ::testing::TestWithParam<Variant> {};

TEST_P(QaTargetsTest, TargetsFromLabelsAreTheReferences) {
  for (const std::string set : {"mixed", "agree", "missing"}) {
    const auto want = QaGoldensUnder(GetParam().name + "." + set + ".target.");
    const auto type = want.at("answer_type");
    Result<QaTargets> ours = InvalidArgumentError("unset");
    if (GetParam().dataset == "clevr") {
      std::vector<ClevrAnswerLabel> labels;
      for (int64_t q = 0; q < type.size(0); ++q) {
        const int64_t t = type[q].item<int64_t>();
        const int64_t a = t == 0 ? static_cast<int64_t>(want.at("answer_binary")[q].item<float>())
                                 : want.at(t == 1 ? "answer_attr" : "answer_reg")[q].item<int64_t>();
        labels.push_back({static_cast<int>(t), a});
      }
      ours = ClevrTargets(labels);
    } else {
      static const char* kTypes[] = {"obj", "attr", "rel", "global", "cat"};
      std::vector<GqaAnswerLabel> labels;
      for (int64_t q = 0; q < type.size(0); ++q) {
        const int64_t t = type[q].item<int64_t>();
        labels.push_back({static_cast<int>(t), want.at(std::string("answer_") + kTypes[t])[q].item<int64_t>(), 0});
      }
      ours = GqaTargets(labels);
    }
    ASSERT_TRUE(ours.ok()) << ours.status();
    for (const auto& [k, v] : want) {
      ASSERT_EQ(ours->count(k), 1u) << k;
      EXPECT_TRUE(ours->at(k).equal(v)) << set << " " << k << ": " << ours->at(k) << " vs " << v;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Variants, QaTargetsTest,
                         ::testing::Values(Variant{"gqa", "gqa", true}, Variant{"clevr", "clevr", true}),
                         PrintVariant);

TEST(QaLossesTest, TheSingleGqaHeadMatchesTheReference) {
  auto cfg = config::LoadExperiment("configs/models/tiny_cpu.yaml");
  ASSERT_TRUE(cfg.ok()) << cfg.status();
  cfg->model.qa_dataset = "gqa";
  cfg->model.split_qa_heads = false;
  cfg->loss.qa_loss_coef = QaGolden("gqa_all.qa_loss_coef").item<double>();
  auto criterion = QaCriterion::FromConfig(cfg->model);
  ASSERT_TRUE(criterion.ok()) << criterion.status();
  const auto reference_out = testing::QaReferenceAnswers("gqa_all.out.");
  for (const std::string set : {"mixed", "agree", "missing"}) {
    auto losses = (*criterion)(reference_out, QaGoldensUnder("gqa_all." + set + ".target."));
    ASSERT_TRUE(losses.ok()) << losses.status();
    for (const auto& [name, want] : QaGoldensUnder("gqa_all." + set + ".loss.")) {
      ASSERT_EQ(losses->count(name), 1u) << name;
      EXPECT_NEAR(losses->at(name).item<double>(), want.item<double>(), 1e-5 * std::abs(want.item<double>()) + 1e-7)
          << set << " " << name;
    }
  }
  const auto weights = WeightDict(cfg->model, cfg->loss);
  for (const auto& [k, v] : QaGoldensUnder("gqa_all.weight.")) EXPECT_DOUBLE_EQ(weights.at(k), v.item<double>()) << k;
}

TEST(QaLossesTest, BadOutputsAndTargetsAreErrorsNamingTheKey) {
  config::ModelConfig model;
  model.qa_dataset = "gqa";
  auto criterion = QaCriterion::FromConfig(model);
  ASSERT_TRUE(criterion.ok());
  auto targets = GqaTargets({{2, 5, 0}, {0, 1, 0}});
  ASSERT_TRUE(targets.ok());
  std::map<std::string, torch::Tensor> out = testing::QaReferenceAnswers("gqa.out.");
  for (auto& [k, v] : out) v = v.narrow(0, 0, 2);

  auto missing = out;
  missing.erase("answer_rel");
  auto r = (*criterion)(missing, *targets);
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("answer_rel"), std::string::npos) << r.status();

  auto bad = *targets;
  bad["answer_obj"] = torch::tensor({-100, 7}, torch::kInt64);  // the obj head has 3 answers
  r = (*criterion)(out, bad);
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("answer_obj"), std::string::npos) << r.status();

  bad = *targets;
  bad["answer_type"] = torch::tensor({1, 2, 3}, torch::kInt64);  // three answers for two questions
  EXPECT_EQ((*criterion)(out, bad).status().code(), StatusCode::kInvalidArgument);

  EXPECT_EQ(GqaTargets({{5, 0, 0}}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ClevrTargets({{0, 2}}).status().code(), StatusCode::kInvalidArgument);  // yes/no is 0 or 1
  model.qa_dataset = "clevr";
  model.split_qa_heads = false;
  EXPECT_EQ(QaCriterion::FromConfig(model).status().code(), StatusCode::kInvalidArgument);
  model.qa_dataset = "";
  EXPECT_EQ(QaCriterion::FromConfig(model).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace mdetr::objective
