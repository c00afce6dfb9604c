// Runs a command and captures its output, for tests that drive our executables as a user would.
#pragma once

#include <string>

namespace mdetr::testing {

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr interleaved
};

// Runs `command` through /bin/sh with stderr merged into stdout.
CommandResult RunCommand(const std::string& command);

}  // namespace mdetr::testing
