// A hyperparameter sweep that learns its own predictor of the final metric as its trials finish.
// Each trial reports its checkpoints as they come (the weights' statistics, the loop's metrics,
// its hyperparameters); at a checked step the learner stops it when its score is below the p-th
// percentile of the scores earlier trials had at that step, after `startup` of them (the rule
// `dpa early-stop` replays). The score is the observed metric until the learner trusts its own
// predictor at that step: a GBDT of the final value, refit on the finished trials (every
// checkpoint of each, and those of past sweeps given as history), trusted at a step only while
// its out-of-fold Kendall tau on the finished trials beats the observed metric's there. The
// score is then the observed metric moved towards the prediction by the weight (1/4 to 1) that
// ranked best out of fold. After a refit, the earlier trials' scores are recomputed from what
// they recorded: out of fold for the trials it was fit on, so that, like a new trial's, each is a
// prediction by a model that did not see the trial.
// Pruned trials never finish and never become training data; an audit fraction of trials is never
// stopped, so that some finals are unbiased. Decisions are deterministic for a seed when refits
// run in the caller's thread; in the background (live sweeps) a report never waits for a refit.
#pragma once

#include <cmath>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "dpa/dpa.h"
#include "train/gbdt_trainer.hpp"

namespace dpa::tools {

enum class SweepRefitPriority { kNormal, kLow, kIdle };

struct SweepOptions {
  double percentile = 50;           // keep the top this % of earlier trials' scores at the step (Optuna's meaning)
  std::uint32_t startup = 5;        // earlier trials with a score at the step before any stop
  double audit = 0;                 // fraction of trials never stopped (chosen by a hash of name and seed)
  std::uint64_t seed = 0;           // folds, audit choice, trees
  std::uint32_t min_finished = 10;  // finished trials (history included) before the first fit
  std::uint32_t refit_every = 10;   // refit after this many more finished trials (a tenth more past 100)
  std::uint32_t min_trials_for_tau = 10;  // finished trials with a checkpoint at a step to judge it
  int folds = 5;                          // out-of-fold predictions, by trial
  bool background = false;                // refit on a thread of its own
  // Learn from the stopped trials too (stopped() says which), their finals imputed from their last
  // checkpoint (SweepLearner::Impl::impute_finals); trust is judged on real finals.
  bool partial_curves = true;
  // A live sweep's trials: folds and audit choice hash a trial's name after its last '/' (its trial
  // number), so that they do not depend on the study's name (Optuna's default one is random); each
  // fit sees the trials sorted by name, so that workers that read the same trials in another
  // order (from a directory, from the study's storage) fit the same model.
  bool hash_trial_number = false;
  GbdtParams gbdt = default_gbdt();
  unsigned threads = 1;  // of each refit's training
  // A refit's cost: past this many checkpoints, the training rows are thinned to about this many
  // (chosen by a hash of trial and step: the same share at every step); the out-of-fold
  // predictions and the trust they judge still cover every checkpoint. 0: no limit.
  std::uint32_t max_fit_rows = 50000;
  // The background refit's thread (Linux; elsewhere the caller's priority): idle runs it only on
  // a core nothing else wants (SCHED_IDLE), low at nice 19, normal as the caller. The training
  // loop beside it keeps its cores; a refit still running when the next is due makes that one
  // start when it ends (said: SweepRefit::late).
  SweepRefitPriority refit_priority = SweepRefitPriority::kLow;

