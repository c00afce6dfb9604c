// `mdetr predict` on the released model kinds other than detection, against the reference
// (tools/parity/model/make_predict_goldens.py): a PhraseCut segmentation checkpoint (the
// reference's DETRsegm layout: detr.* keys, attention map, mask head) gives the masks of the
// reference's PostProcessSegm, written as the COCO RLE pycocotools writes; a GQA checkpoint gives
// the answer of the reference's eval_gqa.py. The checkpoints hold the synthetic weights the
// reference ran with (their ResNet-18 and 50265-token embedding are too big for a fixture), saved
// in the reference's layout here, with the `args` Namespace the reference itself pickled.
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/config/experiment.h"
#include "datasets/image/codec.h"
#include "model/io/atomic_file.h"
#include "model/io/mapped_file.h"
#include "model/io/safetensors.h"
#include "model/io/torch_writer.h"
#include "model/io/zip_reader.h"
#include "model/io/zip_writer.h"
#include "model/nn/mdetr.h"
#include "model/nn/segmentation.h"
#include "model/nn/state_dict.h"
#include "model/nn/synthetic_weights.h"
#include "tests/model/key_list.h"
#include "tests/support/subprocess.h"
#include "tests/support/test_paths.h"
#include "worker/inference/checkpoint_model.h"
#include "datasets/eval/rle_counts.h"
#include "worker/inference/mask_rle.h"
#if MDETR_TEST_HAS_TRAINER
#include "worker/trainer/checkpoint.h"
#endif

