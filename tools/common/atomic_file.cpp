#include "common/atomic_file.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <signal.h>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <map>
#include <mutex>
#include <vector>

#include "common/errors.hpp"
#include "common/files.hpp"

namespace dpa::tools {
namespace {

// Temporaries in flight, so that Ctrl-C or a kill removes them too: a signal handler may only
// call async-signal-safe functions, hence plain fixed slots and unlink().
constexpr int kSlots = 16;
std::atomic<const char*> g_temporaries[kSlots];

void remove_temporaries_and_die(int signal) {
  remove_temporaries_in_flight();
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

// Temporaries left by runs that were killed (SIGKILL, a power cut): NAME.tmp-PID where no process
// PID exists any more (a live process's temporary stays). A directory is read once per process,
// when its first output is written: a job writing thousands of files into one directory (zoo
// train's .runs) must not read it thousands of times.
class StaleTemporaries {
 public:
  // Removes the stale temporaries of `path` found when its directory was first read.
  void remove_for(const std::string& path) {
    const std::size_t slash = path.find_last_of('/');
    const std::string dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
    const std::string prefix = path.substr(slash == std::string::npos ? 0 : slash + 1) + ".tmp-";
    const std::lock_guard<std::mutex> lock(mutex_);
    auto found = by_dir_.find(dir);
    if (found == by_dir_.end()) found = by_dir_.emplace(dir, read(dir)).first;
    std::vector<std::string>& names = found->second;
    for (auto it = names.begin(); it != names.end();) {
      if (it->compare(0, prefix.size(), prefix) != 0) {
        ++it;
        continue;
      }
      const std::string file = dir + "/" + *it;
      struct stat st;
      if (::lstat(file.c_str(), &st) == 0 && S_ISREG(st.st_mode)) ::unlink(file.c_str());
      it = names.erase(it);
    }
  }

 private:
  // The names NAME.tmp-PID in dir whose process is gone.
  static std::vector<std::string> read(const std::string& dir) {
    std::vector<std::string> stale;
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) return stale;
    while (const dirent* e = ::readdir(d)) {
      const std::string name = e->d_name;
      const std::size_t mark = name.rfind(".tmp-");
      if (mark == std::string::npos || mark == 0) continue;
      if (process_is_gone(name.substr(mark + 5))) stale.push_back(name);
    }
    ::closedir(d);
    return stale;
  }

  std::mutex mutex_;
  std::map<std::string, std::vector<std::string>> by_dir_;
};

void remove_stale_temporaries(const std::string& path) {
  static StaleTemporaries stale;
  stale.remove_for(path);
}

}  // namespace

bool process_is_gone(const std::string& digits) {
  if (digits.empty() || digits.size() > 9 || digits.find_first_not_of("0123456789") != std::string::npos) return false;
  const pid_t pid = static_cast<pid_t>(std::stol(digits));
  return pid > 0 && pid != ::getpid() && ::kill(pid, 0) != 0 && errno == ESRCH;
}

void remove_temporaries_in_flight() {
  for (auto& slot : g_temporaries) {
    if (const char* path = slot.load()) ::unlink(path);
  }
}

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
  remove_stale_temporaries(path_);
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
