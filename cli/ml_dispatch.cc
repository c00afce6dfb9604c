#include "cli/ml_dispatch.h"

#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

namespace mdetr::cli {
namespace fs = std::filesystem;

bool IsMlCommand(const std::string& command) {
  static const std::array<const char*, 7> kMl = {"predict", "train", "evaluate", "data", "info", "export", "task"};
  for (const char* c : kMl) {
    if (command == c) return true;
  }
  return false;
}

Result<std::string> FindMlExecutable() {
  if (const char* env = std::getenv("MDETR_ML"); env && *env) {
    if (access(env, X_OK) == 0) return std::string(env);
    return NotFoundError(std::string("MDETR_ML=") + env + " is not an executable file");
  }
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return InternalError("cannot read /proc/self/exe: " + ec.message());
  const fs::path candidate = self.parent_path() / "mdetr-ml";
  if (access(candidate.c_str(), X_OK) == 0) return candidate.string();
  return NotFoundError("mdetr-ml not found next to " + self.string() +
                       " (ML commands need a build with MDETR_WITH_TORCH=ON)");
}

Status ExecMl(const std::vector<std::string>& args) {
  MDETR_ASSIGN_OR_RETURN(std::string path, FindMlExecutable());
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(path.c_str()));
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  execv(path.c_str(), argv.data());
  return UnavailableError("cannot run " + path + ": " + std::strerror(errno));
}

}  // namespace mdetr::cli