namespace mdetr::testing {
namespace {
namespace fs = std::filesystem;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

const nlohmann::json& Goldens() {
  static const auto* g =
      new nlohmann::json(nlohmann::json::parse(ReadFile("tests/data/inference/predict_goldens.json")));
  return *g;
}

// Appends {"args": <the pickled Namespace in args_pkl>} to the top-level dict of a checkpoint
// written by SaveTorchStateDict with top_level_key "model", as the reference's torch.save lays
// out {"model": ..., "args": ...}.
void AddArgs(const std::string& path, const std::string& args_pkl) {
  std::string args = ReadFile(args_pkl);
  ASSERT_GT(args.size(), 3u) << args_pkl;
  ASSERT_EQ(args.substr(0, 2), std::string("\x80\x02", 2)) << args_pkl << ": expected pickle protocol 2";
  ASSERT_EQ(args.back(), '.');
  args = args.substr(2, args.size() - 3);  // without PROTO and STOP
  auto file = io::MappedFile::Open(path);
  ASSERT_TRUE(file.ok()) << file.status();
  auto zip = io::ZipArchive::Open(*file);
  ASSERT_TRUE(zip.ok()) << zip.status();
  std::vector<std::pair<std::string, std::string>> records;
  for (const auto& e : zip->entries()) {
    auto bytes = zip->Read(e);
    ASSERT_TRUE(bytes.ok()) << bytes.status();
    std::string data(*bytes);
    if (e.name.size() >= 8 && e.name.substr(e.name.size() - 8) == "data.pkl") {
      ASSERT_EQ(data.substr(data.size() - 2), "s.");  // SETITEM of "model", STOP
      std::string key = "X";
      const uint32_t n = 4;
      for (int i = 0; i < 4; ++i) key.push_back(static_cast<char>((n >> (8 * i)) & 0xff));
      data = data.substr(0, data.size() - 1) + key + "args" + args + "s.";
    }
    records.emplace_back(e.name, std::move(data));
  }
  auto out = io::AtomicFileWriter::Create(path);
  ASSERT_TRUE(out.ok()) << out.status();
  io::ZipWriter writer(&*out, false);
  for (const auto& [name, data] : records) ASSERT_TRUE(writer.AddRecord(name, data.data(), data.size()).ok());
  ASSERT_TRUE(writer.Finish().ok());
  ASSERT_TRUE(out->Commit().ok());
}

// `drop`: a key to leave out (a damaged checkpoint).
void SaveReferenceLayout(torch::nn::Module& net, const std::string& path, const std::string& args_pkl,
                         const std::string& drop = "") {
  model::FillSyntheticWeights(net);
  std::vector<std::shared_ptr<torch::Tensor>> keep;
  io::StateDict views;
  for (const auto& [name, t] : model::NamedStateDict(net)) {
    if (!t.is_floating_point() || name == drop) continue;  // no integer buffers in the reference's here
    keep.push_back(std::make_shared<torch::Tensor>(t.contiguous()));
    ASSERT_TRUE(views
                    .Add(name, io::TensorView::Contiguous(io::DType::kFloat32, t.sizes().vec(),
                                                          keep.back()->data_ptr(), keep.back()))
                    .ok());
  }
  io::TorchSaveOptions o;
  o.top_level_key = "model";
  ASSERT_TRUE(io::SaveTorchStateDict(path, views, o).ok());
  if (!args_pkl.empty()) AddArgs(path, args_pkl);
}

config::ModelConfig TinyConfig(const std::vector<std::string>& overrides) {
  auto cfg = config::LoadExperiment("configs/models/tiny_cpu.yaml", overrides);
  if (!cfg.ok()) throw std::runtime_error(cfg.status().ToString());
  return cfg->model;
}

// make_segm_goldens.py's tiny PhraseCut model.
const std::vector<std::string> kSegmOverrides = {"model.hidden_dim=128", "model.nheads=8", "model.masks=true",
                                                 "model.contrastive_align_loss=false"};
config::ModelConfig SegmConfig() { return TinyConfig(kSegmOverrides); }
// The same as the experiment config our trainer records with its checkpoints.
const char kSegmYaml[] =
    "model:\n  backbone: resnet18\n  text_encoder:\n    type: custom\n    hidden_size: 64\n    num_layers: "
    "2\n"
    "    num_heads: 4\n    intermediate_size: 128\n  hidden_dim: 128\n  nheads: 8\n  enc_layers: 2\n"
    "  dec_layers: 2\n  dim_feedforward: 128\n  num_queries: 16\n  masks: true\n"
    "  contrastive_align_loss: false\n";

class PredictModelKindsTest : public ::testing::Test {
 public:
  static void SetUpTestSuite() { dir_ = new std::string(MakeTempDir("predict-kinds")); }
  // Written on first use: each takes a second or two (a ResNet-18 and a 50265-token embedding).
  static std::string SegmCheckpoint() {
    const std::string path = *dir_ + "/segm.pth";
    if (!fs::exists(path)) {
      model::MdetrSegm segm(SegmConfig(), false);
      SaveReferenceLayout(*segm, path, "tests/data/inference/segm_args.pkl");
    }
    return path;
  }
  static std::string GqaCheckpoint() {
    const std::string path = *dir_ + "/gqa.pth";
    if (!fs::exists(path)) {
      // make_qa_goldens.py's tiny GQA model: one answer head per type.
      model::Mdetr gqa(TinyConfig({"model.qa_dataset=gqa", "model.split_qa_heads=true"}), false);
      SaveReferenceLayout(*gqa, path, "tests/data/inference/gqa_args.pkl");
    }
    return path;
  }
  static std::string ClevrCheckpoint() {
    const std::string path = *dir_ + "/clevr.pth";
    if (!fs::exists(path)) {
      model::Mdetr clevr(TinyConfig({"model.qa_dataset=clevr", "model.split_qa_heads=true"}), false);
      SaveReferenceLayout(*clevr, path, "tests/data/inference/clevr_args.pkl");
    }
    return path;
  }
  static void TearDownTestSuite() { delete dir_; }

