/* Test shim, loaded with LD_PRELOAD by tests/cli/test_hostile.sh: the first time the process asks
 * the kernel to read ahead part of a mapping (madvise MADV_WILLNEED, as dpa does before each
 * chunk of rows), the file named by DPA_TEST_TRUNCATE is cut to DPA_TEST_TRUNCATE_TO bytes, as
 * another process truncating it at that moment would. Deterministic, unlike racing a real one. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

int madvise(void* address, size_t length, int advice) {
  static int (*real_madvise)(void*, size_t, int);
  static int done;
  if (real_madvise == NULL) real_madvise = (int (*)(void*, size_t, int))dlsym(RTLD_NEXT, "madvise");
  const char* path = getenv("DPA_TEST_TRUNCATE");
  if (!done && advice == MADV_WILLNEED && path != NULL) {
    done = 1;
    const char* to = getenv("DPA_TEST_TRUNCATE_TO");
    if (truncate(path, to ? atoll(to) : 4096) != 0) abort();
  }
  return real_madvise(address, length, advice);
}
