#include "common/files.hpp"

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

}  // namespace dpa::tools
