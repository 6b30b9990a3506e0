// Names the calling thread (at most 15 bytes are kept, as Linux allows), so
// that `top -H`, perf and gdb show which of the process's threads is which.
#pragma once

#include <pthread.h>

namespace custos {

inline void SetThreadName(const char* name) { (void)pthread_setname_np(pthread_self(), name); }

}  // namespace custos
