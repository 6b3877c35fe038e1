#include "zoo/row_selection.hpp"

#include <algorithm>
#include <map>
#include <unordered_map>

#include "common/cli_args.hpp"

namespace dpa::tools {

std::string CheckpointSelection::text() const {
  if (kind == kFinal) return "final";
  if (kind == kAll) return "all";
  std::string s;
  for (std::size_t i = 0; i < steps.size(); ++i) s += (i ? "," : "") + std::to_string(steps[i]);
  return s;
}

CheckpointSelection parse_checkpoints(const std::string& text) {
  CheckpointSelection c;
  if (text == "final") return c;
  if (text == "all") {
    c.kind = CheckpointSelection::kAll;
    return c;
  }
  c.kind = CheckpointSelection::kSteps;
  for (const std::string& field : split(text, ',')) {
    const long long step = parse_integer(field, "--checkpoints");
    if (step < 0 || step > 1000000) throw UsageError("--checkpoints: step " + std::to_string(step) + " out of range");
    c.steps.push_back(static_cast<std::uint32_t>(step));
  }
  std::sort(c.steps.begin(), c.steps.end());
  c.steps.erase(std::unique(c.steps.begin(), c.steps.end()), c.steps.end());
  return c;
}

Target parse_target(const std::string& text) {
  if (text == "test_accuracy") return Target::kTestAccuracy;
  if (text == "final_test_accuracy") return Target::kFinalTestAccuracy;
  throw UsageError("--target must be test_accuracy or final_test_accuracy, got '" + text + "'");
}

const char* target_name(Target t) { return t == Target::kTestAccuracy ? "test_accuracy" : "final_test_accuracy"; }

SelectedRows select_rows(const ZooMetrics& m, const CheckpointSelection& checkpoints, Target target,
                         const std::vector<bool>& row_is_finite) {
  // Per run: its dense id and the accuracy at its last checkpoint (step == config.epochs).
  std::unordered_map<std::string, std::uint32_t> run_id;
  std::vector<float> final_accuracy;
  std::vector<bool> finished;
  for (std::size_t r = 0; r < m.rows(); ++r) {
    const auto [it, inserted] = run_id.emplace(m.modeldir[r], static_cast<std::uint32_t>(final_accuracy.size()));
    if (inserted) {
      final_accuracy.push_back(0.0f);
      finished.push_back(false);
    }
    if (m.step[r] == m.epochs[r]) {
      final_accuracy[it->second] = m.test_accuracy[r];
      finished[it->second] = true;
    }
  }
  SelectedRows s;
  for (std::size_t r = 0; r < m.rows(); ++r) {
    const std::uint32_t run = run_id.at(m.modeldir[r]);
    bool wanted = false;
    switch (checkpoints.kind) {
      case CheckpointSelection::kFinal: wanted = m.step[r] == m.epochs[r]; break;
      case CheckpointSelection::kAll: wanted = true; break;
      case CheckpointSelection::kSteps:
        wanted = std::binary_search(checkpoints.steps.begin(), checkpoints.steps.end(), m.step[r]);
        break;
    }
    if (!wanted) continue;
    if (!row_is_finite.empty() && !row_is_finite[r]) {
      ++s.dropped_non_finite;
      continue;
    }
    if (target == Target::kFinalTestAccuracy && !finished[run]) {
      ++s.dropped_unfinished;
      continue;
    }
    s.rows.push_back(r);
    s.targets.push_back(target == Target::kTestAccuracy ? m.test_accuracy[r] : final_accuracy[run]);
    s.run.push_back(run);
  }
  return s;
}

SelectedRows keep_rows(const SelectedRows& selected, const std::function<bool(std::size_t)>& keep,
                       std::vector<std::size_t>* kept) {
  SelectedRows out;
  out.dropped_non_finite = selected.dropped_non_finite;
  out.dropped_unfinished = selected.dropped_unfinished;
  for (std::size_t i = 0; i < selected.rows.size(); ++i) {
    if (!keep(i)) {
      ++out.dropped_non_finite;
      continue;
    }
    if (kept) kept->push_back(i);
    out.rows.push_back(selected.rows[i]);
    out.targets.push_back(selected.targets[i]);
    out.run.push_back(selected.run[i]);
  }
  return out;
}

std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

std::uint64_t fnv1a(std::string_view text, std::uint64_t basis) {
  std::uint64_t h = basis;
  for (const unsigned char c : text) h = (h ^ c) * 1099511628211ull;
  return h;
}

namespace {

double run_position(const std::string& modeldir, std::uint64_t seed) {
  return static_cast<double>(splitmix64(fnv1a(modeldir) ^ splitmix64(seed)) >> 11) * 0x1.0p-53;
}

}  // namespace

namespace {

// Assigns every selected row to the side (0 train, 1 validation, 2 test) of its run.
template <class SideOf>
Split split_rows(const SelectedRows& selected, const ZooMetrics& metrics, SideOf side_of) {
  Split split;
  std::unordered_map<std::uint32_t, int> side;
  for (std::size_t i = 0; i < selected.rows.size(); ++i) {
    auto it = side.find(selected.run[i]);
    if (it == side.end()) it = side.emplace(selected.run[i], side_of(metrics.modeldir[selected.rows[i]])).first;
    (it->second == 0 ? split.train : it->second == 1 ? split.validation : split.test).push_back(i);
  }
  return split;
}

}  // namespace

bool run_in_test_fraction(const std::string& modeldir, double test_fraction, std::uint64_t seed) {
  return run_position(modeldir, seed) < test_fraction;
}

bool run_in_fold(const std::string& modeldir, int folds, int fold, std::uint64_t seed) {
  return static_cast<int>(run_position(modeldir, seed) * folds) == fold;
}

std::vector<std::string> run_names(const ZooMetrics& metrics, const std::vector<std::uint64_t>* rows) {
  std::vector<std::string> names;
  if (rows == nullptr) {
    names = metrics.modeldir;
  } else {
    for (const std::uint64_t r : *rows) names.push_back(metrics.modeldir[r]);
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

void require_runs_in_every_fold(const std::vector<std::string>& runs, int folds, std::uint64_t seed,
                                const std::string& what) {
  std::vector<std::size_t> in_fold(static_cast<std::size_t>(std::max(folds, 0)));
  for (const std::string& run : runs) {
    const auto fold = static_cast<std::size_t>(run_position(run, seed) * folds);
    if (fold < in_fold.size()) ++in_fold[fold];
  }
  for (std::size_t fold = 0; fold < in_fold.size(); ++fold) {
    if (in_fold[fold] > 0) continue;
    const std::size_t usable =
        static_cast<std::size_t>(std::count_if(in_fold.begin(), in_fold.end(), [](std::size_t n) { return n > 0; }));
    throw ToolError(what + ": fold " + std::to_string(fold + 1) + " of " + std::to_string(folds) +
                    " holds none of the " + std::to_string(runs.size()) +
                    " runs, so it would test nothing; use fewer folds (" + std::to_string(usable) +
                    " hold runs with this seed) or record more runs");
  }
}

Split split_by_fold(const SelectedRows& selected, const ZooMetrics& metrics, int folds, int fold,
                    double validation_fraction, std::uint64_t seed) {
  if (folds < 2 || fold < 0 || fold >= folds) throw UsageError("folds must be at least 2, fold within them");
  if (validation_fraction < 0 || validation_fraction >= 1) throw UsageError("validation fraction must be in [0, 1)");
  return split_rows(selected, metrics, [&](const std::string& run) {
    if (run_in_fold(run, folds, fold, seed)) return 2;
    // Among the other runs, an independent position decides validation.
    return run_position(run, seed ^ 0x5bd1e995u) < validation_fraction ? 1 : 0;
  });
}

Split split_by_run(const SelectedRows& selected, const ZooMetrics& metrics, double validation_fraction,
                   double test_fraction, std::uint64_t seed) {
  if (validation_fraction < 0 || test_fraction < 0 || validation_fraction + test_fraction >= 1) {
    throw UsageError("validation and test fractions must be >= 0 and sum to less than 1");
  }
  return split_rows(selected, metrics, [&](const std::string& run) {
    if (run_in_test_fraction(run, test_fraction, seed)) return 2;
    return run_in_test_fraction(run, test_fraction + validation_fraction, seed) ? 1 : 0;
  });
}

}  // namespace dpa::tools
