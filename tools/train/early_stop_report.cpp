#include "train/early_stop_report.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <unordered_map>

#include "common/cli_args.hpp"
#include "train/context.hpp"

namespace dpa::tools {

std::string StopRule::name() const {
  char buf[96];
  if (!std::isnan(stop_below) && max_gap > 0) {
    std::snprintf(buf, sizeof buf, "below %.2f or %.2f under the best", stop_below, max_gap);
  } else if (!std::isnan(stop_below)) {
    std::snprintf(buf, sizeof buf, "predicted final < %.2f", stop_below);
  } else {
    std::snprintf(buf, sizeof buf, "%.2f under the best so far", max_gap);
  }
  return buf;
}

EarlyStopReport early_stop_report(const ZooDataset& zoo, std::uint32_t step, const std::vector<StopRule>& rules,
                                  double test_fraction, std::uint64_t seed, unsigned threads,
                                  const std::string& context) {
  EarlyStopReport report;
  report.step = step;
  TrainOptions o;
  o.checkpoints.kind = CheckpointSelection::kSteps;
  o.checkpoints.steps = {step};
  o.target = Target::kFinalTestAccuracy;
  o.test_fraction = test_fraction;
  o.validation_fraction = 0.1;
  o.seed = seed;
  o.threads = threads;
  o.context = context;
  report.predictor = train_predictor(zoo, o);
  const LoadedModel model = load_model_bytes(report.predictor.model_bytes);
  const ContextTable context_rows(model.model, zoo.metrics());

  // The held-out runs: the test side of the same split, at the early checkpoint.
  const ZooMetrics& m = zoo.metrics();
  const SelectedRows rows = select_rows(m, o.checkpoints, o.target, {});
  const Split split = split_by_run(rows, m, o.validation_fraction, o.test_fraction, seed);
  if (split.test.empty()) throw ToolError("no held-out runs reach step " + std::to_string(step));
  std::unordered_map<std::string, std::uint32_t> epochs_of_run;
  for (std::size_t r = 0; r < m.rows(); ++r) epochs_of_run[m.modeldir[r]] = m.epochs[r];
  std::vector<float> finals;
  for (std::size_t i : split.test) finals.push_back(rows.targets[i]);
  std::vector<float> sorted = finals;
  std::sort(sorted.begin(), sorted.end());
  const std::size_t best_count = std::max<std::size_t>(1, sorted.size() / 10);
  const float best_cut = sorted[sorted.size() - best_count];

  std::vector<unsigned char> scratch(dpa_model_scratch_size(&model.model));
  std::vector<float> converted(zoo.weights().cols());
  for (const StopRule& rule : rules) {
    StopOutcome out;
    out.rule = rule;
    dpa_early_stop state;
    dpa_early_stop_init(&state, rule.stop_below, rule.max_gap);
    double all_epochs = 0, saved = 0, stopped_final = 0;
    for (std::size_t k = 0; k < split.test.size(); ++k) {  // runs in zoo order, as a search would
      const std::size_t row = rows.rows[split.test[k]];
      const float final_accuracy = finals[k];
      const double epochs = epochs_of_run[m.modeldir[row]];
      float predicted;
      dpa_decision decision;
      const dpa_inputs in = context_rows.inputs(zoo.weights().row(row, converted.data()), zoo.weights().cols(), row);
      const dpa_status s = dpa_early_stop_check_inputs(&model.model, &state, &in, scratch.data(), scratch.size(),
                                                       &predicted, &decision);
      if (s != DPA_OK && s != DPA_ERR_NON_FINITE) {
        throw ToolError(zoo.dir() + ": row " + std::to_string(row) + ": " + dpa_status_string(s));
      }
      ++out.runs;
      all_epochs += epochs;
      const bool best = final_accuracy >= best_cut;
      out.best_runs += best;
      if (decision != DPA_CONTINUE) {
        ++out.stopped;
        saved += epochs - step;
        stopped_final += final_accuracy;
        out.best_runs_stopped += best;
      }
    }
    out.epochs_saved_share = all_epochs > 0 ? saved / all_epochs : 0;
    out.mean_final_of_stopped = out.stopped ? stopped_final / static_cast<double>(out.stopped) : NAN;
    report.outcomes.push_back(out);
  }
  return report;
}

}  // namespace dpa::tools
