// Child process of StoreTest.AcknowledgedCommitsSurviveAKilledProcess: commits transitions, prints
// "acked <i>" after each Commit() returns, then dies by SIGKILL without closing the store, as a
// coordinator does when it is killed mid-flight.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "common/store/keys.h"
#include "common/store/store.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s STORE_DIR COUNT\n", argv[0]);
    return 2;
  }
  auto store = mdetr::store::Store::Open(argv[1]);
  if (!store.ok()) {
    std::fprintf(stderr, "%s\n", store.status().ToString().c_str());
    return 1;
  }
  const int count = std::atoi(argv[2]);
  for (int i = 0; i < count; ++i) {
    mdetr::store::Batch batch;
    batch.Put(mdetr::store::Family::kAttempts, "job-1/attempt-" + std::to_string(i), "running");
    batch.Put(mdetr::store::Family::kEvents, mdetr::store::KeyWithNumber("job-1/", i), "attempt started");
    const mdetr::Status status = (*store)->Commit(batch);
    if (!status.ok()) {
      std::fprintf(stderr, "%s\n", status.ToString().c_str());
      return 1;
    }
    std::printf("acked %d\n", i);
    std::fflush(stdout);
  }
  std::raise(SIGKILL);
  return 0;
}
