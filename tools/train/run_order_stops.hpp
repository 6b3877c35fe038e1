// Early stopping across a parallel search, decided as if the runs had trained one after another
// in run order. The gap rule compares a run's prediction at a checked step with the best
// prediction that the runs before it made up to that step, and with its own earlier ones; so
// which runs stop depends neither on the number of threads nor on which runs a resumed job had
// trained before. The decision itself stays the runtime's (dpa_early_stop_check_inputs), made
// on a state prepared here.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <vector>

#include "dpa/dpa.h"

namespace dpa::tools {

class RunOrderStops {
 public:
  // runs: the job's run count; checked_steps: how many steps of a run are checked (at most).
  RunOrderStops(std::uint32_t runs, std::size_t checked_steps, float stop_below, float max_gap);

  // The state for run `run` at its check number `check` (0-based). With the gap rule on, waits
  // until every earlier run has made that check or ended.
  dpa_early_stop state_for(std::uint32_t run, std::size_t check);
  // Records the runtime's verdict on `state` (from state_for): its prediction, if finite. A check
  // replayed from an earlier job's files (replayed) does not count in checks() and stops().
  void record(std::uint32_t run, std::size_t check, const dpa_early_stop& state, float predicted,
              bool replayed = false);
  // The run made all the checks it will make (trained on, stopped, resumed from disk or failed):
  // later runs no longer wait on it.
  void finish(std::uint32_t run);

  // This job's checks and how many said stop.
  std::uint32_t checks() const { return checks_; }
  std::uint32_t stops() const { return stops_; }

 private:
  void advance();  // moves every step's frontier past the runs that have passed it

  const float stop_below_, max_gap_;
  std::mutex mutex_;
  std::condition_variable moved_;
  // Per run: the best prediction up to each check made so far (running maximum), and whether it ended.
  std::vector<std::vector<float>> best_up_to_;
  std::vector<bool> ended_;
  // Per check k: runs [0, frontier_[k]) have all passed it; best_[k] is their best up to it.
  std::vector<std::uint32_t> frontier_;
  std::vector<float> best_;
  std::uint32_t checks_ = 0, stops_ = 0;
};

}  // namespace dpa::tools
