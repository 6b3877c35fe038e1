// Progress on stderr, the one way dpa reports it: on a terminal one line redrawn, otherwise (a log
// file) full lines, so logs do not run together. Progress counts work done, only after the first
// second (short runs print nothing), a few times a second on a terminal and every three seconds in
// a log, so no long job looks stuck; StatusLine shows the messages of work that cannot count.
#pragma once

#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>

namespace dpa::tools {

class Progress {
 public:
  Progress(std::string what, std::uint64_t total, bool enabled = true)
      : what_(std::move(what)),
        total_(total),
        enabled_(enabled),
        terminal_(::isatty(STDERR_FILENO) == 1),
        start_(std::chrono::steady_clock::now()),
        last_(start_) {}

  void update(std::uint64_t done) {
    if (!enabled_) return;
    const auto now = std::chrono::steady_clock::now();
    const auto interval = terminal_ ? std::chrono::milliseconds(250) : std::chrono::milliseconds(3000);
    const bool first_due = !shown_ && now - start_ >= std::chrono::seconds(terminal_ ? 1 : 2);
    if (!first_due && (!shown_ || now - last_ < interval) && !(done == total_ && shown_)) return;
    last_ = now;
    shown_ = true;
    const double seconds = std::chrono::duration<double>(now - start_).count();
    const double rate = seconds > 0 ? static_cast<double>(done) / seconds : 0.0;
    const double eta = rate > 0 ? static_cast<double>(total_ - done) / rate : 0.0;
    std::fprintf(stderr, "%s%s: %llu / %llu (%.0f%%), %.*f/s, %.0fs left%s", terminal_ ? "\r" : "", what_.c_str(),
                 static_cast<unsigned long long>(done), static_cast<unsigned long long>(total_),
                 total_ ? 100.0 * static_cast<double>(done) / static_cast<double>(total_) : 100.0, rate < 10 ? 2 : 0,
                 rate, eta, terminal_ ? "   " : "\n");
    if (done == total_ && terminal_) std::fprintf(stderr, "\n");
  }

 private:
  std::string what_;
  std::uint64_t total_;
  bool enabled_, terminal_, shown_ = false;
  std::chrono::steady_clock::time_point start_, last_;
};

// Messages of a long step (training: "depth 6, tree 200/500, validation rmse ..."), each replacing
// the last on a terminal, each a line of its own in a log.
class StatusLine {
 public:
  StatusLine() : terminal_(::isatty(STDERR_FILENO) == 1) {}
  ~StatusLine() {
    if (terminal_ && shown_) std::fprintf(stderr, "\n");
  }
  StatusLine(const StatusLine&) = delete;
  StatusLine& operator=(const StatusLine&) = delete;
  // On a terminal the line is rewritten in place; in a log, a line every 2 s at most (an MLP
  // reports every epoch).
  void show(const std::string& message) {
    const auto now = std::chrono::steady_clock::now();
    if (!terminal_ && shown_ && now - last_ < std::chrono::seconds(2)) return;
    std::fprintf(stderr, terminal_ ? "\r%s        " : "%s\n", message.c_str());
    std::fflush(stderr);
    shown_ = true;
    last_ = now;
  }
  // What train_predictor and the like take as `status`: each message shown after `prefix`.
  std::function<void(const std::string&)> prefixed(std::string prefix) {
    return [this, prefix = std::move(prefix)](const std::string& message) { show(prefix + message); };
  }

 private:
  bool terminal_, shown_ = false;
  std::chrono::steady_clock::time_point last_;
};

}  // namespace dpa::tools
