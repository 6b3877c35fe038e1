// Which rows of a zoo a predictor is trained and evaluated on, what it predicts for them, and a
// deterministic train / validation / test split by run, so no run's checkpoints leak across.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "zoo/zoo_dataset.hpp"

namespace dpa::tools {

struct CheckpointSelection {
  enum Kind { kFinal, kAll, kSteps } kind = kFinal;
  std::vector<std::uint32_t> steps;  // kSteps
  std::string text() const;          // "final", "all", "1,2,3"
};
CheckpointSelection parse_checkpoints(const std::string& text);  // throws UsageError

enum class Target { kTestAccuracy, kFinalTestAccuracy };
Target parse_target(const std::string& text);  // "test_accuracy" | "final_test_accuracy"
const char* target_name(Target t);

struct SelectedRows {
  std::vector<std::uint64_t> rows;       // row indices into the zoo, ascending
  std::vector<float> targets;            // one per selected row
  std::vector<std::uint32_t> run;        // dense run id per selected row
  std::uint64_t dropped_non_finite = 0;  // rows with NaN/Inf weights
  std::uint64_t dropped_unfinished = 0;  // rows of runs that never reached config.epochs
};

// row_is_finite: one flag per zoo row (empty: all finite).
SelectedRows select_rows(const ZooMetrics& metrics, const CheckpointSelection& checkpoints, Target target,
                         const std::vector<bool>& row_is_finite);

// The selected rows that keep(i) accepts (i: position in `selected`), in order; the others count
// as dropped for non-finite values. kept (may be null): the positions kept.
SelectedRows keep_rows(const SelectedRows& selected, const std::function<bool(std::size_t)>& keep,
                       std::vector<std::size_t>* kept = nullptr);

struct Split {
  std::vector<std::size_t> train, validation, test;  // indices into SelectedRows
};

// Each run goes to one side, chosen from a hash of its modeldir and the seed: deterministic,
// independent of row order and of which other runs exist.
Split split_by_run(const SelectedRows& selected, const ZooMetrics& metrics, double validation_fraction,
                   double test_fraction, std::uint64_t seed);

// The splitmix64 finaliser: the mixing step of every hash and seed derivation here and in the
// sweep learner.
std::uint64_t splitmix64(std::uint64_t x);
// FNV-1a of a text from `basis` (FNV's offset basis, or a hash to carry on from): the first step
// of the run-name hashes here (split, fold, zoo sketch and fingerprint) and in the sweep learner.
constexpr std::uint64_t kFnvOffsetBasis = 1469598103934665603ull;
std::uint64_t fnv1a(std::string_view text, std::uint64_t basis = kFnvOffsetBasis);

// Is the run on split_by_run's test side?
bool run_in_test_fraction(const std::string& modeldir, double test_fraction, std::uint64_t seed);
// Is the run in fold `fold` of `folds` (split_by_fold's test side)?
bool run_in_fold(const std::string& modeldir, int folds, int fold, std::uint64_t seed);

// The distinct run names (modeldir) of those zoo rows, or of every row when rows is null; sorted.
std::vector<std::string> run_names(const ZooMetrics& metrics, const std::vector<std::uint64_t>* rows = nullptr);

// Throws ToolError before any model is trained when a fold of `folds` holds none of `runs`
// (distinct run names): "fold 3 of 5 holds none of the 4 runs; use at most N folds".
void require_runs_in_every_fold(const std::vector<std::string>& runs, int folds, std::uint64_t seed,
                                const std::string& what);

// K-fold cross-validation by run: fold `fold` (0..folds-1) of the runs is the test side, and
// validation_fraction of the other runs the validation side. The folds of one seed partition the
// runs, each run in exactly one.
Split split_by_fold(const SelectedRows& selected, const ZooMetrics& metrics, int folds, int fold,
                    double validation_fraction, std::uint64_t seed);

}  // namespace dpa::tools
