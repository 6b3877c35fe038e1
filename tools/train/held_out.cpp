#include "train/held_out.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "model/model_file.hpp"
#include "zoo/row_selection.hpp"

namespace dpa::tools {

namespace {

constexpr std::size_t kSketchRuns = 32;

// A run name's hash in the sketch.
std::uint64_t sketch_hash(const std::string& run) { return splitmix64(fnv1a(run)); }

std::vector<std::uint64_t> sketch_hashes(const ZooMetrics& m) {
  std::vector<std::uint64_t> hashes;
  for (const std::string& run : run_names(m)) hashes.push_back(sketch_hash(run));
  const std::size_t kept = std::min(kSketchRuns, hashes.size());
  std::partial_sort(hashes.begin(), hashes.begin() + static_cast<long>(kept), hashes.end());
  hashes.resize(kept);
  return hashes;
}

}  // namespace

std::string runs_sketch(const ZooMetrics& m) {
  std::string text;
  char buf[24];
  for (const std::uint64_t h : sketch_hashes(m)) {
    std::snprintf(buf, sizeof buf, "%s%016llx", text.empty() ? "" : " ", static_cast<unsigned long long>(h));
    text += buf;
  }
  return text;
}

ZooMatch TrainingSplit::match(const ZooMetrics& metrics) const {
  if (!known) return ZooMatch::kForeign;
  if (fingerprint == runs_fingerprint(metrics)) return ZooMatch::kSame;
  if (sketch.empty()) return ZooMatch::kForeign;
  // The recorded runs that hash lowest are found among the zoo's runs that hash lowest: a zoo that
  // gained runs keeps them all; one that lost a few keeps most.
  std::vector<std::uint64_t> recorded;
  for (std::size_t at = 0; at + 16 <= sketch.size(); at += 17) {
    recorded.push_back(std::strtoull(sketch.substr(at, 16).c_str(), nullptr, 16));
  }
  std::vector<std::uint64_t> here;
  for (const std::string& run : run_names(metrics)) here.push_back(sketch_hash(run));
  std::sort(here.begin(), here.end());
  std::size_t found = 0;
  for (const std::uint64_t h : recorded) found += std::binary_search(here.begin(), here.end(), h);
  return !recorded.empty() && 2 * found >= recorded.size() ? ZooMatch::kChanged : ZooMatch::kForeign;
}

std::string runs_fingerprint(const ZooMetrics& m) {
  const std::vector<std::string> runs = run_names(m);
  std::uint64_t h = kFnvOffsetBasis;  // FNV-1a over the names, each ended by its NUL
  for (const std::string& run : runs) h = fnv1a(std::string_view(run.c_str(), run.size() + 1), h);
  char buf[48];
  std::snprintf(buf, sizeof buf, "%016llx-%zu", static_cast<unsigned long long>(h), runs.size());
  return buf;
}

std::string TrainingSplit::provenance() const {
  char buf[160];
  std::snprintf(buf, sizeof buf, "split=seed %llu test_fraction %.17g folds %d fold %d\nzoo_runs=%s\n",
                static_cast<unsigned long long>(seed), test_fraction, folds, fold, fingerprint.c_str());
  return buf + (sketch.empty() ? "" : "zoo_sketch=" + sketch + "\n");
}

TrainingSplit TrainingSplit::of(const dpa_model& model) {
  TrainingSplit s;
  const std::string split = metadata_value(model, "split");
  s.fingerprint = metadata_value(model, "zoo_runs");
  s.sketch = metadata_value(model, "zoo_sketch");
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
