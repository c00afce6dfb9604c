#include "datasets/annotations/flickr_entities.h"

#include <cstdlib>
#include <sstream>

#include "datasets/annotations/read_text_file.h"
#include "datasets/annotations/tiny_xml.h"

namespace mdetr::annotations {
namespace {

std::vector<std::string> SplitOn(const std::string& s, char sep) {
  std::vector<std::string> parts;
  std::string part;
  std::istringstream in(s);
  while (std::getline(in, part, sep)) parts.push_back(part);
  if (!s.empty() && s.back() == sep) parts.emplace_back();
  return parts;
}

// One sentence line. Mirrors the reference tokenizer: a token starting with '[' opens a phrase
// (its "/EN#id/type" header carries no words), a token ending with ']' closes it.
Status ParseSentence(const std::string& line, const std::string& where, FlickrSentence* out) {
  std::istringstream tokens(line);
  std::vector<std::string> words;
  FlickrPhrase current;
  std::vector<std::string> current_words;
  bool in_phrase = false;
  for (std::string token; tokens >> token;) {
    if (in_phrase) {
      const bool closes = token.back() == ']';
      if (closes) token.pop_back();
      current_words.push_back(token);
      words.push_back(token);
      if (closes) {
        in_phrase = false;
        std::string text;
        for (size_t i = 0; i < current_words.size(); ++i) text += (i ? " " : "") + current_words[i];
        current.text = text;
        out->phrases.push_back(current);
        current_words.clear();
      }
    } else if (token.front() == '[') {
      const std::vector<std::string> parts = SplitOn(token, '/');
      if (parts.size() < 3 || parts[1].compare(0, 3, "EN#") != 0) {
        return InvalidArgumentError(where + ": phrase header '" + token + "': expected [/EN#<id>/<type>");
      }
      current = FlickrPhrase();
      current.entity_id = parts[1].substr(3);
      current.types.assign(parts.begin() + 2, parts.end());
      current.first_word_index = static_cast<int>(words.size());
      in_phrase = true;
    } else {
      words.push_back(token);
    }
  }
  if (in_phrase)
    return InvalidArgumentError(where + ": phrase [/EN#" + current.entity_id + " is not closed by ']'");
  // Character offsets as in MDETR's conversion: length of the preceding words plus one space each.
  std::vector<int> starts;
  int offset = 0;
  for (size_t i = 0; i < words.size(); ++i) {
    out->text += (i ? " " : "") + words[i];
    starts.push_back(offset);
    offset += static_cast<int>(words[i].size()) + 1;
  }
  for (FlickrPhrase& p : out->phrases) {
    p.begin = starts[p.first_word_index];
    p.end = p.begin + static_cast<int>(p.text.size());
  }
  return Status::Ok();
}

Result<int> IntText(const xml::Element* e, const std::string& where) {
  if (e == nullptr) return InvalidArgumentError(where + ": missing");
  char* end = nullptr;
  const long v = std::strtol(e->text.c_str(), &end, 10);  // NOLINT(runtime/int)
  if (e->text.empty() || *end != '\0')
    return InvalidArgumentError(where + ": expected an integer, got '" + e->text + "'");
  return static_cast<int>(v);
}

}  // namespace

Result<std::vector<FlickrSentence>> ParseFlickrSentences(const std::string& text, const std::string& source) {
  std::vector<FlickrSentence> sentences;
  std::istringstream lines(text);
  int line_number = 0;
  for (std::string line; std::getline(lines, line);) {
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    FlickrSentence sentence;
    MDETR_RETURN_IF_ERROR(ParseSentence(line, source + ":" + std::to_string(line_number), &sentence));
    sentences.push_back(std::move(sentence));
  }
  return sentences;
}

Result<std::vector<FlickrSentence>> ReadFlickrSentences(const std::string& path) {
  MDETR_ASSIGN_OR_RETURN(std::string text, ReadTextFile(path));
  return ParseFlickrSentences(text, path);
}

const FlickrEntityBoxes* FlickrImageAnnotation::Find(const std::string& entity_id) const {
  for (const auto& e : entities) {
    if (e.entity_id == entity_id) return &e;
  }
  return nullptr;
}

Result<FlickrImageAnnotation> ParseFlickrAnnotationXml(const std::string& text, const std::string& source) {
  MDETR_ASSIGN_OR_RETURN(auto root, xml::Parse(text, source));
  FlickrImageAnnotation out;
  const xml::Element* size = root->First("size");
  if (size == nullptr) return InvalidArgumentError(source + ": <size>: missing");
  MDETR_ASSIGN_OR_RETURN(out.width, IntText(size->First("width"), source + ": size.width"));
  MDETR_ASSIGN_OR_RETURN(out.height, IntText(size->First("height"), source + ": size.height"));
  MDETR_ASSIGN_OR_RETURN(out.depth, IntText(size->First("depth"), source + ": size.depth"));
  const auto objects = root->All("object");
  for (size_t i = 0; i < objects.size(); ++i) {
    const xml::Element* object = objects[i];
    const std::string where = source + ": object[" + std::to_string(i) + "]";
    const auto names = object->All("name");
    if (names.empty()) return InvalidArgumentError(where + ".name: missing");
    const xml::Element* box = object->First("bndbox");
    if (box != nullptr) {
      std::array<int, 4> corners{};
      const char* tags[4] = {"xmin", "ymin", "xmax", "ymax"};
      for (int k = 0; k < 4; ++k) {
        MDETR_ASSIGN_OR_RETURN(corners[k], IntText(box->First(tags[k]), where + ".bndbox." + tags[k]));
      }
      // An object may carry several names: the box belongs to each of those entities.
      for (const xml::Element* name : names) {
        FlickrEntityBoxes* entity = nullptr;
        for (auto& e : out.entities) {
          if (e.entity_id == name->text) entity = &e;
        }
        if (entity == nullptr) {
          out.entities.push_back({name->text, {}});
          entity = &out.entities.back();
        }
        entity->boxes.push_back(corners);
      }
      continue;
    }
    MDETR_ASSIGN_OR_RETURN(const int nobox, IntText(object->First("nobndbox"), where + ".nobndbox"));
    MDETR_ASSIGN_OR_RETURN(const int scene, IntText(object->First("scene"), where + ".scene"));
    for (const xml::Element* name : names) {
      if (nobox > 0) out.nobox.push_back(name->text);
      if (scene > 0) out.scene.push_back(name->text);
    }
  }
  return out;
}

Result<FlickrImageAnnotation> ReadFlickrAnnotationXml(const std::string& path) {
  MDETR_ASSIGN_OR_RETURN(std::string text, ReadTextFile(path));
  return ParseFlickrAnnotationXml(text, path);
}

}  // namespace mdetr::annotations
