#include "common/atomic_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstring>

#include "common/cli_args.hpp"
#include "common/files.hpp"

namespace dpa::tools {
namespace {

// Temporaries in flight, so that Ctrl-C or a kill removes them too: a signal handler may only
// call async-signal-safe functions, hence plain fixed slots and unlink().
constexpr int kSlots = 16;
std::atomic<const char*> g_temporaries[kSlots];

void remove_temporaries_and_die(int signal) {
  for (auto& slot : g_temporaries) {
    if (const char* path = slot.load()) ::unlink(path);
  }
  std::signal(signal, SIG_DFL);
  std::raise(signal);
}

int track(const char* path) {
  static const bool installed = (install_cleanup_handlers(), true);
  (void)installed;
  for (int i = 0; i < kSlots; ++i) {
    const char* expected = nullptr;
    if (g_temporaries[i].compare_exchange_strong(expected, path)) return i;
  }
  return -1;  // more files in flight than slots: still removed on normal exit and errors
}

void untrack(int slot) {
  if (slot >= 0) g_temporaries[slot].store(nullptr);
}

}  // namespace

void install_cleanup_handlers() {
  for (int s : {SIGINT, SIGTERM, SIGHUP}) {
    // A signal the parent ignores stays ignored (`nohup dpa ... &` must survive its hangup).
    struct sigaction current {};
    if (::sigaction(s, nullptr, &current) == 0 && current.sa_handler == SIG_IGN) continue;
    std::signal(s, remove_temporaries_and_die);
  }
}

AtomicFile::AtomicFile(std::string path) : path_(std::move(path)) {
  check_not_an_input(path_);
  temporary_ = path_ + ".tmp-" + std::to_string(::getpid());
  // A new file, never through a symlink: whatever sits at the temporary's name (a leftover of a
  // killed run with this pid, a planted link) is removed, not written through.
  constexpr int kFlags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
  int fd = ::open(temporary_.c_str(), kFlags, 0666);
  if (fd < 0 && errno == EEXIST && ::unlink(temporary_.c_str()) == 0) fd = ::open(temporary_.c_str(), kFlags, 0666);
  if (fd >= 0) file_ = ::fdopen(fd, "wb");
  if (file_ == nullptr) {
    const int saved = errno;
    if (fd >= 0) ::close(fd);
    throw ToolError("cannot create '" + temporary_ + "': " + std::strerror(saved));
  }
  slot_ = track(temporary_.c_str());
}

AtomicFile::~AtomicFile() {
  if (file_ != nullptr) std::fclose(file_);
  untrack(slot_);
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
  untrack(slot_);
  slot_ = -1;
}

void write_file_atomically(const std::string& path, const void* data, std::size_t size) {
  AtomicFile f(path);
  f.write(data, size);
  f.commit();
}

}  // namespace dpa::tools
