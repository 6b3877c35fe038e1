// Which runs a model never saw: the split it was trained with is recorded in its provenance
// together with a fingerprint of its training zoo's runs, so that evaluating it on that zoo
// reports the held-out runs alone.
#pragma once

#include <cstdint>
#include <string>

#include "dpa/dpa.h"
#include "zoo/zoo_dataset.hpp"

namespace dpa::tools {

// Hex of a hash over the zoo's sorted, distinct run names and their count.
std::string runs_fingerprint(const ZooMetrics& metrics);

struct TrainingSplit {
  bool known = false;       // the model records its split (models of dpa train do)
  std::string fingerprint;  // runs_fingerprint of the training zoo
  std::uint64_t seed = 0;
  double test_fraction = 0;
  int folds = 0, fold = 0;  // folds > 0: fold `fold` was held out instead of test_fraction

  // The provenance lines that record it ("split=...").
  std::string provenance() const;
  // Read back from a model; known is false when it has none.
  static TrainingSplit of(const dpa_model& model);
  // Was the run on the held-out (test) side?
  bool held_out(const std::string& run) const;
  // Is this the zoo the model was trained on?
  bool trained_on(const ZooMetrics& metrics) const { return known && fingerprint == runs_fingerprint(metrics); }
};

}  // namespace dpa::tools
