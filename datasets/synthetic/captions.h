// Referring expressions about a synthetic scene: each mentioned object is named by the fewest
// attributes (size, colour) that single it out, optionally with a spatial relation to another
// object that is true of the drawn boxes.
#pragma once

#include <string>
#include <vector>

#include "datasets/synthetic/rng.h"
#include "datasets/synthetic/scene.h"

namespace mdetr::synthetic {

enum class Relation { kLeftOf, kRightOf, kAbove, kBelow };

const char* RelationWords(Relation relation);

// Whether `relation` holds from a to b: the boxes are fully separated along that axis,
// e.g. kLeftOf means a's rightmost visible pixel is left of b's leftmost one.
bool RelationHolds(Relation relation, const image::PixelRect& a, const image::PixelRect& b);

// A phrase of a caption that names one object: [begin, end) character offsets (ASCII text, so
// bytes and characters agree).
struct Phrase {
  int object = 0;  // index into Scene::objects
  int begin = 0;
  int end = 0;
};

struct Caption {
  std::string text;
  std::vector<Phrase> phrases;  // the grounded objects, each mentioned once, in caption order
};

// Objects that some attribute combination names uniquely.
std::vector<int> ReferableObjects(const Scene& scene);

// "the small red circle left of the blue square and the green triangle."
// Several grounded phrases (up to max_phrases); every phrase is a grounded object.
Caption FlickrStyleCaption(const Scene& scene, Rng& rng, int max_phrases);

// "the small red circle left of the blue square": one grounded object (`target`), optionally
// located relative to another object that is not grounded. Returns a caption with one phrase.
Caption RefexpCaption(const Scene& scene, int target, Rng& rng);

}  // namespace mdetr::synthetic
