// Writes small config files for the config tests.
#pragma once

#include <fstream>
#include <string>

#include "tests/support/test_paths.h"

namespace mdetr::config {

inline std::string WriteConfig(const std::string& dir, const std::string& name, const std::string& text) {
  const std::string path = dir + "/" + name;
  std::ofstream(path) << text;
  return path;
}

}  // namespace mdetr::config
