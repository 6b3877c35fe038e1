#include "train/early_stop_report.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <unordered_map>

#include "common/errors.hpp"
#include "common/progress.hpp"
#include "model/model_file.hpp"
#include "train/context.hpp"
#include "train/held_out.hpp"
#include "train/row_predictions.hpp"

namespace dpa::tools {
namespace {

std::vector<Rule> rules_of(const EarlyStopOptions& o) {
  std::vector<Rule> rules;
  int runtime = 0;
  for (double b : o.below) rules.push_back({Signal::kModel, RuleKind::kBelow, b, runtime++});
  for (double g : o.gap) rules.push_back({Signal::kModel, RuleKind::kGap, g, runtime++});
  for (double b : o.below) rules.push_back({Signal::kTestAccuracy, RuleKind::kBelow, b, -1});
  for (double p : o.percentiles) {
    for (Signal s : {Signal::kModel, Signal::kTestAccuracy, Signal::kTrainLoss})
      rules.push_back({s, RuleKind::kPercentile, p, -1});
  }
  for (double eta : o.halving) rules.push_back({Signal::kSuccessiveHalving, RuleKind::kHalving, eta, -1});
  return rules;
}

const MetricsColumn& required_column(const ZooMetrics& m, const char* name) {
  const MetricsColumn* c = m.column(name);
  if (c == nullptr || c->categorical) throw ToolError(m.path + ": no numeric column '" + std::string(name) + "'");
  return *c;
}

// The search as the replay sees it: every finished run with a checkpoint at `step`, in zoo order,
// with the runtime's prediction and its decisions under the model's rules (context: the model's
// context table over the zoo).
std::vector<ReplayRun> replay_runs(const ZooDataset& zoo, const std::vector<const RunRows*>& runs, std::uint32_t step,
                                   const dpa_model& model, const ContextTable& context, const std::vector<Rule>& rules,
                                   unsigned threads) {
  const ZooMetrics& m = zoo.metrics();
  const MetricsColumn& train_loss = required_column(m, "train_loss");
  std::vector<ReplayRun> out;
  std::vector<std::uint64_t> row_at_step;
  for (const RunRows* run : runs) {
    ReplayRun r;
    std::size_t at = m.rows();
    bool finished = false;
    for (std::size_t row : run->rows) {
      r.steps.push_back(m.step[row]);
      r.test_accuracy.push_back(m.test_accuracy[row]);
      if (m.step[row] == step) at = row;
      if (m.step[row] == m.epochs[row]) {
        finished = true;
        r.final_accuracy = m.test_accuracy[row];
        r.epochs = m.epochs[row];
      }
    }
    if (!finished || at == m.rows() || step >= r.epochs) continue;
    r.accuracy_at_step = m.test_accuracy[at];
    r.train_loss = train_loss.values[at];
    out.push_back(r);
    row_at_step.push_back(at);
  }
  // One early-stopping state per model rule, kept across the runs as a search would keep it.
  std::vector<dpa_early_stop> states;
  for (const Rule& rule : rules) {
    if (rule.runtime_index < 0) continue;
    states.emplace_back();
    dpa_early_stop_init(&states.back(), rule.kind == RuleKind::kBelow ? static_cast<float>(rule.value) : NAN,
                        rule.kind == RuleKind::kGap ? static_cast<float>(rule.value) : 0.0f);
  }
  // Predicted on the pool (one checkpoint per run, scattered over the file: read, not mapped),
  // then decided in run order, as a search would.
  const RowPredictions predicted = predict_rows(model, zoo, context, &row_at_step, threads, false);
  for (std::size_t k = 0; k < out.size(); ++k) {
    const dpa_status s = predicted.statuses[k];
    if (s != DPA_OK && s != DPA_ERR_NON_FINITE) {
      throw ToolError(zoo.dir() + ": row " + std::to_string(row_at_step[k]) + ": " + dpa_status_string(s));
    }
    out[k].predicted = predicted.values[k];
    for (dpa_early_stop& state : states)
      out[k].runtime_stop.push_back(dpa_early_stop_decide(&state, out[k].predicted) != DPA_CONTINUE);
  }
  return out;
}

// Replays the runs with one model and adds what its rules and the baselines did to the report.
class Replays {
 public:
  Replays(const ZooDataset& zoo, const EarlyStopOptions& o, EarlyStopReport& report)
      : zoo_(zoo), o_(o), report_(report), rules_(rules_of(o)), runs_(runs_of(zoo.metrics())) {
    for (const Rule& r : rules_) report_.outcomes.push_back(RuleOutcome{r, 0, 0, 0, 0, 0, 0, 0, 0, 0});
  }
  const std::vector<RunRows>& runs() const { return runs_; }
  void replay(const std::vector<const RunRows*>& replayed, const dpa_model& model, const ContextTable& context) {
    const std::vector<ReplayRun> search = replay_runs(zoo_, replayed, o_.step, model, context, rules_, o_.threads);
    if (search.empty())
      throw ToolError(zoo_.dir() + ": no finished run has a checkpoint at step " + std::to_string(o_.step));
    for (RuleOutcome& outcome : report_.outcomes) tools::replay(search, o_.step, o_.startup, &outcome);
    for (const ReplayRun& r : search) {
      truth_.push_back(r.final_accuracy);
      predicted_.push_back(r.predicted);
    }
    ++report_.replays;
  }
  void finish() { report_.predictor = evaluate(truth_, predicted_); }

