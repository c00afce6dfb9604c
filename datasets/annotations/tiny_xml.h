// A minimal XML reader for small, machine-written files such as Flickr30k Entities' Annotations:
// elements, text, attributes (skipped), comments, declarations, and the five predefined entities.
// No DTDs, namespaces or CDATA. Internal to the annotation readers.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/status.h"

namespace mdetr::annotations::xml {

struct Element {
  std::string name;
  std::string text;  // concatenated character data directly inside this element, trimmed
  std::vector<std::unique_ptr<Element>> children;

  // Children with this tag name, in document order.
  std::vector<const Element*> All(const std::string& tag) const;
  // The first child with this tag name, or nullptr.
  const Element* First(const std::string& tag) const;
};

// Parses a document and returns its root element; errors name `source` and the byte offset.
Result<std::unique_ptr<Element>> Parse(const std::string& text, const std::string& source);

}  // namespace mdetr::annotations::xml
