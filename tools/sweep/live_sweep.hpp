// A live sweep: the sweep learner fed by a training loop (dpa.optuna.SweepPruner, through
// libdpa_host.so), recording every checkpoint into a statistics zoo in the sweep's directory. Workers
// in several processes share the directory: each reads what the others recorded before it
// decides, so all of them compare against the same trials. Refits run in the background: a report
// never waits for one.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "sweep/sweep_learner.hpp"

namespace dpa::tools {

struct LiveSweepOptions {
  SweepOptions learner;
  std::vector<std::string> history;  // zoos of past sweeps of the same network
};

class LiveSweep {
 public:
  // Opens (or makes) the sweep's statistics zoo in dir ("": none, the learner alone); throws
  // ToolError.
  LiveSweep(const std::string& dir, const dpa_layout& layout, const LiveSweepOptions& options);
  ~LiveSweep();

  // A trial's checkpoint: its weights, its metrics (a JSON object holding test_accuracy, the
  // observed metric, and the same other numbers at every report), its hyperparameters (a JSON
  // object of numbers and texts), its planned last step (epochs). decide: check this step.
  // layout: this network's, when its sizes differ from the sweep's (an architecture
  // hyperparameter such as a width): the same segments, by count and kind, of other lengths;
  // nullptr: the sweep's. The statistics zoo records the first layout.
  SweepDecision report(const std::string& trial, std::uint32_t step, std::uint32_t epochs, const float* weights,
                       std::size_t num_weights, const std::string& metrics_json, const std::string& hyper_json,
                       bool decide, const dpa_layout* layout = nullptr);
  // The same with the checkpoint's statistics already computed: a row of the stored set
  // (zoo/stored_statistics, as `dpa zoo stats` writes them) of a network of num_weights weights
  // (replays of recorded zoos through the live code).
  SweepDecision report_statistics(const std::string& trial, std::uint32_t step, std::uint32_t epochs,
                                  const float* statistics, std::size_t count, std::uint64_t num_weights,
                                  const std::string& metrics_json, const std::string& hyper_json, bool decide);
  // Another worker's checkpoint, read from the study's storage: learnt, not recorded in this
  // directory, never decided. False when the learner has it already (read from the directory).
  bool observe_statistics(const std::string& trial, std::uint32_t step, std::uint32_t epochs, const float* statistics,
                          std::size_t count, std::uint64_t num_weights, const std::string& metrics_json,
                          const std::string& hyper_json);
  // The trial was stopped (pruned, by any worker): its partial curve is learnt from.
  void stopped(const std::string& trial);
  SweepLearnerState state() const;
  // The score each trial (this worker's and the others' it has read) has at a step now: what the
  // rule compares a new trial's score with.
  std::map<std::string, float> scores_at(std::uint32_t step) const;
  // SweepLearner::score_of: one trial's score at a step, and the fit it comes from.
  float score_of(const std::string& trial, std::uint32_t step, std::uint32_t* fit) const;
  std::vector<unsigned char> model_bytes() const;
  void wait();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace dpa::tools