 private:
  const ZooDataset& zoo_;
  const EarlyStopOptions& o_;
  EarlyStopReport& report_;
  const std::vector<Rule> rules_;
  const std::vector<RunRows> runs_;
  std::vector<float> truth_, predicted_;
};

// --model: the user's model; on the zoo it was trained on, only the runs it never saw.
void replay_given_model(const ZooDataset& zoo, const EarlyStopOptions& o, EarlyStopReport& report, Replays& replays) {
  const ModelFile model(o.model_path);
  if (model.model().target != DPA_TARGET_FINAL_TEST_ACCURACY) {
    throw ToolError(
        o.model_path +
        ": the model does not predict the run's final accuracy (train it with --target final_test_accuracy)");
  }
  report.context = metadata_value(model.model(), "context");
  const ContextTable context(model.model(), zoo.metrics());
  report.range_warning = range_warning(model.model(), context);
  const TrainingSplit split = TrainingSplit::of(model.model());
  const bool own_zoo = split.match(zoo.metrics()) != ZooMatch::kForeign;
  std::vector<const RunRows*> replayed;
  for (const RunRows& r : replays.runs()) {
    if (!own_zoo || split.held_out(r.name)) replayed.push_back(&r);
  }
  report.excluded_runs = replays.runs().size() - replayed.size();
  replays.replay(replayed, model.model(), context);
}

// Without --model: a model per fold, trained on the other folds' runs, replays this fold's.
void replay_models_per_fold(const ZooDataset& zoo, const EarlyStopOptions& o, EarlyStopReport& report,
                            Replays& replays) {
  TrainOptions t;
  t.checkpoints.kind = CheckpointSelection::kSteps;
  t.checkpoints.steps = {o.step};
  if (!o.train_checkpoints.empty()) t.checkpoints = parse_checkpoints(o.train_checkpoints);
  t.target = Target::kFinalTestAccuracy;
  t.folds = o.folds;
  t.validation_fraction = 0.1;
  t.seed = o.seed;
  t.threads = o.threads;
  t.context = o.context;
  t.tune = o.tune;
  std::vector<std::string> replayed;
  for (const RunRows& r : replays.runs()) replayed.push_back(r.name);
  require_runs_in_every_fold(replayed, o.folds, o.seed, zoo.dir() + ": --folds " + std::to_string(o.folds));
  const TrainingRows rows = training_rows(zoo, t, true);  // read once for every fold
  for (int fold = 0; fold < o.folds; ++fold) {
    t.fold = fold;
    std::fprintf(stderr, "early-stop: fold %d/%d: training on the other folds' runs, replaying this one's\n", fold + 1,
                 o.folds);
    StatusLine status;  // the fold's training says how far it is, as `dpa train` does
    const TrainReport trained = train_predictor(
        zoo, t, rows,
        status.prefixed("early-stop: fold " + std::to_string(fold + 1) + "/" + std::to_string(o.folds) + ": "));
    report.context = trained.context;
    const ModelFile model(trained.model_bytes);
    std::vector<const RunRows*> held_out;
    for (const RunRows& r : replays.runs()) {
      if (run_in_fold(r.name, o.folds, fold, o.seed)) held_out.push_back(&r);
    }
    replays.replay(held_out, model.model(), ContextTable(model.model(), zoo.metrics()));
  }
}

}  // namespace

EarlyStopReport early_stop_report(const ZooDataset& zoo, const EarlyStopOptions& o) {
  EarlyStopReport report;
  report.step = o.step;
  Replays replays(zoo, o, report);
  if (!o.model_path.empty()) {
    replay_given_model(zoo, o, report, replays);
  } else {
    replay_models_per_fold(zoo, o, report, replays);
  }
  replays.finish();
  return report;
}

std::vector<RunRows> runs_of(const ZooMetrics& m) {
  std::vector<RunRows> runs;
  std::unordered_map<std::string, std::size_t> index;
  for (std::size_t r = 0; r < m.rows(); ++r) {
    const auto [it, inserted] = index.emplace(m.modeldir[r], runs.size());
    if (inserted) runs.push_back({m.modeldir[r], {}});
    runs[it->second].rows.push_back(r);
  }
  for (RunRows& run : runs) {
    std::sort(run.rows.begin(), run.rows.end(), [&](std::size_t a, std::size_t b) { return m.step[a] < m.step[b]; });
  }
  return runs;
}

}  // namespace dpa::tools
