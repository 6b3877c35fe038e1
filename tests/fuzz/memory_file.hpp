// Fuzz input as a file path (the readers take paths): an anonymous in-memory file.
#pragma once

#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <string>

class MemoryFile {
 public:
  MemoryFile(const std::uint8_t* data, std::size_t size) : fd_(memfd_create("fuzz", 0)) {
    if (fd_ >= 0) {
      std::size_t done = 0;
      while (done < size) {
        const ssize_t n = ::write(fd_, data + done, size - done);
        if (n <= 0) break;
        done += static_cast<std::size_t>(n);
      }
    }
  }
  ~MemoryFile() {
    if (fd_ >= 0) ::close(fd_);
  }
  std::string path() const { return "/proc/self/fd/" + std::to_string(fd_); }
  bool ok() const { return fd_ >= 0; }

 private:
  int fd_;
};