  static CommandResult Predict(const std::string& checkpoint, const nlohmann::json& golden,
                               const std::string& out, const std::string& extra) {
    return RunCommand(BuildDir() + "/bin/mdetr predict --checkpoint " + checkpoint + " --threads 1 --size " +
                      std::to_string(golden.at("size").get<int>()) + " --max-size " +
                      std::to_string(golden.at("max_size").get<int>()) + " --tokenizer " + SharedDataDir() +
                      "/tokenizer/roberta-base --image " + SharedDataDir() + "/" +
                      golden.at("image").get<std::string>() + " --caption '" +
                      golden.at("caption").get<std::string>() + "' --out " + out + " " + extra);
  }
  static nlohmann::json JsonOf(const CommandResult& r) {
    const auto start = r.output.find("\n[");
    return nlohmann::json::parse(start == std::string::npos ? r.output : r.output.substr(start + 1), nullptr,
                                 false);
  }
  static std::string* dir_;
};
std::string* PredictModelKindsTest::dir_ = nullptr;

// Pixels (of 480 x 640) by which one of our masks may differ from the reference's, all of them
// where the reference's logit is within near_threshold (2.5e-4) of the threshold: the tiny model's
// mask logits are small (|logit| <= 0.57) and its group norms amplify float32 rounding. Measured:
// 1 to 5 pixels a mask (each with a logit within 2e-6 of 0); the reference's own float32 masks
// differ from its float64 ones by 1 to 8. With a float resize of the image instead of PIL's, 460.
constexpr int64_t kMaxDifferingPixels = 16;

inference::CocoRle RleOf(const nlohmann::json& j) {
  return {j.at("size")[0].get<int>(), j.at("size")[1].get<int>(), j.at("counts").get<std::string>()};
}

TEST(MaskRleTest, EncodesAsPycocotools) {
  // The reference's masks, decoded, encode back to pycocotools' very strings.
  const auto& masks = Goldens().at("segm").at("masks");
  ASSERT_FALSE(masks.empty());
  for (size_t q = 0; q < masks.size(); ++q) {
    const auto rle = RleOf(masks[q]);
    auto decoded = inference::DecodeMaskRle(rle);
    ASSERT_TRUE(decoded.ok()) << decoded.status();
    int64_t area = 0;
    for (uint8_t v : *decoded) area += v;
    EXPECT_EQ(area, masks[q].at("area").get<int64_t>()) << "query " << q;
    const auto again = inference::EncodeMaskRle(decoded->data(), rle.height, rle.width);
    EXPECT_EQ(again.counts, rle.counts) << "query " << q;
  }
  // Edge cases: a mask starting with a set pixel (empty first run), an empty and a full mask.
  const uint8_t first_set[6] = {1, 0, 0, 1, 1, 1};  // 2x3, column-major 1,1,0,1,0,1
  const auto e = inference::EncodeMaskRle(first_set, 2, 3);
  auto back = inference::DecodeMaskRle(e);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, std::vector<uint8_t>(first_set, first_set + 6));
  auto runs = eval::RleCountsFromString(e.counts);
  ASSERT_TRUE(runs.ok());
  EXPECT_EQ(*runs, (std::vector<uint32_t>{0, 2, 1, 1, 1, 1}));
  EXPECT_FALSE(inference::DecodeMaskRle({2, 2, e.counts}).ok());  // runs cover 6 pixels, not 4
}

// The masks, scores and boxes of `mdetr predict --threshold 0 --json` against the reference's.
void ExpectReferenceMasks(const CommandResult& r) {
  const auto& g = Goldens().at("segm");
  const auto results = PredictModelKindsTest::JsonOf(r);
  ASSERT_TRUE(results.is_array()) << r.output;
  const auto& masks = g.at("masks");
  const int height = g.at("orig_hw")[0], width = g.at("orig_hw")[1];
  // PostProcessPhrasecut's answer: the union of the kept queries' masks (here every query's).
  std::vector<uint8_t> reference_union(static_cast<size_t>(height) * static_cast<size_t>(width), 0);
  std::vector<uint8_t> near_union(reference_union.size(), 0);
  for (size_t q = 0; q < masks.size(); ++q) {
    auto theirs = inference::DecodeMaskRle(RleOf(masks[q]));
    auto near = inference::DecodeMaskRle(RleOf(g.at("near_threshold_masks")[q]));
    ASSERT_TRUE(theirs.ok() && near.ok());
    for (size_t i = 0; i < theirs->size(); ++i) {
      reference_union[i] |= (*theirs)[i];
      near_union[i] |= (*near)[i];
    }
  }
  nlohmann::json detections = nlohmann::json::array();
  const nlohmann::json* phrase = nullptr;
  for (const auto& rec : results) {
    if (rec.contains("phrase_segmentation"))
      phrase = &rec;
    else
      detections.push_back(rec);
  }
  ASSERT_NE(phrase, nullptr) << "no phrase_segmentation record: " << r.output;
  EXPECT_EQ(phrase->at("queries").size(), masks.size());
  auto union_mask = inference::DecodeMaskRle(RleOf(phrase->at("phrase_segmentation")));
  ASSERT_TRUE(union_mask.ok());
  ASSERT_EQ(union_mask->size(), reference_union.size());
  int64_t union_decided = 0, union_area = 0;
  for (size_t i = 0; i < union_mask->size(); ++i) {
    union_decided += (*union_mask)[i] != reference_union[i] && !near_union[i];
    union_area += (*union_mask)[i];
  }
  EXPECT_EQ(union_decided, 0);
  EXPECT_EQ(phrase->at("phrase_area").get<int64_t>(), union_area);
  ASSERT_EQ(detections.size(), masks.size());  // threshold 0: every query is kept
  int64_t worst = 0, total = 0;
  for (const auto& det : detections) {
    const int q = det.at("query");
    ASSERT_TRUE(det.contains("segmentation")) << det.dump();
    const auto ours = RleOf(det.at("segmentation"));
    EXPECT_EQ(ours.height, height);
    EXPECT_EQ(ours.width, width);
    auto mine = inference::DecodeMaskRle(ours);
    auto theirs = inference::DecodeMaskRle(RleOf(masks[static_cast<size_t>(q)]));
    ASSERT_TRUE(mine.ok() && theirs.ok());
    auto near = inference::DecodeMaskRle(RleOf(g.at("near_threshold_masks")[static_cast<size_t>(q)]));
    ASSERT_TRUE(near.ok());
    int64_t differ = 0, area = 0, decided = 0;
    for (size_t i = 0; i < mine->size(); ++i) {
      differ += (*mine)[i] != (*theirs)[i];
      decided += (*mine)[i] != (*theirs)[i] && !(*near)[i];
      area += (*mine)[i];
    }
    // Wherever the reference's logit is clear of the threshold, the masks agree exactly.
    EXPECT_EQ(decided, 0) << "query " << q;
    EXPECT_EQ(det.at("area").get<int64_t>(), area);
    worst = std::max(worst, differ);
    total += differ;
    EXPECT_NEAR(det.at("score").get<double>(), g.at("scores")[static_cast<size_t>(q)].get<double>(), 1e-4);
    const auto& box = g.at("boxes")[static_cast<size_t>(q)];  // x0,y0,x1,y1
    const auto& bbox = det.at("bbox");                        // x,y,w,h
    EXPECT_NEAR(bbox[0].get<double>(), box[0].get<double>(), 0.05);
    EXPECT_NEAR(bbox[1].get<double>(), box[1].get<double>(), 0.05);
    EXPECT_NEAR(bbox[0].get<double>() + bbox[2].get<double>(), box[2].get<double>(), 0.05);
    EXPECT_NEAR(bbox[1].get<double>() + bbox[3].get<double>(), box[3].get<double>(), 0.05);
  }
  EXPECT_LE(worst, kMaxDifferingPixels) << "of " << height * width << " pixels; all masks: " << total;
}

// The released checkpoints' key lists and shapes (../shared/reference/mdetr-keys) tell their kind
// and architecture, as predict reads them.
TEST(ReleasedCheckpointKindsTest, EveryReleasedKindIsRecognised) {
  struct Expected {
    const char* tsv;
    bool masks;
    const char* qa;
    const char* backbone;
    int num_queries;
  };
  const Expected cases[] = {
      {"mdetr_resnet101.tsv", false, "", "resnet101", 100},
      {"mdetr_efficientnetB3.tsv", false, "", "timm_tf_efficientnet_b3_ns", 100},
      {"mdetr_efficientnetB5.tsv", false, "", "timm_tf_efficientnet_b5_ns", 100},
      {"mdetr_resnet101_phrasecut.tsv", true, "", "resnet101", 100},
      {"mdetr_efficientnetB3_phrasecut.tsv", true, "", "timm_tf_efficientnet_b3_ns", 100},
      {"mdetr_resnet101_gqa.tsv", false, "gqa", "resnet101", 100},
      {"mdetr_efficientnetB5_gqa.tsv", false, "gqa", "timm_tf_efficientnet_b5_ns", 100},
      {"mdetr_clevr.tsv", false, "clevr", "resnet18", 25},
  };
  static const char kByte = 0;  // the views are never read: only names and shapes matter here
  for (const auto& c : cases) {
    const auto keys = ReadKeyList(SharedDataDir() + "/../reference/mdetr-keys/" + c.tsv);
    ASSERT_FALSE(keys.empty()) << c.tsv;
    io::StateDict weights;
    for (const auto& [name, dims] : keys) {
      ASSERT_TRUE(weights.Add(name, io::TensorView::Contiguous(io::DType::kFloat32, dims, &kByte)).ok())
          << name;
    }
    auto cfg = inference::ModelConfigFromWeights(io::PyValue(), weights);
    ASSERT_TRUE(cfg.ok()) << c.tsv << ": " << cfg.status();
    EXPECT_EQ(cfg->masks, c.masks) << c.tsv;
    EXPECT_EQ(cfg->qa_dataset, c.qa) << c.tsv;
    EXPECT_EQ(cfg->backbone, c.backbone) << c.tsv;
    EXPECT_EQ(cfg->num_queries, c.num_queries) << c.tsv;
    EXPECT_EQ(cfg->hidden_dim, 256) << c.tsv;
    EXPECT_EQ(cfg->enc_layers, 6) << c.tsv;
    EXPECT_EQ(cfg->dec_layers, 6) << c.tsv;
    if (c.masks) EXPECT_EQ(cfg->nheads, 8) << c.tsv;  // mask_head.lay1 reads 256 + 8 channels
    if (*c.qa != 0) EXPECT_TRUE(cfg->split_qa_heads) << c.tsv;
  }
}

TEST_F(PredictModelKindsTest, SegmentationMasksMatchTheReference) {
  const auto& g = Goldens().at("segm");
  const auto r = Predict(SegmCheckpoint(), g, *dir_ + "/out-segm", "--threshold 0 --json");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  ExpectReferenceMasks(r);
  EXPECT_TRUE(fs::exists(*dir_ + "/out-segm/000000039769_pred.png"));
}

TEST_F(PredictModelKindsTest, SegmentationSafetensorsWithTheirConfigMatchTheReference) {
  // Our own container: the weights in safetensors, the experiment config in its metadata.
  model::MdetrSegm segm(SegmConfig(), false);
  model::FillSyntheticWeights(*segm);
  std::vector<std::shared_ptr<torch::Tensor>> keep;
  io::StateDict views;
  for (const auto& [name, t] : model::NamedStateDict(*segm)) {
    keep.push_back(std::make_shared<torch::Tensor>(t.contiguous()));
    ASSERT_TRUE(views
                    .Add(name, io::TensorView::Contiguous(io::DType::kFloat32, t.sizes().vec(),
                                                          keep.back()->data_ptr(), keep.back()))
                    .ok());
  }
  const std::string path = *dir_ + "/segm.safetensors";
  ASSERT_TRUE(io::WriteSafetensors(path, views, {{"config", kSegmYaml}}).ok());
  const auto r = Predict(path, Goldens().at("segm"), *dir_ + "/out-segm-st", "--threshold 0 --json");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  ExpectReferenceMasks(r);
}

#if MDETR_TEST_HAS_TRAINER
TEST_F(PredictModelKindsTest, TrainerCheckpointOfASegmentationModelMatchesTheReference) {
  // A checkpoint folder of `mdetr train` with model.masks: its recorded config builds the model.
  model::MdetrSegm segm(SegmConfig(), false);
  model::FillSyntheticWeights(*segm);
  trainer::TrainingState state;
  state.model = model::NamedStateDict(*segm);
  state.rank_rng_states = torch::zeros({1, 1}, torch::kUInt8);
  state.config_yaml = kSegmYaml;
  const std::string dir = *dir_ + "/train-segm";
  ASSERT_TRUE(trainer::SaveCheckpoint(dir, state).ok());
  const auto r = Predict(dir, Goldens().at("segm"), *dir_ + "/out-segm-train", "--threshold 0 --json");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  ExpectReferenceMasks(r);
}
#endif

TEST_F(PredictModelKindsTest, SegmentationMasksAreDrawnOverTheImage) {
  const auto& g = Goldens().at("segm");
  const std::string out = *dir_ + "/out-segm-draw";
  const auto r = Predict(SegmCheckpoint(), g, out, "--threshold 0 --json");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto results = JsonOf(r);
  ASSERT_TRUE(results.is_array() && !results.empty()) << r.output;
  auto original = image::ReadImageFile(SharedDataDir() + "/" + g.at("image").get<std::string>());
  auto drawn = image::ReadImageFile(out + "/000000039769_pred.png");
  ASSERT_TRUE(original.ok() && drawn.ok());
  ASSERT_EQ(drawn->width(), original->width());
  ASSERT_EQ(drawn->height(), original->height());
  // Inside the masks the overlay tints every pixel; outside the masks and the boxes (with room for
  // their labels) the picture is untouched.
  std::vector<uint8_t> in_mask(static_cast<size_t>(drawn->width()) * static_cast<size_t>(drawn->height()), 0);
  for (const auto& det : results) {
    if (!det.contains("segmentation")) continue;  // the caption's union record
    auto m = inference::DecodeMaskRle(RleOf(det.at("segmentation")));
    ASSERT_TRUE(m.ok());
    for (size_t i = 0; i < m->size(); ++i) in_mask[i] |= (*m)[i];
  }
  int64_t mask_pixels = 0, tinted = 0, outside = 0, untouched = 0;
  for (int y = 0; y < drawn->height(); ++y) {
    for (int x = 0; x < drawn->width(); ++x) {
      const bool changed = drawn->At(x, y) != original->At(x, y);
      if (in_mask[static_cast<size_t>(y) * static_cast<size_t>(drawn->width()) + static_cast<size_t>(x)]) {
        ++mask_pixels;
        tinted += changed;
      } else {
        ++outside;
        untouched += !changed;
      }
    }
  }
  ASSERT_GT(mask_pixels, 0);
  EXPECT_GE(static_cast<double>(tinted) / static_cast<double>(mask_pixels), 0.99);
  // The box outlines and labels change some pixels outside the masks, not most of them.
  EXPECT_GE(static_cast<double>(untouched) / static_cast<double>(std::max<int64_t>(outside, 1)), 0.5);
}

TEST_F(PredictModelKindsTest, StrictLoadNamesAMissingMaskHeadKey) {
  model::MdetrSegm segm(SegmConfig(), false);
  SaveReferenceLayout(*segm, *dir_ + "/segm-incomplete.pth", "tests/data/inference/segm_args.pkl",
                      "mask_head.adapter2.bias");
  const auto r = Predict(*dir_ + "/segm-incomplete.pth", Goldens().at("segm"), *dir_ + "/out-incomplete", "");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("mask_head.adapter2.bias"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("segm-incomplete.pth"), std::string::npos) << r.output;
}

// The answer record of `mdetr predict --json` against the reference's answer to that question.
void ExpectReferenceAnswer(const CommandResult& r, const nlohmann::json& g) {
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto results = PredictModelKindsTest::JsonOf(r);
  ASSERT_TRUE(results.is_array()) << r.output;
  int answers = 0;
  for (const auto& rec : results) {
    if (!rec.contains("answer")) continue;
    ++answers;
    EXPECT_EQ(rec.at("answer"), g.at("answer"));
    EXPECT_EQ(rec.at("answer_type"), g.at("answer_type"));
    // Measured for GQA: 2e-6 from the reference; read without the args' 4 heads (8, the
    // default), the same weights give a probability 7e-4 off.
    EXPECT_NEAR(rec.at("answer_score").get<double>(), g.at("confidence").get<double>(), 1e-4);
    EXPECT_EQ(rec.at("caption"), g.at("caption"));
  }
  EXPECT_EQ(answers, 1) << r.output;
}

TEST_F(PredictModelKindsTest, GqaAnswerMatchesTheReference) {
  const auto& g = Goldens().at("gqa");
  ExpectReferenceAnswer(Predict(GqaCheckpoint(), g, *dir_ + "/out-gqa",
                                "--answers " + SourceDir() + "/tests/data/model/qa --threshold 0.99 --json"),
                        g);
  // Without --json the answer is printed for the user.
  const auto text = Predict(GqaCheckpoint(), g, *dir_ + "/out-gqa-text",
                            "--answers " + SourceDir() + "/tests/data/model/qa");
  ASSERT_EQ(text.exit_code, 0) << text.output;
  EXPECT_NE(text.output.find("answer: " + g.at("answer").get<std::string>()), std::string::npos)
      << text.output;
  EXPECT_NE(text.output.find("gqa model"), std::string::npos) << text.output;
  // ... and written as a caption line across the top of the picture: white text on dark grey.
  auto drawn = image::ReadImageFile(*dir_ + "/out-gqa-text/n578564_pred.png");
  ASSERT_TRUE(drawn.ok()) << drawn.status();
  int dark = 0, white = 0;
  for (int y = 0; y < 8; ++y) {
    for (int x = 0; x < drawn->width(); ++x) {
      dark += drawn->At(x, y) == image::Rgb{40, 40, 40};
      white += drawn->At(x, y) == image::Rgb{255, 255, 255};
    }
  }
  EXPECT_GT(dark, drawn->width());  // the caption's background spans most of the first rows
  EXPECT_GT(white, 100);            // its letters
}

TEST_F(PredictModelKindsTest, ClevrAnswerMatchesTheReference) {
  const auto& g = Goldens().at("clevr");
  ExpectReferenceAnswer(Predict(ClevrCheckpoint(), g, *dir_ + "/out-clevr", "--json"), g);
}

TEST_F(PredictModelKindsTest, KindIsReadFromTheWeightsWithoutArgs) {
  // The single-head GQA model with the refexp is-final head, saved with no args at all.
  model::Mdetr net(
      TinyConfig({"model.qa_dataset=gqa", "model.split_qa_heads=false", "model.predict_final=true"}), false);
  const std::string path = *dir_ + "/gqa-single-final.pth";
  SaveReferenceLayout(*net, path, "");
  auto cfg = inference::ModelConfigFromCheckpoint(path);
  ASSERT_TRUE(cfg.ok()) << cfg.status();
  EXPECT_EQ(cfg->qa_dataset, "gqa");
  EXPECT_FALSE(cfg->split_qa_heads);
  EXPECT_TRUE(cfg->predict_final);
  EXPECT_FALSE(cfg->masks);
  auto loaded = inference::LoadModelFromCheckpoint(path, SharedDataDir() + "/tokenizer/roberta-base");
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->kind(), inference::ModelKind::kGqa);
  EXPECT_TRUE(loaded->report.clean());

