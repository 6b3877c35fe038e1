/* Test shim, loaded with LD_PRELOAD by tests/cli/test_hostile.sh. The first time the process asks
 * the kernel to read ahead part of a mapping (madvise MADV_WILLNEED, as dpa does before each
 * chunk of rows, with its outputs' temporaries open), it does what another process could do at
 * that moment: cut the file named by DPA_TEST_TRUNCATE to DPA_TEST_TRUNCATE_TO bytes, or send
 * the signal numbered DPA_TEST_RAISE. Deterministic, unlike racing a real process.
 * DPA_TEST_KILL_AT_PWRITE=N: SIGKILL at the process's Nth pwrite, before it writes (the zoo
 * writer's appends and commits are pwrites: a crash at any point of an add). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

int madvise(void* address, size_t length, int advice) {
  static int (*real_madvise)(void*, size_t, int);
  static int done;
  if (real_madvise == NULL) real_madvise = (int (*)(void*, size_t, int))dlsym(RTLD_NEXT, "madvise");
  const char* path = getenv("DPA_TEST_TRUNCATE");
  const char* signal_number = getenv("DPA_TEST_RAISE");
  if (!done && advice == MADV_WILLNEED && (path != NULL || signal_number != NULL)) {
    done = 1;
    const char* to = getenv("DPA_TEST_TRUNCATE_TO");
    if (path != NULL && truncate(path, to ? atoll(to) : 4096) != 0) abort();
    if (signal_number != NULL) raise(atoi(signal_number));
  }
  return real_madvise(address, length, advice);
}

static ssize_t (*real_pwrite)(int, const void*, size_t, off_t);

static void kill_at_nth_pwrite(void) {
  static long count;
  const char* nth = getenv("DPA_TEST_KILL_AT_PWRITE");
  if (nth != NULL && ++count == atol(nth)) raise(SIGKILL);
}

ssize_t pwrite(int fd, const void* data, size_t size, off_t offset) {
  if (real_pwrite == NULL) real_pwrite = (ssize_t(*)(int, const void*, size_t, off_t))dlsym(RTLD_NEXT, "pwrite");
  kill_at_nth_pwrite();
  return real_pwrite(fd, data, size, offset);
}

ssize_t pwrite64(int fd, const void* data, size_t size, off_t offset) { return pwrite(fd, data, size, offset); }
