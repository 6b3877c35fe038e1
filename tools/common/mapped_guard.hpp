// A file mapped into memory can shrink under us (another process truncates it): touching a page
// past its new end raises SIGBUS, which would kill the process without a word and leave
// temporaries behind. Mapped files register here; a SIGBUS inside one of them prints a one-line
// error naming the file, removes the temporaries in flight and exits with status 1.
#pragma once

#include <cstddef>

namespace dpa::tools {

class MappedGuard {
 public:
  // path must outlive the guard (the handler prints it).
  MappedGuard(const void* begin, std::size_t size, const char* path);
  ~MappedGuard();
  MappedGuard(const MappedGuard&) = delete;
  MappedGuard& operator=(const MappedGuard&) = delete;

 private:
  int slot_ = -1;
};

}  // namespace dpa::tools
