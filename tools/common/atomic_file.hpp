// Output files appear whole or not at all: written to a temporary file beside the target, then
// renamed over it. Temporaries of the same output left by killed runs (their process is gone)
// are removed first. A failure, an exception, SIGINT, SIGTERM or SIGHUP removes the temporary.
#pragma once

#include <cstdio>
#include <string>

namespace dpa::tools {

class AtomicFile {
 public:
  explicit AtomicFile(std::string path);  // throws ToolError when the temporary cannot be created
  ~AtomicFile();                          // removes the temporary unless committed
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  void write(const void* data, std::size_t size);  // throws ToolError (disk full, I/O error)
  void commit();                                   // flush, fsync, rename over the target; throws ToolError

  const std::string& path() const { return path_; }

 private:
  std::string path_, temporary_;
  std::FILE* file_ = nullptr;
  bool committed_ = false;
  int slot_ = -1;  // registration for removal by a signal handler
};

// Makes SIGINT, SIGTERM and SIGHUP remove the temporaries in flight, except a signal the process
// inherited as ignored, which stays ignored. The first AtomicFile calls it; exposed for tests.
void install_cleanup_handlers();

// Unlinks every temporary in flight; async-signal-safe (for the SIGBUS handler of mapped files).
void remove_temporaries_in_flight();

// Whether the PID in a temporary's name (the digits after ".tmp-") is of a process that is gone: a
// killed run's leftover. False for text that is no PID, for this process and for a live one.
bool process_is_gone(const std::string& pid_digits);

// Writes a whole file atomically.
void write_file_atomically(const std::string& path, const void* data, std::size_t size);

}  // namespace dpa::tools
