#include "common/atomic_file.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/cli_args.hpp"

namespace dpa::tools {

AtomicFile::AtomicFile(std::string path) : path_(std::move(path)) {
  temporary_ = path_ + ".tmp-" + std::to_string(::getpid());
  file_ = std::fopen(temporary_.c_str(), "wb");
  if (file_ == nullptr) {
    throw ToolError("cannot create '" + temporary_ + "': " + std::strerror(errno));
  }
}

AtomicFile::~AtomicFile() {
  if (file_ != nullptr) std::fclose(file_);
  if (!committed_) std::remove(temporary_.c_str());
}

void AtomicFile::write(const void* data, std::size_t size) {
  if (size != 0 && std::fwrite(data, 1, size, file_) != size) {
    throw ToolError("cannot write '" + path_ + "': " + std::strerror(errno));
  }
}

void AtomicFile::commit() {
  const bool flushed = std::fflush(file_) == 0 && ::fsync(::fileno(file_)) == 0;
  const int saved = errno;
  const bool closed = std::fclose(file_) == 0;
  file_ = nullptr;
  if (!flushed || !closed) {
    throw ToolError("cannot write '" + path_ + "': " + std::strerror(flushed ? errno : saved));
  }
  if (std::rename(temporary_.c_str(), path_.c_str()) != 0) {
    throw ToolError("cannot rename '" + temporary_ + "' to '" + path_ + "': " + std::strerror(errno));
  }
  committed_ = true;
}

void write_file_atomically(const std::string& path, const void* data, std::size_t size) {
  AtomicFile f(path);
  f.write(data, size);
  f.commit();
}

}  // namespace dpa::tools
