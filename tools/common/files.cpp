#include "common/files.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>
#include <utility>
#include <vector>

#include "common/errors.hpp"

namespace dpa::tools {
namespace {

struct Inputs {
  std::mutex mutex;
  std::vector<std::pair<dev_t, ino_t>> files;
  std::vector<std::string> paths;
};

Inputs& inputs() {
  static Inputs i;
  return i;
}

const char* kind_of(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

}  // namespace

bool is_readable(const std::string& path) { return ::access(path.c_str(), R_OK) == 0; }

void check_input_file(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) throw ToolError(path + ": cannot open: " + std::strerror(errno));
  if (!S_ISREG(st.st_mode)) throw ToolError(path + ": " + kind_of(st.st_mode) + ", not a regular file");
  Inputs& i = inputs();
  const std::lock_guard<std::mutex> lock(i.mutex);
  i.files.emplace_back(st.st_dev, st.st_ino);
  i.paths.push_back(path);
}

void check_not_an_input(const std::string& output) {
  struct stat st;
  if (::stat(output.c_str(), &st) != 0) return;  // nothing there yet
  Inputs& i = inputs();
  const std::lock_guard<std::mutex> lock(i.mutex);
  for (std::size_t k = 0; k < i.files.size(); ++k) {
    if (i.files[k] == std::make_pair(st.st_dev, st.st_ino)) {
      throw ToolError(output + ": is an input of this command (" + i.paths[k] +
                      "); writing it would destroy it: choose another output");
    }
  }
}

std::string read_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw ToolError(path + ": cannot open: " + std::strerror(errno));
  std::string text;
  char buffer[4096];
  ssize_t got;
  while ((got = ::read(fd, buffer, sizeof buffer)) > 0 || (got < 0 && errno == EINTR)) {
    if (got > 0) text.append(buffer, static_cast<std::size_t>(got));
  }
  const int error = errno;
  ::close(fd);
  if (got < 0) throw ToolError(path + ": cannot read: " + std::strerror(error));
  return text;
}

std::vector<std::string> directory_entries(const std::string& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) throw ToolError(dir + ": cannot read the directory: " + std::strerror(errno));
  std::vector<std::string> names;
  while (const dirent* e = ::readdir(d)) {
    if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0) names.emplace_back(e->d_name);
  }
  ::closedir(d);
  return names;
}

}  // namespace dpa::tools
