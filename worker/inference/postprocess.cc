#include "worker/inference/postprocess.h"

#include <algorithm>

#include "model/text/utf8.h"

namespace mdetr::inference {
namespace {

// Code-point span [begin,end) of `text` as UTF-8 bytes.
std::string Substring(const std::string& text, int64_t begin, int64_t end) {
  int64_t cp = 0;
  size_t byte_begin = text.size(), byte_end = text.size();
  for (size_t i = 0; i <= text.size(); ++i) {
    if (i == text.size() || (static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) {
      if (cp == begin && byte_begin == text.size()) byte_begin = i;
      if (cp == end) {
        byte_end = i;
        break;
      }
      ++cp;
    }
  }
  if (byte_begin >= byte_end) return "";
  return text.substr(byte_begin, byte_end - byte_begin);
}

}  // namespace

std::vector<Detection> ExtractDetections(const model::MdetrOutputs& out, int64_t b, int image_width,
                                         int image_height, const std::string& caption,
                                         const text::Encoding& encoding, const PostprocessOptions& options) {
  const auto probs = out.logits()[b].softmax(-1).to(torch::kCPU);  // [Q,256]
  const auto boxes = out.boxes()[b].to(torch::kCPU);               // [Q,4] cx,cy,w,h
  const auto scores = 1.0 - probs.select(1, probs.size(1) - 1);
  std::vector<Detection> dets;
  for (int64_t q = 0; q < probs.size(0); ++q) {
    const float score = scores[q].item<float>();
    if (score < options.score_threshold) continue;
    Detection d;
    d.score = score;
    d.query = static_cast<int>(q);
    const auto box = boxes[q];
    const float cx = box[0].item<float>(), cy = box[1].item<float>(), w = box[2].item<float>(),
                h = box[3].item<float>();
    d.x0 = (cx - w / 2) * image_width;
    d.y0 = (cy - h / 2) * image_height;
    d.x1 = (cx + w / 2) * image_width;
    d.y1 = (cy + h / 2) * image_height;
    // Token positions above the threshold (the last slot is "no object"), merged into phrases.
    std::vector<std::pair<int64_t, int64_t>> spans;
    for (int64_t t = 0; t < std::min<int64_t>(probs.size(1) - 1, encoding.size()); ++t) {
      if (probs[q][t].item<float>() <= options.token_threshold) continue;
      auto chars = encoding.TokenToChars(t);
      if (!chars) continue;
      if (!spans.empty() && chars->begin <= spans.back().second + 1) {
        spans.back().second = std::max(spans.back().second, chars->end);
      } else {
        spans.emplace_back(chars->begin, chars->end);
      }
    }
    for (const auto& [begin, end] : spans) {
      if (!d.phrase.empty()) d.phrase += " ";
      d.phrase += Substring(caption, begin, end);
    }
    dets.push_back(std::move(d));
  }
  std::sort(dets.begin(), dets.end(), [](const Detection& a, const Detection& c) { return a.score > c.score; });
  return dets;
}

}  // namespace mdetr::inference
