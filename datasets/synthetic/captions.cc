#include "datasets/synthetic/captions.h"

#include <algorithm>

namespace mdetr::synthetic {
namespace {

constexpr Relation kRelations[] = {Relation::kLeftOf, Relation::kRightOf, Relation::kAbove, Relation::kBelow};
constexpr const char* kPrefixes[] = {"", "there is ", "i see ", "a picture of "};

struct Description {
  bool size = false;
  bool color = false;
};

bool Matches(const SceneObject& a, const SceneObject& b, Description d) {
  return a.shape == b.shape && (!d.size || a.size == b.size) && (!d.color || a.color == b.color);
}

bool Unique(const Scene& scene, int index, Description d) {
  for (size_t j = 0; j < scene.objects.size(); ++j) {
    if (static_cast<int>(j) != index && Matches(scene.objects[index], scene.objects[j], d)) return false;
  }
  return true;
}

// The fewest attributes that single the object out; sometimes more, for variety.
bool Describe(const Scene& scene, int index, Rng& rng, Description* out) {
  constexpr Description kOrder[] = {{false, false}, {false, true}, {true, false}, {true, true}};
  for (const Description& d : kOrder) {
    if (Unique(scene, index, d)) {
      *out = d;
      if (rng.Chance(0.3)) out->color = true;  // still unique: a superset of a unique description
      return true;
    }
  }
  return false;
}

std::string NounPhrase(const Scene& scene, int index, Description d) {
  const SceneObject& o = scene.objects[index];
  std::string s = "the ";
  if (d.size) s += std::string(SizeName(o.size)) + " ";
  if (d.color) s += std::string(Palette()[o.color].name) + " ";
  return s + ShapeName(o.shape);
}

// Appends a phrase for `index` and records its span.
void AppendPhrase(const Scene& scene, int index, Rng& rng, Caption* caption, bool grounded) {
  Description d;
  Describe(scene, index, rng, &d);
  const std::string np = NounPhrase(scene, index, d);
  const int begin = static_cast<int>(caption->text.size());
  caption->text += np;
  if (grounded) caption->phrases.push_back({index, begin, static_cast<int>(caption->text.size())});
}

// A relation from a to some b in `candidates` (random choice among the true ones), or false.
bool PickRelation(const Scene& scene, int a, const std::vector<int>& candidates, Rng& rng, int* b,
                  Relation* relation) {
  std::vector<std::pair<int, Relation>> options;
  for (int c : candidates) {
    if (c == a) continue;
    for (Relation r : kRelations) {
      if (RelationHolds(r, scene.objects[a].box, scene.objects[c].box)) options.emplace_back(c, r);
    }
  }
  if (options.empty()) return false;
  const auto& pick = options[rng.Int(0, static_cast<int>(options.size()) - 1)];
  *b = pick.first;
  *relation = pick.second;
  return true;
}

}  // namespace

const char* RelationWords(Relation relation) {
  switch (relation) {
    case Relation::kLeftOf:
      return "left of";
    case Relation::kRightOf:
      return "right of";
    case Relation::kAbove:
      return "above";
    case Relation::kBelow:
      return "below";
  }
  return "?";
}

bool RelationHolds(Relation relation, const image::PixelRect& a, const image::PixelRect& b) {
  switch (relation) {
    case Relation::kLeftOf:
      return a.x1 < b.x0;
    case Relation::kRightOf:
      return a.x0 > b.x1;
    case Relation::kAbove:
      return a.y1 < b.y0;
    case Relation::kBelow:
      return a.y0 > b.y1;
  }
  return false;
}

std::vector<int> ReferableObjects(const Scene& scene) {
  std::vector<int> out;
  for (size_t i = 0; i < scene.objects.size(); ++i) {
    if (Unique(scene, static_cast<int>(i), {true, true})) out.push_back(static_cast<int>(i));
  }
  return out;
}

Caption FlickrStyleCaption(const Scene& scene, Rng& rng, int max_phrases) {
  Caption caption;
  std::vector<int> pool = ReferableObjects(scene);
  if (pool.empty()) return caption;
  // Fisher-Yates with our generator, then keep the first few.
  for (int i = static_cast<int>(pool.size()) - 1; i > 0; --i) std::swap(pool[i], pool[rng.Int(0, i)]);
  const int count = std::min(static_cast<int>(pool.size()), rng.Int(1, std::max(1, max_phrases)));
  std::vector<int> chosen(pool.begin(), pool.begin() + count);
  caption.text = kPrefixes[rng.Int(0, 3)];
  std::vector<bool> used(chosen.size(), false);
  bool first_clause = true;
  for (size_t i = 0; i < chosen.size(); ++i) {
    if (used[i]) continue;
    used[i] = true;
    if (!first_clause) caption.text += " and ";
    first_clause = false;
    AppendPhrase(scene, chosen[i], rng, &caption, true);
    std::vector<int> rest;
    for (size_t j = i + 1; j < chosen.size(); ++j) {
      if (!used[j]) rest.push_back(chosen[j]);
    }
    int other = 0;
    Relation relation = Relation::kLeftOf;
    if (rng.Chance(0.8) && PickRelation(scene, chosen[i], rest, rng, &other, &relation)) {
      caption.text += std::string(" ") + RelationWords(relation) + " ";
      AppendPhrase(scene, other, rng, &caption, true);
      used[std::find(chosen.begin(), chosen.end(), other) - chosen.begin()] = true;
    }
  }
  caption.text += ".";
  return caption;
}

Caption RefexpCaption(const Scene& scene, int target, Rng& rng) {
  Caption caption;
  AppendPhrase(scene, target, rng, &caption, true);
  std::vector<int> others = ReferableObjects(scene);
  int other = 0;
  Relation relation = Relation::kLeftOf;
  if (rng.Chance(0.7) && PickRelation(scene, target, others, rng, &other, &relation)) {
    caption.text += std::string(" ") + RelationWords(relation) + " ";
    AppendPhrase(scene, other, rng, &caption, false);
  }
  return caption;
}

}  // namespace mdetr::synthetic
