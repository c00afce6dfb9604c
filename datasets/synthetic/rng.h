// A small deterministic random generator. std::uniform_int_distribution differs between standard
// libraries, so the synthetic data draws numbers only through this class: the same seed gives the
// same files on every platform.
#pragma once

#include <cstdint>

namespace mdetr::synthetic {

class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}

  // SplitMix64 (Steele, Lea, Flood 2014).
  uint64_t Next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  // Uniform in [lo, hi]; the modulo bias is below 2^-40 for the small ranges used here.
  int Int(int lo, int hi) { return lo + static_cast<int>(Next() % static_cast<uint64_t>(hi - lo + 1)); }
  bool Chance(double p) { return static_cast<double>(Next() >> 11) * (1.0 / 9007199254740992.0) < p; }

  // A seed for an independent stream, so each picture depends only on (seed, split, index).
  static uint64_t Mix(uint64_t a, uint64_t b) {
    Rng r(a ^ (b * 0xD1B54A32D192ED03ull));
    r.Next();
    return r.Next();
  }

 private:
  uint64_t state_;
};

}  // namespace mdetr::synthetic