  // The segmentation checkpoint: detr.* keys and the mask head; 8 heads from the mask head's input.
  auto segm = inference::ModelConfigFromCheckpoint(SegmCheckpoint());
  ASSERT_TRUE(segm.ok()) << segm.status();
  EXPECT_TRUE(segm->masks);
  EXPECT_EQ(segm->hidden_dim, 128);
  EXPECT_EQ(segm->nheads, 8);
  EXPECT_EQ(segm->backbone, "resnet18");
  EXPECT_FALSE(segm->contrastive_align_loss);
}

// An is-final model (CLEVR-Ref+) names one object: the query with the best score x sigmoid(is-final),
// the reference's scores_refexp (its ranking is checked in refexp_postprocess_test).
TEST_F(PredictModelKindsTest, IsFinalModelNamesTheReferredObject) {
  model::Mdetr net(TinyConfig({"model.predict_final=true"}), false);
  const std::string path = *dir_ + "/isfinal.pth";
  SaveReferenceLayout(*net, path, "");
  const auto r = Predict(path, Goldens().at("segm"), *dir_ + "/out-isfinal", "--threshold 0 --json");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto results = JsonOf(r);
  ASSERT_TRUE(results.is_array()) << r.output;
  const nlohmann::json* referred = nullptr;
  int best_query = -1;
  double best = -1, min_ratio = 2, max_ratio = -1;
  size_t detections = 0;
  for (const auto& rec : results) {
    if (rec.contains("referred")) {
      referred = &rec.at("referred");
      continue;
    }
    ++detections;
    ASSERT_TRUE(rec.contains("score_refexp")) << rec.dump();
    const double score = rec.at("score"), refexp = rec.at("score_refexp");
    EXPECT_GT(refexp, 0.0);
    EXPECT_LT(refexp, score);  // times a sigmoid
    min_ratio = std::min(min_ratio, refexp / score);
    max_ratio = std::max(max_ratio, refexp / score);
    if (refexp > best) {
      best = refexp;
      best_query = rec.at("query");
    }
  }
  EXPECT_EQ(detections, 16u);  // threshold 0: every query
  ASSERT_NE(referred, nullptr) << r.output;
  EXPECT_EQ(referred->at("query").get<int>(), best_query);
  EXPECT_NEAR(referred->at("score_refexp").get<double>(), best, 1e-6);
  EXPECT_GT(max_ratio - min_ratio, 1e-4) << "the is-final factor is the same for every query";
}

TEST_F(PredictModelKindsTest, GqaWithoutAnswerVocabularyIsNamed) {
  const auto r = Predict(GqaCheckpoint(), Goldens().at("gqa"), *dir_ + "/out-gqa-none", "");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("--answers"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace mdetr::testing
