// GenerateSyntheticDataset: a seeded, byte-for-byte reproducible grounding dataset in the MDETR
// annotation format, small enough to train and evaluate the tiny CPU model end to end.
//
// Layout under out_dir (what configs/tasks/synthetic_tiny.yaml reads):
//   images/train_000000.png ...      scenes of the training split
//   images/val_000000.png ...        held-out scenes (disjoint from training)
//   train.json, val.json             Flickr-style: several grounded phrases per caption,
//                                    captions_per_image captions per scene (sentence_id 0..k-1),
//                                    one annotation per grounded object with its phrase span in
//                                    tokens_positive, and tokens_positive_eval listing the
//                                    phrases in annotation order (phrase i <-> annotation i)
//   refexp_train.json, refexp_val.json
//                                    RefCOCO-style: one grounded object per caption, a single
//                                    annotation whose tokens_positive is its noun phrase
// Every image entry is one (scene, caption) pair, as in MDETR's files; "original_id" is the
// scene number and file_name is relative to images/.
#pragma once

#include <cstdint>
#include <string>

#include "common/status.h"
#include "datasets/synthetic/scene.h"

namespace mdetr::synthetic {

struct SyntheticOptions {
  std::string out_dir;
  int num_images = 100;  // scenes in all; val takes val_fraction of them (at least 1 if >= 2)
  double val_fraction = 0.2;
  uint64_t seed = 0;
  SceneOptions scene;
  int captions_per_image = 2;  // Flickr-style captions per scene
  int max_phrases = 3;         // grounded phrases per Flickr-style caption
  int refexp_per_image = 2;    // RefCOCO-style expressions per scene
};

// Writes the dataset; an existing out_dir is reused (files of the same name are replaced).
// Same options -> byte-identical files.
Status GenerateSyntheticDataset(const SyntheticOptions& options);

}  // namespace mdetr::synthetic
