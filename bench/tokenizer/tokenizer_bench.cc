// Tokens per CPU second of our RoBERTa tokenizer next to Hugging Face's RobertaTokenizerFast,
// timed in the same run on the same captions (the 3k parity captions of
// tests/data/tokenizer/roberta_goldens.json), both single-threaded, with warm BPE caches and
// without a BPE cache (every piece merged afresh).
//
// Usage: tokenizer_bench [--min-seconds S]      (from the repository root)
// Hugging Face runs under $MDETR_BENCH_PYTHON, else the first of /tmp/venv-tok-ref/bin/python (the
// versions MDETR pins, see tools/parity/tokenizer) and /tmp/venv-tok/bin/python that exists, else
// python3; without transformers the bench prints our figures only and says so.
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <time.h>

#include "model/text/roberta_tokenizer.h"

namespace mdetr::text {
namespace {

const char kGoldens[] = MDETR_SOURCE_DIR "/tests/data/tokenizer/roberta_goldens.json";
const char kTokenizerDir[] = MDETR_SOURCE_DIR "/../shared/data/tokenizer/roberta-base";

double CpuSeconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

// Runs `fn` once to warm up, then repeatedly for at least `min_seconds` of CPU time.
template <typename Fn>
double TokensPerSecond(int64_t tokens, double min_seconds, Fn&& fn) {
  fn();
  int64_t loops = 0;
  const double start = CpuSeconds();
  double elapsed = 0.0;
  while (elapsed < min_seconds) {
    fn();
    ++loops;
    elapsed = CpuSeconds() - start;
  }
  return static_cast<double>(tokens * loops) / elapsed;
}

std::string PythonInterpreter() {
  if (const char* env = std::getenv("MDETR_BENCH_PYTHON"); env && *env) return env;
  for (const char* venv : {"/tmp/venv-tok-ref/bin/python", "/tmp/venv-tok/bin/python"}) {
    if (std::filesystem::exists(venv)) return venv;
  }
  return "python3";
}

// Hugging Face's figures as JSON, or an empty object when Python or transformers is missing.
nlohmann::json TimeHuggingFace(double min_seconds) {
  const std::string command = PythonInterpreter() + " " + MDETR_HF_TIMING_SCRIPT + " " + kGoldens + " " +
                              kTokenizerDir + " " + std::to_string(min_seconds) + " 2>/dev/null";
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return nlohmann::json::object();
  std::string output;
  char buffer[4096];
  while (size_t n = fread(buffer, 1, sizeof(buffer), pipe)) output.append(buffer, n);
  if (pclose(pipe) != 0) return nlohmann::json::object();
  const size_t line = output.rfind('{');
  if (line == std::string::npos) return nlohmann::json::object();
  return nlohmann::json::parse(output.substr(line), nullptr, false);
}

int Run(double min_seconds) {
  std::ifstream in(kGoldens);
  if (!in) {
    std::fprintf(stderr, "cannot open %s\n", kGoldens);
    return 1;
  }
  std::vector<std::string> captions;
  const nlohmann::json goldens = nlohmann::json::parse(in);
  for (const auto& c : goldens.at("captions")) captions.push_back(c.at("text").get<std::string>());
  auto tokenizer = RobertaTokenizer::FromDirectory(kTokenizerDir);
  if (!tokenizer.ok()) {
    std::fprintf(stderr, "%s\n", tokenizer.status().ToString().c_str());
    return 1;
  }

  int64_t tokens = 0;
  for (const auto& c : captions) tokens += tokenizer->Encode(c)->size();
  std::vector<std::vector<std::string>> batches;
  for (size_t i = 0; i < captions.size(); i += 32) {
    batches.emplace_back(captions.begin() + i, captions.begin() + std::min(captions.size(), i + 32));
  }

  const double per_caption = TokensPerSecond(tokens, min_seconds, [&] {
    for (const auto& c : captions) {
      if (!tokenizer->Encode(c).ok()) std::abort();
    }
  });
  const double batch32 = TokensPerSecond(tokens, min_seconds, [&] {
    for (const auto& b : batches) {
      if (!tokenizer->EncodeBatch(b).ok()) std::abort();
    }
  });
  auto uncached = RobertaTokenizer::FromDirectory(kTokenizerDir, /*bpe_cache_capacity=*/0);
  if (!uncached.ok()) return 1;
  const double no_cache = TokensPerSecond(tokens, min_seconds, [&] {
    for (const auto& c : captions) {
      if (!uncached->Encode(c).ok()) std::abort();
    }
  });
  const nlohmann::json hf = TimeHuggingFace(min_seconds);

  std::printf(
      "RoBERTa tokenizer: %zu captions, %lld tokens (with <s> </s>), tokens per CPU second, 1 thread\n",
      captions.size(), static_cast<long long>(tokens));
  std::printf("%-44s %14s %14s %8s\n", "", "ours", "HF fast", "ratio");
  auto row = [&](const char* name, double ours, const char* key) {
    if (hf.contains(key)) {
      const double theirs = hf.at(key).get<double>();
      std::printf("%-44s %14.0f %14.0f %7.2fx\n", name, ours, theirs, ours / theirs);
    } else {
      std::printf("%-44s %14.0f %14s\n", name, ours, "n/a");
    }
  };
  row("one caption per call (dataset __getitem__)", per_caption, "per_caption");
  row("batches of 32, padding=longest (model)", batch32, "batch32_padded");
  row("one caption per call, no BPE cache", no_cache, "per_caption_no_cache");
  // Without Hugging Face's Python wrapper: its Rust core on the whole corpus in one call, next to
  // our one-caption-per-call figure (we have no wrapper to remove).
  row("no Python: HF Rust encode_batch(all captions)", per_caption, "rust_core_encode_batch");
  if (hf.contains("version")) std::printf("HF: %s\n", hf.at("version").get<std::string>().c_str());
  if (hf.empty()) {
    std::printf("(Hugging Face not timed: %s has no transformers; set MDETR_BENCH_PYTHON)\n",
                PythonInterpreter().c_str());
  } else if (hf.at("tokens").get<int64_t>() != tokens) {
    std::printf("WARNING: Hugging Face counted %lld tokens, we counted %lld\n",
                static_cast<long long>(hf.at("tokens").get<int64_t>()), static_cast<long long>(tokens));
  }
  return 0;
}

}  // namespace
}  // namespace mdetr::text

int main(int argc, char** argv) {
  double min_seconds = 1.0;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--min-seconds" && i + 1 < argc) {
      min_seconds = std::atof(argv[++i]);
    } else {
      std::fprintf(stderr, "usage: tokenizer_bench [--min-seconds S]\n");
      return 2;
    }
  }
  try {
    return mdetr::text::Run(min_seconds);
  } catch (const std::exception& e) {  // a malformed golden file
    std::fprintf(stderr, "tokenizer_bench: %s\n", e.what());
    return 1;
  }
}
