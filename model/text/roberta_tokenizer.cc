#include "model/text/roberta_tokenizer.h"

#include <algorithm>
#include <utility>

#include "model/text/pre_tokenizer.h"
#include "model/text/unicode_classes.h"

namespace mdetr::text {
namespace {

// The byte-level character 'Ġ' stands for a space byte; trim_offsets drops such characters at
// either end of a token from its span.
constexpr char kSpaceByte = ' ';

std::string Preview(std::string_view text) {
  constexpr size_t kMaxBytes = 60;
  if (text.size() <= kMaxBytes) return "\"" + std::string(text) + "\"";
  size_t cut = kMaxBytes;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;  // keep UTF-8 whole
  return "\"" + std::string(text.substr(0, cut)) + "...\"";
}

}  // namespace

Result<RobertaTokenizer> RobertaTokenizer::FromDirectory(const std::string& dir, size_t bpe_cache_capacity) {
  return FromFiles(dir + "/vocab.json", dir + "/merges.txt", bpe_cache_capacity);
}

Result<RobertaTokenizer> RobertaTokenizer::FromFiles(const std::string& vocab_json_path,
                                                     const std::string& merges_txt_path,
                                                     size_t bpe_cache_capacity) {
  MDETR_ASSIGN_OR_RETURN(Vocabulary vocab, ReadVocabularyJson(vocab_json_path));
  MDETR_ASSIGN_OR_RETURN(std::vector<MergeRule> merges, ReadMerges(merges_txt_path));
  return Create(vocab, merges, merges_txt_path, bpe_cache_capacity);
}

Result<RobertaTokenizer> RobertaTokenizer::Create(const Vocabulary& vocab,
                                                  const std::vector<MergeRule>& merges,
                                                  const std::string& merges_source,
                                                  size_t bpe_cache_capacity) {
  MDETR_ASSIGN_OR_RETURN(BytePairEncoder bpe,
                         BytePairEncoder::Create(vocab, merges, merges_source, bpe_cache_capacity));
  RobertaTokenizer tokenizer(std::move(bpe));

  int32_t max_id = 0;
  for (const auto& [token, id] : vocab) max_id = std::max(max_id, id);
  tokenizer.id_to_token_.resize(static_cast<size_t>(max_id) + 1);
  for (const auto& [token, id] : vocab) tokenizer.id_to_token_[id] = token;
  tokenizer.vocab_ = vocab;

  // Hugging Face registers <mask> with lstrip=True and the others without stripping.
  const std::pair<const char*, bool> kSpecials[] = {
      {"<s>", false}, {"<pad>", false}, {"</s>", false}, {"<unk>", false}, {"<mask>", true}};
  for (const auto& [text, strip_left] : kSpecials) {
    auto it = vocab.find(text);
    if (it == vocab.end())
      return InvalidArgumentError(std::string("vocabulary has no special token \"") + text + "\"");
    tokenizer.specials_.push_back({text, it->second, strip_left});
  }
  tokenizer.bos_id_ = tokenizer.specials_[0].id;
  tokenizer.pad_id_ = tokenizer.specials_[1].id;
  tokenizer.eos_id_ = tokenizer.specials_[2].id;
  tokenizer.unk_id_ = tokenizer.specials_[3].id;
  tokenizer.mask_id_ = tokenizer.specials_[4].id;
  return tokenizer;
}

std::optional<int64_t> RobertaTokenizer::TokenToId(std::string_view token) const {
  auto it = vocab_.find(std::string(token));
  if (it == vocab_.end()) return std::nullopt;
  return it->second;
}

const std::string& RobertaTokenizer::IdToToken(int64_t id) const {
  static const std::string kNone;
  if (id < 0 || id >= vocab_size()) return kNone;
  return id_to_token_[id];
}

Result<Encoding> RobertaTokenizer::Encode(std::string_view text, const EncodeOptions& options) const {
  MDETR_ASSIGN_OR_RETURN(DecodedText decoded, DecodeUtf8(text));
  Encoding out;
  out.ids.reserve(text.size() / 3 + 4);
  out.offsets.reserve(text.size() / 3 + 4);
  out.special_tokens_mask.reserve(text.size() / 3 + 4);
  auto add = [&out](int64_t id, CharSpan span, bool added) {
    out.ids.push_back(id);
    out.offsets.push_back(span);
    out.special_tokens_mask.push_back(added ? 1 : 0);
  };
  add(bos_id_, {0, 0}, true);

  // Special tokens are ASCII and none is a prefix or an infix of another, so scanning for '<' and
  // taking the one that matches there is the leftmost-longest match Hugging Face makes.
  int32_t done_char = 0;  // code points before this are encoded
  int32_t cursor_char = 0;
  size_t search = 0;
  while ((search = text.find('<', search)) != std::string_view::npos) {
    const SpecialToken* match = nullptr;
    for (const SpecialToken& special : specials_) {
      if (text.compare(search, special.text.size(), special.text) == 0) {
        match = &special;
        break;
      }
    }
    if (match == nullptr) {
      ++search;
      continue;
    }
    while (decoded.byte_begin[cursor_char] < static_cast<int32_t>(search)) ++cursor_char;
    const int32_t match_begin = cursor_char;
    const int32_t match_end = match_begin + static_cast<int32_t>(match->text.size());
    int32_t text_end = match_begin;
    // lstrip in tokenizers 0.10 is the pattern (\s)?<mask>: at most one whitespace character.
    if (match->strip_left && text_end > done_char && IsWhitespace(decoded.code_points[text_end - 1])) {
      --text_end;
    }
    EncodeOrdinaryText(text, decoded, done_char, text_end, &out);
    add(match->id, {match_begin, match_end}, false);
    done_char = match_end;
    search += match->text.size();
  }
  EncodeOrdinaryText(text, decoded, done_char, decoded.size(), &out);
  add(eos_id_, {0, 0}, true);

  if (options.max_tokens && out.size() > *options.max_tokens) {
    return OutOfRangeError("caption " + Preview(text) + " has " + std::to_string(out.size()) +
                           " tokens with <s> and </s>, more than the limit of " +
                           std::to_string(*options.max_tokens));
  }
  return out;
}

void RobertaTokenizer::EncodeOrdinaryText(std::string_view text, const DecodedText& decoded, int32_t begin,
                                          int32_t end, Encoding* out) const {
  if (begin >= end) return;
  std::vector<PieceSpan> pieces;
  PreTokenize(decoded.code_points.data(), begin, end, &pieces);
  std::vector<BpeToken> tokens;
  for (const PieceSpan& piece : pieces) {
    const int32_t piece_byte = decoded.byte_begin[piece.begin];
    tokens.clear();
    bpe_.Encode(text.substr(piece_byte, decoded.byte_begin[piece.end] - piece_byte), &tokens);

    int32_t byte = piece_byte;
    int32_t c = piece.begin;  // code point holding `byte`
    for (const BpeToken& token : tokens) {
      const int32_t token_end_byte = byte + token.num_bytes;
      while (decoded.byte_begin[c + 1] <= byte) ++c;
      int32_t last = c;  // code point holding the token's last byte
      while (decoded.byte_begin[last + 1] < token_end_byte) ++last;
      int64_t span_begin = c;
      int64_t span_end = last + 1;

      int64_t leading = 0;
      while (byte + leading < token_end_byte && text[byte + leading] == kSpaceByte) ++leading;
      int64_t trailing = 0;
      while (trailing < token.num_bytes && text[token_end_byte - 1 - trailing] == kSpaceByte) ++trailing;
      // trim_offsets exactly as Hugging Face's byte-level post-processing does it.
      if (leading > 0) span_begin = std::min(span_begin + leading, span_end);
      if (trailing > 0 && span_end >= trailing) span_end = std::max(span_end - trailing, span_begin);

      out->ids.push_back(token.id);
      out->offsets.push_back({span_begin, span_end});
      out->special_tokens_mask.push_back(0);
      byte = token_end_byte;
    }
  }
}

Result<BatchEncoding> RobertaTokenizer::EncodeBatch(const std::vector<std::string>& texts,
                                                    const EncodeOptions& options) const {
  BatchEncoding batch;
  batch.batch_size = static_cast<int64_t>(texts.size());
  batch.encodings.reserve(texts.size());
  for (size_t i = 0; i < texts.size(); ++i) {
    Result<Encoding> encoding = Encode(texts[i], options);
    if (!encoding.ok())
      return encoding.status().WithContext("caption " + std::to_string(i) + " of the batch");
    batch.length = std::max(batch.length, encoding->size());
    batch.encodings.push_back(std::move(encoding).value());
  }
  batch.input_ids.assign(batch.batch_size * batch.length, pad_id_);
  batch.attention_mask.assign(batch.batch_size * batch.length, 0);
  for (int64_t b = 0; b < batch.batch_size; ++b) {
    const Encoding& encoding = batch.encodings[b];
    std::copy(encoding.ids.begin(), encoding.ids.end(), batch.input_ids.begin() + b * batch.length);
    std::fill_n(batch.attention_mask.begin() + b * batch.length, encoding.size(), 1);
  }
  return batch;
}

}  // namespace mdetr::text
