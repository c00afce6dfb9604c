#include "worker/trainer/host_memory.h"

#include <malloc.h>

namespace mdetr::trainer {

Status RetainFreedHostMemory() {
#if defined(__GLIBC__)
  // mallopt returns 1 on success. M_TRIM_THRESHOLD -1 switches trimming off (mallopt(3)).
  if (mallopt(M_MMAP_MAX, 0) != 1 || mallopt(M_TRIM_THRESHOLD, -1) != 1) {
    return InternalError("mallopt refused M_MMAP_MAX / M_TRIM_THRESHOLD");
  }
  return Status::Ok();
#else
  return FailedPreconditionError("retaining freed memory is implemented for glibc's allocator only");
#endif
}

}  // namespace mdetr::trainer
