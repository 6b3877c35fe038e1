#include "train/run_order_stops.hpp"

#include <algorithm>
#include <cmath>

namespace dpa::tools {

RunOrderStops::RunOrderStops(std::uint32_t runs, std::size_t checked_steps, float stop_below, float max_gap)
    : stop_below_(stop_below),
      max_gap_(max_gap),
      best_up_to_(runs),
      ended_(runs, false),
      frontier_(checked_steps, 0),
      best_(checked_steps, -INFINITY) {}

dpa_early_stop RunOrderStops::state_for(std::uint32_t run, std::size_t check) {
  dpa_early_stop state;
  dpa_early_stop_init(&state, stop_below_, max_gap_);
  std::unique_lock<std::mutex> lock(mutex_);
  const std::vector<float>& own = best_up_to_[run];
  float reference = own.empty() ? -INFINITY : own.back();
  if (max_gap_ > 0 && check < frontier_.size()) {
    // Runs before this one only: the frontier cannot pass this run before it makes this check.
    moved_.wait(lock, [&] { return frontier_[check] >= run; });
    reference = std::max(reference, best_[check]);
  }
  state.best_predicted = reference;
  return state;
}

void RunOrderStops::record(std::uint32_t run, std::size_t check, const dpa_early_stop& state, float predicted,
                           bool replayed) {
  const std::lock_guard<std::mutex> lock(mutex_);
  if (!replayed) {
    ++checks_;
    stops_ += state.stops;
  }
  std::vector<float>& own = best_up_to_[run];
  const float before = own.empty() ? -INFINITY : own.back();
  own.resize(check + 1, before);
  own[check] = std::isfinite(predicted) ? std::max(before, predicted) : before;
  advance();
}

void RunOrderStops::finish(std::uint32_t run) {
  const std::lock_guard<std::mutex> lock(mutex_);
  ended_[run] = true;
  advance();
}

void RunOrderStops::advance() {
  bool moved = false;
  for (std::size_t k = 0; k < frontier_.size(); ++k) {
    while (frontier_[k] < best_up_to_.size()) {
      const std::vector<float>& run = best_up_to_[frontier_[k]];
      if (run.size() <= k && !ended_[frontier_[k]]) break;  // not there yet
      // An ended run that never reached check k counts with its best over the checks it made.
      if (!run.empty()) best_[k] = std::max(best_[k], run[std::min(k, run.size() - 1)]);
      ++frontier_[k];
      moved = true;
    }
  }
  if (moved) moved_.notify_all();
}

}  // namespace dpa::tools
