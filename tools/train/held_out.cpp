#include "train/held_out.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "model/model_file.hpp"
#include "zoo/row_selection.hpp"

namespace dpa::tools {

std::string runs_fingerprint(const ZooMetrics& m) {
  std::vector<std::string> runs(m.modeldir.begin(), m.modeldir.end());
  std::sort(runs.begin(), runs.end());
  runs.erase(std::unique(runs.begin(), runs.end()), runs.end());
  std::uint64_t h = 1469598103934665603ull;  // FNV-1a over the names, each ended by a NUL
  for (const std::string& run : runs) {
    for (const unsigned char c : run) h = (h ^ c) * 1099511628211ull;
    h *= 1099511628211ull;
  }
  char buf[48];
  std::snprintf(buf, sizeof buf, "%016llx-%zu", static_cast<unsigned long long>(h), runs.size());
  return buf;
}

std::string TrainingSplit::provenance() const {
  char buf[160];
  std::snprintf(buf, sizeof buf, "split=seed %llu test_fraction %.17g folds %d fold %d\nzoo_runs=%s\n",
                static_cast<unsigned long long>(seed), test_fraction, folds, fold, fingerprint.c_str());
  return buf;
}

TrainingSplit TrainingSplit::of(const dpa_model& model) {
  TrainingSplit s;
  const std::string split = metadata_value(model, "split");
  s.fingerprint = metadata_value(model, "zoo_runs");
  unsigned long long seed = 0;
  s.known = !s.fingerprint.empty() && std::sscanf(split.c_str(), "seed %llu test_fraction %lf folds %d fold %d", &seed,
                                                  &s.test_fraction, &s.folds, &s.fold) == 4;
  s.seed = seed;
  return s;
}

bool TrainingSplit::held_out(const std::string& run) const {
  return folds > 0 ? run_in_fold(run, folds, fold, seed) : run_in_test_fraction(run, test_fraction, seed);
}

}  // namespace dpa::tools
