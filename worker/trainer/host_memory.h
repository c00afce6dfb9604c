// How the task process's heap treats freed host memory.
//
// glibc serves every allocation above its mmap threshold (which never exceeds 32 MB) with a fresh
// mapping and unmaps it on free, and trims the heap's top whenever 128 KB are free there. A
// training step allocates and frees gigabytes of activations and gradients, so each step faulted
// them in and zeroed them again: a full-size CPU step (ResNet-101, scale 640, batch 2) took about
// 635,000 page faults (2.6 GB), and 113,000 with freed memory kept. The process then holds its
// peak (about 6% more at full size) until it ends.
#pragma once

#include "common/status.h"

namespace mdetr::trainer {

// Serves every size from the heap and never returns freed memory to the system. Process-wide;
// meant to be called once, before the model is built.
Status RetainFreedHostMemory();

}  // namespace mdetr::trainer
