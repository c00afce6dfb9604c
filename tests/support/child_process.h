// Starts one of our executables as a real child process, for tests that kill, signal or wait on it.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace mdetr::testing {

class ChildProcess {
 public:
  // Runs argv[0] with argv; stdout and stderr go to `log_path` (appended).
  ChildProcess(const std::vector<std::string>& argv, const std::string& log_path);
  ~ChildProcess();  // kills the child if it still runs
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  void Signal(int sig);
  // Waits for the exit; returns the exit code, or 128 + signal number.
  int Wait();
  // True while the child runs.
  bool Running();

 private:
  pid_t pid_ = -1;
  int status_ = -1;
};

// A TCP port on 127.0.0.1 that was free a moment ago.
int FreeLocalPort();

// Reads a whole file ("" if missing).
std::string ReadFile(const std::string& path);

}  // namespace mdetr::testing
