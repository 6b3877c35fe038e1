#include "common/staged_directory.hpp"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "common/atomic_file.hpp"
#include "common/errors.hpp"
#include "common/files.hpp"

namespace dpa::tools {
namespace {

namespace fs = std::filesystem;

std::string parent_of(const std::string& path) {
  const fs::path parent = fs::path(path).parent_path();
  return parent.empty() ? "." : parent.string();
}

// Staging directories NAME.tmp-PID of killed runs: removed when their process is gone and they hold
// the marker (so nothing else by that name is ever removed).
void remove_stale_staging(const std::string& target, const std::string& marker) {
  const std::string prefix = fs::path(target).filename().string() + ".tmp-";
  std::error_code ec;
  for (const fs::directory_entry& e : fs::directory_iterator(parent_of(target), ec)) {
    const std::string name = e.path().filename().string();
    if (name.compare(0, prefix.size(), prefix) != 0 || !process_is_gone(name.substr(prefix.size()))) continue;
    if (e.is_directory(ec) && !e.is_symlink(ec) && fs::is_regular_file(e.path() / marker, ec))
      fs::remove_all(e.path(), ec);
  }
}

// Why an existing target may not be replaced, or "" when it may (empty, or an earlier output).
std::string refusal(const std::string& target, const std::string& marker, const std::string& what) {
  struct stat st;
  if (::lstat(target.c_str(), &st) != 0) return "";
  if (!S_ISDIR(st.st_mode)) return "'" + target + "' exists and is not a directory";
  const std::vector<std::string> entries = directory_entries(target);
  if (entries.empty()) return "";
  for (const std::string& name : entries) {
    if (name == marker) return "";
  }
  std::string listed;
  for (std::size_t i = 0; i < entries.size() && i < 4; ++i) listed += (i == 0 ? "" : ", ") + entries[i];
  if (entries.size() > 4) listed += ", …";
  return "'" + target + "' holds files that no earlier dpa " + what + " wrote (" + listed + ")";
}

void write_whole(const std::string& path, const std::string& text) {
  FILE* f = std::fopen(path.c_str(), "wbx");
  if (f == nullptr) throw ToolError("cannot create '" + path + "': " + std::strerror(errno));
  // Durable before the directory becomes visible: a power cut leaves the old output or the new one.
  const bool written =
      std::fwrite(text.data(), 1, text.size(), f) == text.size() && std::fflush(f) == 0 && ::fsync(::fileno(f)) == 0;
  const int saved = errno;
  if (std::fclose(f) != 0 || !written)
    throw ToolError("cannot write '" + path + "': " + std::strerror(written ? errno : saved));
}

}  // namespace

StagedDirectory::StagedDirectory(std::string target, std::string marker, std::string what)
    : target_(std::move(target)), marker_(std::move(marker)), what_(what) {
  while (target_.size() > 1 && target_.back() == '/') target_.pop_back();
  if (target_.empty()) throw ToolError("the " + what + "'s directory is empty text: name one with -o");
  // The output replaces its directory whole: never the working directory or one holding it.
  std::error_code ec;
  const fs::path whole = fs::weakly_canonical(fs::absolute(target_, ec), ec), here = fs::current_path(ec);
  const auto [end, inside] = std::mismatch(whole.begin(), whole.end(), here.begin(), here.end());
  if (!ec && end == whole.end()) {
    throw ToolError("'" + target_ + "' is the current directory" + (inside == here.end() ? "" : " or holds it") +
                    ": the " + what + " replaces its directory whole; run dpa from outside it, or choose another -o");
  }
  const std::string why = refusal(target_, marker_, what);
  if (!why.empty()) {
    throw ToolError(why + ": the " + what + " is written only into a new or empty directory, or over an earlier " +
                    what + "; choose another -o");
  }
  remove_stale_staging(target_, marker_);
  staging_ = target_ + ".tmp-" + std::to_string(::getpid());
  if (fs::is_regular_file(fs::path(staging_) / marker_, ec)) fs::remove_all(staging_, ec);  // this pid's leftover
  if (::mkdir(staging_.c_str(), 0777) != 0) {
    throw ToolError("cannot create '" + staging_ + "': " + std::strerror(errno));
  }
  try {
    write(marker_, "written by dpa; a later " + what + " may replace this directory\n");
  } catch (...) {
    fs::remove_all(staging_, ec);
    throw;
  }
}

StagedDirectory::~StagedDirectory() {
  if (committed_) return;
  std::error_code ec;
  fs::remove_all(staging_, ec);
}

void StagedDirectory::write(const std::string& relative, const std::string& text) {
  const fs::path path = fs::path(staging_) / relative;
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  if (ec) throw ToolError("cannot create '" + path.parent_path().string() + "': " + ec.message());
  write_whole(path.string(), text);
}

void StagedDirectory::commit() {
  // Checked again: files another process put there while the output was made are not replaced.
  if (const std::string why = refusal(target_, marker_, what_); !why.empty()) {
    throw ToolError(why + " (they appeared while the " + what_ + " was made): choose another -o");
  }
  std::error_code ec;
  const bool replacing = fs::exists(target_, ec) && !fs::is_empty(target_, ec);
  if (!replacing) {
    // rename() also replaces an empty directory.
    if (::rename(staging_.c_str(), target_.c_str()) != 0) {
      throw ToolError("cannot move '" + staging_ + "' to '" + target_ + "': " + std::strerror(errno));
    }
    committed_ = true;
    return;
  }
  // Swapped in one step where the file system can; otherwise moved aside, then in.
  const std::string earlier = target_ + ".old-" + std::to_string(::getpid());
  if (::renameat2(AT_FDCWD, staging_.c_str(), AT_FDCWD, target_.c_str(), RENAME_EXCHANGE) == 0) {
    committed_ = true;
    fs::remove_all(staging_, ec);  // now the earlier output
    return;
  }
  if (::rename(target_.c_str(), earlier.c_str()) != 0 || ::rename(staging_.c_str(), target_.c_str()) != 0) {
    const int saved = errno;
    ::rename(earlier.c_str(), target_.c_str());
    throw ToolError("cannot move '" + staging_ + "' to '" + target_ + "': " + std::strerror(saved));
  }
  committed_ = true;
  fs::remove_all(earlier, ec);
}

}  // namespace dpa::tools
