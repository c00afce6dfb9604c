// The pseudo-random numbers a random sweep draws its samples from: splitmix64 (Steele, Lea and
// Flood) to expand a seed, xoshiro256** (Blackman and Vigna) to draw.
//
// Our own small generator rather than std::*_distribution, whose outputs differ between standard
// libraries: a sweep's samples name its trials, so a seed must draw the same values on every build,
// in the CLI (--dry-run) and in the coordinator alike.
#pragma once

#include <array>
#include <cstdint>

namespace mdetr::coordinator {

// One step of splitmix64: advances `state` and returns the next output.
inline uint64_t SplitMix64(uint64_t* state) {
  uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

class Xoshiro256 {
 public:
  // The state is four splitmix64 outputs of `seed`, as the generator's authors recommend.
  explicit Xoshiro256(uint64_t seed) {
    for (auto& word : s_) word = SplitMix64(&seed);
  }
  // A given state (not all zero); for checking against the published output of the algorithm.
  static Xoshiro256 FromState(const std::array<uint64_t, 4>& state) {
    Xoshiro256 rng(0);
    rng.s_ = state;
    return rng;
  }

  uint64_t Next() {
    const uint64_t result = Rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = Rotl(s_[3], 45);
    return result;
  }

  // Uniform in [0, 1): the top 53 bits as a double, exact on every IEEE-754 platform.
  double Uniform01() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }

  // Uniform in [0, n) for n >= 1, without modulo bias (rejects the incomplete last block).
  uint64_t Below(uint64_t n) {
    const uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t x = Next();
    while (x >= limit) x = Next();
    return x % n;
  }

 private:
  static uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::array<uint64_t, 4> s_{};
};

}  // namespace mdetr::coordinator
