// Flickr30k Entities annotation files (BryanPlummer/flickr30k_entities):
//  * Sentences/<image_id>.txt: five captions with "[/EN#<entity>/<type>[/<type>...] words]" markup.
//    Parsed as the reference's get_sentence_data does (whitespace tokens, markup removed, words
//    joined by one space), plus each phrase's [begin, end) character span in that cleaned
//    sentence, computed as MDETR's flickr_combined.py computes tokens_positive.
//  * Annotations/<image_id>.xml: image size and, per entity id, its boxes [xmin, ymin, xmax, ymax]
//    (inclusive pixel corners, as in the file), or the flags "nobox" / "scene".
#pragma once

#include <array>
#include <string>
#include <vector>

#include "common/status.h"

namespace mdetr::annotations {

struct FlickrPhrase {
  std::string text;                // the phrase words joined by spaces
  std::string entity_id;           // "221796"; "0" for the unannotated ("notvisual") phrases
  std::vector<std::string> types;  // "people", "clothing", ... (usually one)
  int first_word_index = 0;        // index of the phrase's first word in the cleaned sentence
  int begin = 0;                   // character span in FlickrSentence::text
  int end = 0;
};

struct FlickrSentence {
  std::string text;  // the sentence without markup
  std::vector<FlickrPhrase> phrases;
};

// Every non-empty line of the file is one sentence. An unterminated phrase or a malformed
// "[/EN#id/type" header is an error naming the file and line.
Result<std::vector<FlickrSentence>> ReadFlickrSentences(const std::string& path);
Result<std::vector<FlickrSentence>> ParseFlickrSentences(const std::string& text, const std::string& source);

struct FlickrEntityBoxes {
  std::string entity_id;
  std::vector<std::array<int, 4>> boxes;  // xmin, ymin, xmax, ymax
};

struct FlickrImageAnnotation {
  int width = 0;
  int height = 0;
  int depth = 0;
  std::vector<FlickrEntityBoxes> entities;  // entities with boxes, in order of first appearance
  std::vector<std::string> nobox;           // entities marked not visible
  std::vector<std::string> scene;           // entities marked as the whole scene

  // Boxes of one entity, or nullptr when it has none.
  const FlickrEntityBoxes* Find(const std::string& entity_id) const;
};

Result<FlickrImageAnnotation> ReadFlickrAnnotationXml(const std::string& path);
Result<FlickrImageAnnotation> ParseFlickrAnnotationXml(const std::string& xml, const std::string& source);

}  // namespace mdetr::annotations
