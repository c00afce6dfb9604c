#include "tests/support/test_paths.h"

#include <cstdlib>
#include <gtest/gtest.h>

#include <ftw.h>

#include <cstdio>
#include <filesystem>
#include <mutex>
#include <vector>

namespace mdetr::testing {
namespace fs = std::filesystem;

namespace {
std::string EnvOr(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::string(v) : fallback;
}

struct TempDirs {
  std::mutex mu;
  std::vector<std::string> dirs;
};
TempDirs& AllTempDirs() {
  static TempDirs* dirs = new TempDirs;  // never destroyed: see TempDirCleaner
  return *dirs;
}

// Removes a folder tree with nftw. Not std::filesystem::remove_all: LibTorch exports its own
// copy of that function, built against another libstdc++, and in test programs that link
// LibTorch the dynamic linker binds to it and it crashes.
void RemoveTree(const std::string& dir) {
  nftw(dir.c_str(), [](const char* path, const struct stat*, int, struct FTW*) { return ::remove(path); }, 16,
       FTW_DEPTH | FTW_PHYS);
}

// Removes the temporary folders when the test program's tests are done (before exit, when
// every library is still loaded).
class TempDirCleaner : public ::testing::Environment {
 public:
  void TearDown() override {
    std::lock_guard<std::mutex> lock(AllTempDirs().mu);
    for (const auto& d : AllTempDirs().dirs) RemoveTree(d);
    AllTempDirs().dirs.clear();
  }
};
[[maybe_unused]] ::testing::Environment* const kCleaner = ::testing::AddGlobalTestEnvironment(new TempDirCleaner);
}  // namespace

std::string SourceDir() { return EnvOr("MDETR_SOURCE_DIR", fs::current_path().string()); }
std::string BuildDir() { return EnvOr("MDETR_BUILD_DIR", SourceDir() + "/build"); }
std::string SharedDataDir() {
  return EnvOr("MDETR_SHARED_DATA", (fs::path(SourceDir()) / ".." / "shared" / "data").lexically_normal().string());
}

std::string MakeTempDir(const std::string& prefix) {
  std::string pattern = (fs::temp_directory_path() / (prefix + "-XXXXXX")).string();
  std::vector<char> buf(pattern.begin(), pattern.end());
  buf.push_back('\0');
  const char* made = mkdtemp(buf.data());
  std::string dir = made ? made : "";
  std::lock_guard<std::mutex> lock(AllTempDirs().mu);
  AllTempDirs().dirs.push_back(dir);
  return dir;
}

}  // namespace mdetr::testing
