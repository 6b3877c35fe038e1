// Which runs a model never saw: the split it was trained with is recorded in its provenance
// together with a fingerprint and a sketch of its training zoo's runs, so that evaluating it on
// that zoo reports the held-out runs alone, run by run, even after the zoo gained, lost or
// renamed a few runs.
#pragma once

#include <cstdint>
#include <string>

#include "dpa/dpa.h"
#include "zoo/zoo_dataset.hpp"

namespace dpa::tools {

// Hex of a hash over the zoo's sorted, distinct run names and their count.
std::string runs_fingerprint(const ZooMetrics& metrics);
// The zoo's runs in brief: the hex hashes of the (at most 32) run names that hash lowest. Two
// versions of one zoo share most of them; zoos of other runs share next to none.
std::string runs_sketch(const ZooMetrics& metrics);

// How a zoo relates to the one a model was trained on.
enum class ZooMatch {
  kForeign,  // other runs (or the model records no split): every run is scored
  kSame,     // the very runs it was trained on
  kChanged,  // the same zoo after runs were added, removed or renamed
};

struct TrainingSplit {
  bool known = false;       // the model records its split (models of dpa train do)
  std::string fingerprint;  // runs_fingerprint of the training zoo
  std::string sketch;       // runs_sketch of it ("" in models written before sketches: fingerprint only)
  std::uint64_t seed = 0;
  double test_fraction = 0;
  int folds = 0, fold = 0;  // folds > 0: fold `fold` was held out instead of test_fraction

  // The provenance lines that record it ("split=...").
  std::string provenance() const;
  // Read back from a model; known is false when it has none.
  static TrainingSplit of(const dpa_model& model);
  // Was the run on the held-out (test) side?
  bool held_out(const std::string& run) const;
  // Is this the zoo the model was trained on? kChanged when at least half the sketch's runs are
  // still there.
  ZooMatch match(const ZooMetrics& metrics) const;
};

}  // namespace dpa::tools
