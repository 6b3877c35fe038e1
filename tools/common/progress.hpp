// Progress on stderr for long work: at most a few updates a second, only after the first second,
// so short runs print nothing.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace dpa::tools {

class Progress {
 public:
  Progress(std::string what, std::uint64_t total, bool enabled = true)
      : what_(std::move(what)), total_(total), enabled_(enabled),
        start_(std::chrono::steady_clock::now()), last_(start_) {}

  void update(std::uint64_t done) {
    if (!enabled_) return;
    const auto now = std::chrono::steady_clock::now();
    if (now - start_ < std::chrono::seconds(1) || now - last_ < std::chrono::milliseconds(250)) {
      if (done != total_ || !shown_) return;
    }
    last_ = now;
    shown_ = true;
    const double seconds = std::chrono::duration<double>(now - start_).count();
    const double rate = seconds > 0 ? static_cast<double>(done) / seconds : 0.0;
    const double eta = rate > 0 ? static_cast<double>(total_ - done) / rate : 0.0;
    std::fprintf(stderr, "\r%s: %llu / %llu (%.0f%%), %.*f/s, %.0fs left   ", what_.c_str(),
                 static_cast<unsigned long long>(done), static_cast<unsigned long long>(total_),
                 total_ ? 100.0 * static_cast<double>(done) / static_cast<double>(total_) : 100.0,
                 rate < 10 ? 2 : 0, rate, eta);
    if (done == total_) std::fprintf(stderr, "\n");
  }

 private:
  std::string what_;
  std::uint64_t total_;
  bool enabled_, shown_ = false;
  std::chrono::steady_clock::time_point start_, last_;
};

}  // namespace dpa::tools
