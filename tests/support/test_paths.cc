#include "tests/support/test_paths.h"

#include <cstdlib>
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
  ~TempDirs() {
    std::error_code ec;
    for (const auto& d : dirs) fs::remove_all(d, ec);
  }
};
TempDirs& AllTempDirs() {
  static TempDirs dirs;
  return dirs;
}
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
