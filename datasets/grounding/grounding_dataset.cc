#include "datasets/grounding/grounding_dataset.h"

#include <filesystem>

#include "datasets/image/codec.h"
#include "model/text/positive_map.h"

namespace mdetr::grounding {
namespace fs = std::filesystem;

GroundingDataset::GroundingDataset(DatasetOptions options, std::shared_ptr<const annotations::CocoDataset> data,
                                   std::shared_ptr<const text::RobertaTokenizer> tokenizer, TaskFields task)
    : options_(std::move(options)), data_(std::move(data)), tokenizer_(std::move(tokenizer)), task_(std::move(task)) {
  order_ = data_->ImagesSortedById();
}

Result<std::shared_ptr<GroundingDataset>> GroundingDataset::Open(const DatasetOptions& options,
                                                                 std::shared_ptr<const text::RobertaTokenizer> tokenizer) {
  auto data = annotations::ReadCocoJson(options.ann_file);
  if (!data.ok()) return data.status();
  if (!fs::is_directory(options.image_dir)) {
    return NotFoundError(options.image_dir + ": image folder does not exist (for " + options.ann_file + ")");
  }
  auto task = TaskFields::Open(options.task, *data, options.ann_file);
  if (!task.ok()) return task.status();
  auto shared = std::make_shared<const annotations::CocoDataset>(std::move(data).value());
  return std::shared_ptr<GroundingDataset>(
      new GroundingDataset(options, std::move(shared), std::move(tokenizer), std::move(task).value()));
}

Result<Sample> GroundingDataset::Get(int64_t index, std::mt19937_64& rng) const {
  if (index < 0 || index >= size()) return OutOfRangeError("sample " + std::to_string(index) + " of " + std::to_string(size()));
  const uint32_t img_index = order_[static_cast<size_t>(index)];
  const auto& rec = data_->images()[img_index];
  const std::string path = (fs::path(options_.image_dir) / std::string(data_->str(rec.file_name))).string();
  auto decoded = image::ReadImageFile(path);
  if (!decoded.ok()) return decoded.status();

  Sample s;
  s.index = index;
  s.image_id = rec.id;
  s.caption = std::string(data_->str(rec.caption));
  s.orig_width = decoded->width();
  s.orig_height = decoded->height();
  ImageWithBoxes x;
  // 8-bit HWC, as PIL holds it; `decoded` outlives every use of this view.
  x.image = torch::from_blob(const_cast<uint8_t*>(decoded->data()), {decoded->height(), decoded->width(), 3},
                             torch::kUInt8);
  std::vector<float> boxes;
  std::vector<uint32_t> kept;  // the annotations behind the boxes, in order
  for (uint32_t a : data_->AnnotationsOf(img_index)) {
    const auto& ann = data_->annotations()[a];
    if (ann.iscrowd) continue;
    // xywh -> xyxy, clipped to the image, as the reference's ConvertCocoPolysToMask.
    const double x0 = std::clamp(ann.bbox[0], 0.0, static_cast<double>(s.orig_width));
    const double y0 = std::clamp(ann.bbox[1], 0.0, static_cast<double>(s.orig_height));
    const double x1 = std::clamp(ann.bbox[0] + ann.bbox[2], 0.0, static_cast<double>(s.orig_width));
    const double y1 = std::clamp(ann.bbox[1] + ann.bbox[3], 0.0, static_cast<double>(s.orig_height));
    if (x1 <= x0 || y1 <= y0) continue;
    x.box_index.push_back(static_cast<int64_t>(kept.size()));
    kept.push_back(a);
    boxes.insert(boxes.end(), {static_cast<float>(x0), static_cast<float>(y0), static_cast<float>(x1),
                               static_cast<float>(y1)});
    std::vector<text::CharSpan> spans;
    for (const auto& sp : data_->SpanList(ann.tokens_positive)) spans.push_back({sp.begin, sp.end});
    x.spans.push_back(std::move(spans));
  }
  x.boxes = torch::tensor(boxes).reshape({-1, 4});
  s.orig_boxes = x.boxes.clone();
  if (task_.options().masks) {
    x.masks = task_.Masks(*data_, kept, static_cast<int>(s.orig_width), static_cast<int>(s.orig_height));
  }
  if (!task_.options().qa_dataset.empty()) s.answer = task_.Answer(*data_, img_index);
  for (const auto& phrase : data_->EvalPhrases(img_index)) {
    std::vector<text::CharSpan> spans;
    for (const auto& sp : phrase) spans.push_back({sp.begin, sp.end});
    s.eval_phrases.push_back(std::move(spans));
  }
  for (const auto& box_spans : x.spans) {
    int found = -1;
    for (size_t p = 0; p < s.eval_phrases.size() && found < 0; ++p) {
      for (const auto& a : s.eval_phrases[p]) {
        for (const auto& b : box_spans) {
          if (a.begin < b.end && b.begin < a.end) found = static_cast<int>(p);
        }
      }
    }
    s.box_phrase.push_back(found);
  }

  auto y = options_.train ? TrainTransform(x, options_.transforms, rng) : EvalTransform(x, options_.transforms);
  // A transform that keeps the size returns the view of `decoded`, which dies with this call.
  s.pixels = y.image.data_ptr() == decoded->data() ? y.image.clone() : y.image.contiguous();
  s.boxes = NormalizedCxcywh(y.boxes, y.image.size(0), y.image.size(1));
  s.tokens_positive = y.spans;
  if (y.masks.defined()) s.masks = y.masks;
  if (task_.options().isfinal) {
    std::vector<float> flags;
    for (int64_t k : y.box_index) flags.push_back(data_->annotations()[kept[static_cast<size_t>(k)]].isfinal > 0 ? 1.f : 0.f);
    s.isfinal = torch::tensor(flags, torch::kFloat32).reshape({-1});
  }

  text::EncodeOptions enc;
  enc.max_tokens = text::kPositiveMapWidth;
  auto encoding = tokenizer_->Encode(s.caption, enc);
  if (!encoding.ok()) return encoding.status().WithContext(options_.ann_file + ": image id " + std::to_string(rec.id));
  s.encoding = *encoding;
  auto map = text::CreatePositiveMap(s.encoding, s.tokens_positive);
  s.positive_map = torch::from_blob(map.data(), {static_cast<int64_t>(s.tokens_positive.size()), text::kPositiveMapWidth},
                                    torch::kFloat32)
                       .clone();
  return s;
}

}  // namespace mdetr::grounding
