#include "tests/text/golden_data.h"

#include <cstdio>
#include <fstream>
#include <memory>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/support/test_paths.h"

namespace mdetr::text::testing {
namespace {

std::unique_ptr<Goldens> ReadGoldens() {
  const std::string path = mdetr::testing::SourceDir() + "/tests/data/tokenizer/roberta_goldens.json";
  std::ifstream in(path);
  if (!in) {
    ADD_FAILURE() << "cannot open " << path;
    return nullptr;
  }
  const nlohmann::json doc = nlohmann::json::parse(in);
  auto goldens = std::make_unique<Goldens>();
  for (const auto& c : doc.at("captions")) {
    GoldenCaption caption;
    caption.source = c.at("source").get<std::string>();
    caption.text = c.at("text").get<std::string>();
    caption.ids = c.at("ids").get<std::vector<int64_t>>();
    const auto flat = c.at("offsets").get<std::vector<int64_t>>();
    for (size_t i = 0; i + 1 < flat.size(); i += 2) caption.offsets.push_back({flat[i], flat[i + 1]});
    caption.char_to_token = c.at("char_to_token").get<std::vector<int64_t>>();
    caption.token_to_chars_none = c.at("token_to_chars_none").get<std::vector<int64_t>>();
    goldens->captions.push_back(std::move(caption));
  }
  for (const auto& b : doc.at("batches")) {
    goldens->batches.push_back({b.at("captions").get<std::vector<int>>(),
                                b.at("input_ids").get<std::vector<std::vector<int64_t>>>(),
                                b.at("attention_mask").get<std::vector<std::vector<int64_t>>>()});
  }
  for (const auto& p : doc.at("positive_maps")) {
    GoldenPositiveMap map;
    map.source = p.at("source").get<std::string>();
    map.caption = p.at("caption").get<int>();
    for (const auto& box : p.at("spans")) {
      std::vector<CharSpan> spans;
      for (const auto& span : box) spans.push_back({span.at(0).get<int64_t>(), span.at(1).get<int64_t>()});
      map.spans.push_back(std::move(spans));
    }
    for (const auto& row : p.at("rows")) {
      std::vector<std::pair<int64_t, float>> entries;
      for (const auto& e : row) entries.emplace_back(e.at(0).get<int64_t>(), e.at(1).get<float>());
      map.rows.push_back(std::move(entries));
    }
    goldens->positive_maps.push_back(std::move(map));
  }
  for (const auto& [name, ranges] : doc.at("unicode_classes").items()) {
    for (const auto& range : ranges) {
      goldens->unicode_classes[name].emplace_back(range.at(0).get<uint32_t>(), range.at(1).get<uint32_t>());
    }
  }
  return goldens;
}

}  // namespace

const Goldens* LoadGoldens() {
  static const std::unique_ptr<Goldens> goldens = ReadGoldens();
  return goldens.get();
}

const RobertaTokenizer* LoadRobertaBase() {
  static const std::unique_ptr<RobertaTokenizer> tokenizer = []() -> std::unique_ptr<RobertaTokenizer> {
    auto result =
        RobertaTokenizer::FromDirectory(mdetr::testing::SharedDataDir() + "/tokenizer/roberta-base");
    if (!result.ok()) {
      ADD_FAILURE() << result.status();
      return nullptr;
    }
    return std::make_unique<RobertaTokenizer>(std::move(result).value());
  }();
  return tokenizer.get();
}

std::string Printable(const std::string& text) {
  std::string out = "\"";
  for (unsigned char c : text) {
    if (c < 0x20 || c == 0x7F || c == '"' || c == '\\') {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\x%02X", c);
      out += buf;
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  return out + "\"";
}

}  // namespace mdetr::text::testing
