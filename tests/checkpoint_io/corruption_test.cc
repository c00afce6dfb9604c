// Truncated and bit-flipped fixtures: every reader must return a Status naming the file (or, for a
// flip that leaves the file valid, a result whose views stay inside the mapping), never crash.
// Run under the sanitizer build (-DMDETR_SANITIZE=ON) to catch out-of-bounds reads.
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "model/io/load_weights.h"
#include "model/io/mapped_file.h"
#include "model/io/safetensors.h"
#include "model/io/torch_checkpoint.h"
#include "tests/checkpoint_io/expectations.h"
#include "tests/support/test_paths.h"

namespace mdetr::io {
namespace {

using testing::FixturePath;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

class Mutations {
 public:
  explicit Mutations(const std::string& fixture)
      : original_(ReadFile(FixturePath(fixture))),
        path_(mdetr::testing::MakeTempDir("ckpt-fuzz") + "/" + fixture.substr(fixture.rfind('/') + 1)) {}

  const std::string& original() const { return original_; }

  // Writes `bytes` to the scratch file and runs every reader over it, touching all data.
  void Check(const std::string& bytes, const std::string& what) {
    std::ofstream(path_, std::ios::binary | std::ios::trunc) << bytes;
    ++runs_;
    auto weights = LoadWeights(path_);
    if (!weights.ok()) {
      ++errors_;
      EXPECT_NE(weights.status().message().find(path_), std::string::npos)
          << what << ": " << weights.status();
    } else {
      Touch(weights->tensors);
    }
    // The generic reader must cope too, including rendering whatever it rebuilt.
    auto checkpoint = LoadTorchCheckpoint(path_);
    if (checkpoint.ok()) {
      (void)checkpoint->root.Repr(4, 16);
      for (const auto& [key, value] : checkpoint->root.items()) {
        if (value.is_dict()) {
          auto sd = StateDictFromDict(value);
          if (sd.ok()) Touch(*sd);
        }
      }
    }
  }

  int runs() const { return runs_; }
  int errors() const { return errors_; }

 private:
  static void Touch(const StateDict& tensors) {
    for (const auto& [name, view] : tensors) {
      ASSERT_TRUE(view.Validate(name).ok()) << name;
      std::vector<double> values = view.ToDoubles();
      ASSERT_EQ(values.size(), static_cast<size_t>(view.numel())) << name;
    }
  }

  std::string original_;
  std::string path_;
  int runs_ = 0;
  int errors_ = 0;
};

// The unit suite samples the mutations; the slow-labelled build of this file runs them densely.
#ifndef MDETR_CHECKPOINT_FUZZ_DENSE
#define MDETR_CHECKPOINT_FUZZ_DENSE 0
#endif
constexpr bool kDense = MDETR_CHECKPOINT_FUZZ_DENSE != 0;
#if MDETR_CHECKPOINT_FUZZ_DENSE
#define CORRUPTION_SUITE DenseCorruptionTest
#else
#define CORRUPTION_SUITE CorruptionTest
#endif

// A fixed-seed generator, so a failure reproduces.
struct Lcg {
  uint64_t state;
  uint64_t Next() {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return state >> 33;
  }
};

const char* const kFixtures[] = {"mdetr_like.pth", "no_ema.pth", "hf_roberta/pytorch_model.bin",
                                 "hf_roberta/model.safetensors", "small.safetensors"};

TEST(CORRUPTION_SUITE, TruncatedFilesFailCleanly) {
  for (const char* fixture : kFixtures) {
    SCOPED_TRACE(fixture);
    Mutations m(fixture);
    const std::string& bytes = m.original();
    ASSERT_FALSE(bytes.empty());
    // Every length near both ends (headers, end records) and a stride through the middle.
    const size_t step = kDense ? 1 : 5;
    for (size_t len = 0; len < bytes.size(); len += (len < 256 || bytes.size() - len < 512) ? step : 97) {
      m.Check(bytes.substr(0, len), "truncated to " + std::to_string(len));
    }
    EXPECT_EQ(m.errors(), m.runs()) << "every truncation must be detected";
  }
}

TEST(CORRUPTION_SUITE, FlippedBytesNeverCrash) {
  for (const char* fixture : kFixtures) {
    SCOPED_TRACE(fixture);
    Mutations m(fixture);
    const std::string& bytes = m.original();
    Lcg rng{0x5eed};
    // Structure lives at both ends (header, pickle, central directory); flip there densely.
    const size_t head = std::min<size_t>(bytes.size(), 2048);
    const size_t tail = std::min<size_t>(bytes.size(), 1536);
    for (size_t i = 0; i < head + tail; i += kDense ? 1 : 1 + rng.Next() % 8) {
      size_t pos = i < head ? i : bytes.size() - tail + (i - head);
      std::string mutated = bytes;
      mutated[pos] = static_cast<char>(mutated[pos] ^ (1u << (rng.Next() % 8)));
      m.Check(mutated, "bit flip at " + std::to_string(pos));
    }
    for (int i = 0; i < (kDense ? 3000 : 100); ++i) {
      std::string mutated = bytes;
      for (int k = 0; k < 4; ++k) mutated[rng.Next() % bytes.size()] = static_cast<char>(rng.Next());
      m.Check(mutated, "random bytes, round " + std::to_string(i));
    }
    EXPECT_GT(m.errors(), 0);
  }
}

}  // namespace
}  // namespace mdetr::io