  static GbdtParams default_gbdt();
};

// Throws UsageError for a percentile outside [0, 100] or an audit fraction outside [0, 1].
void check_sweep_options(const SweepOptions& options);

// One value of a trial's hyperparameters: a number, or a category (text).
struct SweepValue {
  bool categorical = false;
  float number = 0;
  std::string category;
};
using SweepHyper = std::map<std::string, SweepValue>;

struct SweepDecision {
  bool stop = false;
  bool decided = false;    // a check was made (not an audit trial, a step before the last, past startup)
  bool predicted = false;  // the score is the predictor's (else the observed metric)
  float score = 0;         // what the rule compared
  double threshold = NAN;  // the percentile of earlier scores it was compared with (NaN: none yet)
  bool audit = false;      // an audit trial: never stopped
};

// What one refit cost.
struct SweepRefit {
  std::uint32_t fit = 0;       // its number (1: the first)
  std::uint32_t trials = 0;    // trials it learnt from
  std::uint64_t rows = 0;      // their checkpoints
  std::uint64_t fit_rows = 0;  // of them, trained on (fewer: thinned to the row budget)
  double wall_seconds = 0;     // from start to end
  double cpu_seconds = 0;      // of the refit's own thread (training threads beyond it, threads > 1, not counted)
  bool late = false;           // the next refit came due before it ended, and started when it did
};

// What the learner knows of its predictor now.
struct SweepLearnerState {
  std::uint32_t fits = 0;                                   // refits done
  std::uint32_t finished = 0;                               // finished trials it learns from (history included)
  std::uint32_t fit_trials = 0;                             // of them, in the model now
  bool fitting = false;                                     // a refit is running (in the background)
  std::map<std::uint32_t, double> tau_model, tau_observed;  // out-of-fold, per step, of the last fit
  std::vector<std::uint32_t> trusted_steps;                 // where the predictor scores
  std::map<std::uint32_t, float> blend;  // there: the score is observed + blend (predicted - observed)
  std::vector<SweepRefit> refits;        // every refit that ended, in order
};

class SweepLearner {
 public:
  // layout: the network's segments; statistics rows are the stored set's (zoo/stored_statistics).
  // metrics: the names of the loop's metrics each report passes, the observed one first (the one
  // the final value is the last checkpoint's value of, e.g. test_accuracy).
  SweepLearner(const dpa_layout& layout, std::vector<std::string> metrics, const SweepOptions& options);
  ~SweepLearner();
  SweepLearner(const SweepLearner&) = delete;
  SweepLearner& operator=(const SweepLearner&) = delete;

  // A finished trial of a past sweep of the same network: training data from the start.
  // checkpoints: steps, their statistics rows and metrics rows (metrics.size() values each).
  void add_history(const std::string& trial, std::uint32_t epochs, const SweepHyper& hyper,
                   const std::vector<std::uint32_t>& steps, const std::vector<const float*>& statistics,
                   const std::vector<const float*>& metrics);

  // A checkpoint of a trial (its hyperparameters at its first report; epochs: its planned last
  // step). decide: check it at this step (a step before its last; not an audit trial). A
  // checkpoint at the last step finishes the trial, and may start a refit. A step the trial
  // reported already is refused (ToolError): one checkpoint counts once.
  SweepDecision report(const std::string& trial, std::uint32_t step, std::uint32_t epochs, const SweepHyper& hyper,
                       const float* statistics, const float* metrics, bool decide = true);
  // The trial was stopped (by this learner or otherwise): it will not finish.
  void stopped(const std::string& trial);

  bool is_audit(const std::string& trial) const;
  // Whether the trial reported that step already.
  bool reported(const std::string& trial, std::uint32_t step) const;
  // The score each trial that reached a step has there now: what the rule compares a new trial's
  // score with.
  std::map<std::string, float> scores_at(std::uint32_t step) const;
  // One trial's score at a step (NaN: it did not report that step; -inf: diverged), and the fit it
  // comes from (0: none, the observed metric): a trial's score at a step changes only with the fit.
  float score_of(const std::string& trial, std::uint32_t step, std::uint32_t* fit) const;
  SweepLearnerState state() const;
  // The current predictor of the final value as a model file (format 2, context: step, the
  // metrics, config.*), or empty before the first fit.
  std::vector<unsigned char> model_bytes() const;
  // Waits for a background refit to end.
  void wait();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace dpa::tools
