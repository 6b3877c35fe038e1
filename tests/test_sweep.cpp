// The sweep learner: the observed metric's percentile rule until it trusts its predictor, a
// predictor that earns trust where the weights say more than the curve, audit trials never
// stopped, the same decisions for the same seed; the zoo writer's appends read back, crash tails
// cut, and values a reader refuses refused.
#include <doctest/doctest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "common/errors.hpp"
#include "dpa/dpa.hpp"
#include "model/model_file.hpp"
#include "sweep/sweep_learner.hpp"
#include "train/stop_rules.hpp"
#include "zoo/stored_statistics.hpp"
#include "zoo/zoo_dataset.hpp"
#include "zoo/zoo_tail.hpp"
#include "zoo/zoo_writer.hpp"

using namespace dpa::tools;

namespace {

const dpa_segment kSegments[] = {{0, 8, DPA_SEGMENT_BIAS, 0}, {8, 64, DPA_SEGMENT_KERNEL, 0}};
const dpa_layout kLayout = {kSegments, 2, 72};

// A synthetic sweep: a trial's final value is its quality; at step 1 the observed metric is a noisy
// view of it, while the kernel's spread (its weights) tells the quality exactly.
struct Synthetic {
  float quality, noise;
  std::vector<float> weights(std::uint32_t step) const {
    std::vector<float> w(72);
    std::mt19937 random(static_cast<unsigned>(quality * 1e6f) + step);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    for (std::size_t i = 0; i < w.size(); ++i) w[i] = normal(random) * (i < 8 ? 0.1f : 0.05f + quality * (1 + step));
    return w;
  }
  float observed(std::uint32_t step) const { return step == 4 ? quality : quality * (0.5f + step / 8.0f) + noise; }
};

std::vector<Synthetic> sweep_of(std::size_t n, float noise, unsigned seed) {
  std::mt19937 random(seed);
  std::uniform_real_distribution<float> q(0.1f, 0.9f), e(-noise, noise);
  std::vector<Synthetic> out;
  for (std::size_t i = 0; i < n; ++i) out.push_back({q(random), e(random)});
  return out;
}

std::vector<float> statistics_of(const std::vector<float>& weights) {
  dpa::FeatureExtractor fx(kLayout, kStoredStatsSet);
  std::vector<float> out(fx.feature_count());
  fx.compute(weights.data(), weights.size(), out.data(), out.size());
  return out;
}

// Every trial to step 1, decided there; those going on run to step 4 and finish.
std::vector<SweepDecision> run_sweep(SweepLearner& learner, const std::vector<Synthetic>& trials) {
  std::vector<SweepDecision> at_step_1;
  for (std::size_t t = 0; t < trials.size(); ++t) {
    const std::string name = "trial" + std::to_string(t);
    for (const std::uint32_t step : {0u, 1u, 2u, 4u}) {
      const std::vector<float> s = statistics_of(trials[t].weights(step));
      const float metrics[1] = {trials[t].observed(step)};
      const SweepDecision d = learner.report(name, step, 4, {}, s.data(), metrics, step == 1);
      if (step == 1) at_step_1.push_back(d);
      if (d.stop) break;
    }
  }
  return at_step_1;
}

}  // namespace

TEST_CASE("sweep learner: the curve's percentile rule until its predictor earns trust") {
  const std::vector<Synthetic> trials = sweep_of(150, 0.3f, 1);
  SweepOptions o;
  o.percentile = 50;
  SweepLearner learner(kLayout, {"test_accuracy"}, o);
  const std::vector<SweepDecision> d = run_sweep(learner, trials);
  // Before any fit the score is the observed metric and the rule is the replay's percentile rule.
  std::vector<double> seen;
  std::size_t first_predicted = d.size();
  for (std::size_t t = 0; t < d.size(); ++t) {
    if (d[t].predicted) {
      first_predicted = std::min(first_predicted, t);
      continue;
    }
    CHECK(d[t].score == doctest::Approx(trials[t].observed(1)));
    if (first_predicted == d.size() && seen.size() >= o.startup) {
      std::vector<double> sorted = seen;
      std::sort(sorted.begin(), sorted.end());
      CHECK(d[t].stop == (d[t].score < percentile_of_sorted(sorted, 50)));
    }
    seen.push_back(d[t].score);
  }
  // The weights tell the quality better than the noisy curve: the predictor is trusted at step 1.
  const SweepLearnerState s = learner.state();
  CHECK(s.fits >= 2);
  REQUIRE(s.tau_model.count(1) == 1);
  CHECK(s.tau_model.at(1) > s.tau_observed.at(1));
  CHECK(std::find(s.trusted_steps.begin(), s.trusted_steps.end(), 1u) != s.trusted_steps.end());
  CHECK(first_predicted < d.size());
  CHECK_FALSE(learner.model_bytes().empty());
}

TEST_CASE("sweep learner: trials its predictor was fit on are scored out of fold, the others by the predictor") {
  const std::vector<Synthetic> trials = sweep_of(120, 0.3f, 5);
  SweepOptions o;
  o.percentile = 50;
  o.partial_curves = false;  // the finished trials alone: those the test can tell the fit saw
  SweepLearner learner(kLayout, {"test_accuracy"}, o);
  const std::vector<SweepDecision> d = run_sweep(learner, trials);
  const SweepLearnerState s = learner.state();
  REQUIRE(s.blend.count(1) == 1);
  const float w = s.blend.at(1);
  const ModelFile model(learner.model_bytes());
  std::vector<unsigned char> scratch(dpa_model_scratch_size(&model.model()) + 64);
  dpa::FeatureExtractor paper(kLayout, DPA_STATS_PAPER);
  const std::map<std::string, float> scores = learner.scores_at(1);
  REQUIRE(scores.size() == trials.size());
  std::size_t fit_on = 0, fit_on_differing = 0, unseen = 0;
  for (std::size_t t = 0; t < trials.size(); ++t) {
    // The model's own prediction: features as it reads them (paper statistics, step, metric).
    std::vector<float> features(paper.feature_count());
    const std::vector<float> weights = trials[t].weights(1);
    paper.compute(weights.data(), weights.size(), features.data(), features.size());
    const float observed = trials[t].observed(1);
    features.push_back(1.0f);
    features.push_back(observed);
    float value = NAN;
    REQUIRE(dpa_model_predict_features(&model.model(), features.data(), features.size(), &value, scratch.data(),
                                       scratch.size()) == DPA_OK);
    const float own = observed + w * (value - observed);
    // Trials finish in order, so the last fit saw the first fit_trials of those that went on.
    if (!d[t].stop && fit_on < s.fit_trials) {
      ++fit_on;
      if (std::fabs(scores.at("trial" + std::to_string(t)) - own) > 1e-6f) ++fit_on_differing;
    } else {
      ++unseen;
      CHECK(scores.at("trial" + std::to_string(t)) == doctest::Approx(own).epsilon(1e-6));
    }
  }
  CHECK(fit_on == s.fit_trials);
  CHECK(unseen > 20);
  // Out of fold, a trial's score is not its in-sample prediction.
  CHECK(fit_on_differing > fit_on * 9 / 10);
}

TEST_CASE("sweep learner: with partial curves the stopped trials are learnt from too, their finals imputed") {
  const std::vector<Synthetic> trials = sweep_of(120, 0.3f, 6);
  for (const bool partial : {false, true}) {
    SweepOptions o;
    o.partial_curves = partial;
    SweepLearner learner(kLayout, {"test_accuracy"}, o);
    const std::vector<SweepDecision> d = run_sweep(learner, trials);
    learner.wait();
    const SweepLearnerState state = learner.state();
    const auto stopped = static_cast<std::uint32_t>(std::count_if(d.begin(), d.end(), [](auto x) { return x.stop; }));
    REQUIRE(stopped > 10);
    // The last fit saw the finished trials of its time, and with partial curves the stopped ones.
    CHECK(state.fit_trials <= state.finished + (partial ? stopped : 0));
    if (partial) {
      CHECK(state.fit_trials > state.finished);
    } else {
      CHECK(state.fit_trials <= state.finished);
    }
  }
}

TEST_CASE("sweep learner: the same decisions for the same seed; audit trials are never stopped") {
  const std::vector<Synthetic> trials = sweep_of(80, 0.3f, 2);
  SweepOptions o;
  o.audit = 0.3;
  o.seed = 7;
  SweepLearner a(kLayout, {"test_accuracy"}, o), b(kLayout, {"test_accuracy"}, o);
  const std::vector<SweepDecision> da = run_sweep(a, trials), db = run_sweep(b, trials);
  std::size_t audited = 0;
  for (std::size_t t = 0; t < da.size(); ++t) {
    CHECK(da[t].stop == db[t].stop);
    CHECK(da[t].score == db[t].score);
    if (a.is_audit("trial" + std::to_string(t))) {
      ++audited;
      CHECK_FALSE(da[t].stop);
      CHECK_FALSE(da[t].decided);
    }
  }
  CHECK(audited > 10);
  CHECK(audited < 40);
}

TEST_CASE("sweep learner: past the row budget a refit trains on a share of every step's rows, and says so") {
  const std::vector<Synthetic> trials = sweep_of(150, 0.3f, 1);
  SweepOptions whole, thinned;
  whole.max_fit_rows = 0;
  thinned.max_fit_rows = 120;
  SweepLearner a(kLayout, {"test_accuracy"}, whole), b(kLayout, {"test_accuracy"}, thinned),
      c(kLayout, {"test_accuracy"}, thinned);
  run_sweep(a, trials);
  const std::vector<SweepDecision> db = run_sweep(b, trials), dc = run_sweep(c, trials);
  const SweepLearnerState sa = a.state(), sb = b.state();
  REQUIRE(sa.refits.size() == sa.fits);
  REQUIRE(sb.refits.size() == sb.fits);
  for (const SweepRefit& r : sa.refits) CHECK(r.fit_rows == r.rows);
  std::size_t thinned_fits = 0;
  for (const SweepRefit& r : sb.refits) {
    CHECK(r.wall_seconds >= 0);
    CHECK_FALSE(r.late);  // refits in the caller's thread are never late
    if (r.rows <= thinned.max_fit_rows) {
      CHECK(r.fit_rows == r.rows);
      continue;
    }
    ++thinned_fits;
    CHECK(r.fit_rows > 120 * 6 / 10);  // about the budget, by a hash
    CHECK(r.fit_rows < 120 * 14 / 10);
  }
  CHECK(thinned_fits >= 2);
  // Every finished checkpoint is still scored out of fold, and the same seed thins alike.
  CHECK(b.scores_at(1).size() == a.scores_at(1).size());
  CHECK(b.model_bytes() == c.model_bytes());
  for (std::size_t t = 0; t < db.size(); ++t) CHECK(db[t].score == dc[t].score);
}

TEST_CASE("sweep learner: history trains it before the sweep's first trial finishes") {
  const std::vector<Synthetic> past = sweep_of(60, 0.3f, 3), now = sweep_of(20, 0.3f, 4);
  SweepLearner learner(kLayout, {"test_accuracy"}, SweepOptions{});
  std::vector<std::vector<float>> statistics, metrics;
  for (std::size_t t = 0; t < past.size(); ++t) {
    std::vector<std::uint32_t> steps;
    std::vector<const float*> s, m;
    statistics.clear();
    metrics.clear();
    for (const std::uint32_t step : {0u, 1u, 2u, 4u}) {
      steps.push_back(step);
      statistics.push_back(statistics_of(past[t].weights(step)));
      metrics.push_back({past[t].observed(step)});
    }
    for (std::size_t k = 0; k < steps.size(); ++k) {
      s.push_back(statistics[k].data());
      m.push_back(metrics[k].data());
    }
    learner.add_history("past" + std::to_string(t), 4, {}, steps, s, m);
  }
  const std::vector<SweepDecision> d = run_sweep(learner, now);
  CHECK(d.front().predicted);  // fit on history at the first report, trusted at once
}

TEST_CASE("sweep learner: trust is judged on the upper half of a past sweep's runs at a step") {
  // A past sweep no rule thinned: at step 1 the observed metric ranks the better half's finals
  // exactly and the poorer half's backwards (below them all). A decision at step 1 is between runs
  // of the better half; judged on all 60 the curve's tau would be about 0.5.
  SweepLearner learner(kLayout, {"test_accuracy"}, SweepOptions{});
  for (int t = 0; t < 60; ++t) {
    const float quality = 0.1f + 0.8f * static_cast<float>(t) / 59.0f;
    const Synthetic run{quality, 0.0f};
    const float at_step_1 = quality >= 0.5f ? quality : 0.5f - quality;
    const std::vector<float> s1 = statistics_of(run.weights(1)), s4 = statistics_of(run.weights(4));
    const float m1[1] = {at_step_1}, m4[1] = {quality};
    learner.add_history("past" + std::to_string(t), 4, {}, {1u, 4u}, {s1.data(), s4.data()}, {m1, m4});
  }
  const std::vector<float> s = statistics_of(Synthetic{0.5f, 0.0f}.weights(1));
  const float metrics[1] = {0.5f};
  learner.report("now0", 1, 4, {}, s.data(), metrics, false);  // the first fit, on history alone
  learner.wait();
  const SweepLearnerState state = learner.state();
  REQUIRE(state.fits == 1);
  CHECK(state.tau_observed.at(1) == doctest::Approx(1.0));
}

TEST_CASE("zoo writer: appends read back, an interrupted append is cut, bad values refused") {
  char dir_template[] = "/tmp/dpa-writer-XXXXXX";
  REQUIRE(::mkdtemp(dir_template) != nullptr);
  const std::string dir = std::string(dir_template) + "/zoo";
  const std::vector<Synthetic> trials = sweep_of(6, 0.1f, 5);
  {
    ZooWriter w(dir, kLayout, ZooStore::kStatistics);
    for (std::size_t t = 0; t < trials.size(); ++t) {
      const std::vector<float> weights = trials[t].weights(4);
      w.add(weights.data(), weights.size(),
            "{\"modeldir\":\"r" + std::to_string(t) + "\",\"step\":4,\"test_accuracy\":0.5,\"config.epochs\":4}");
    }
    CHECK(w.rows() == 6);
    const std::vector<float> w0 = trials[0].weights(4);
    CHECK_THROWS_WITH_AS(
        w.add(w0.data(), w0.size(), R"({"modeldir":"x","step":-1,"test_accuracy":0.5,"config.epochs":4})"),
        doctest::Contains("'step'"), ToolError);
    CHECK_THROWS_WITH_AS(
        w.add(w0.data(), w0.size(), R"({"modeldir":"x","step":1,"test_accuracy":1e300,"config.epochs":4})"),
        doctest::Contains("test_accuracy"), ToolError);
    CHECK_THROWS_WITH_AS(
        w.add(w0.data(), w0.size(), R"({"modeldir":"x","step":1,"test_accuracy":NaN,"config.epochs":4})"),
        doctest::Contains("JSON"), ToolError);
  }
  // A crash after a row and a line were written but before the commit: readers and the next
  // writer see the committed rows alone.
  {
    std::ofstream(dir + "/metrics.jsonl", std::ios::app) << "{\"modeldir\":\"half\",\"step\":1";
    const ZooDataset zoo(dir);
    CHECK(zoo.rows() == 6);
    CHECK(zoo.stored_statistics() != nullptr);
    ZooWriter again(dir, kLayout, ZooStore::kStatistics);
    CHECK(again.rows() == 6);
    std::size_t seen = 0;
    ZooTail tail(dir, kStatisticsFile, 28);
    tail.read_new([&](std::uint64_t, const float*, const std::string& line) {
      CHECK(line.find("half") == std::string::npos);
      ++seen;
    });
    CHECK(seen == 6);
  }
  CHECK_THROWS_WITH_AS(ZooWriter(dir, kLayout, ZooStore::kWeights), doctest::Contains("statistics.npy"), ToolError);
  // Damaged metrics lines are named, and an endless line is not read whole.
  const std::string metrics = dir + "/metrics.jsonl";
  std::ofstream(metrics) << "[1, 2]\n";
  CHECK_THROWS_WITH_AS(ZooDataset{dir}, doctest::Contains("metrics.jsonl:1: not a JSON object"), ToolError);
  std::ofstream(metrics) << std::string(2u << 20, ' ') << "\n";
  CHECK_THROWS_WITH_AS(ZooDataset{dir}, doctest::Contains("metrics.jsonl:1: a line longer than"), ToolError);
  std::system(("rm -rf " + std::string(dir_template)).c_str());
}

TEST_CASE("zoo writer: several rows commit at once; named segments; a caller's companion files") {
  char dir_template[] = "/tmp/dpa-writer-XXXXXX";
  REQUIRE(::mkdtemp(dir_template) != nullptr);
  const std::string dir = std::string(dir_template) + "/zoo";
  REQUIRE(::mkdir(dir.c_str(), 0755) == 0);
  std::ofstream(dir + "/.job") << "the caller's record\n";
  ZooWriterOptions options;
  options.segment_names = {"dense/bias:0", "dense/kernel:0"};
  options.segment_shapes = {"(8,)", "(8, 8)"};
  options.companions = {".job"};
  CHECK_THROWS_WITH_AS(ZooWriter(dir, kLayout, ZooStore::kWeights), doctest::Contains(".job, which this writer"),
                       ToolError);
  ZooWriter w(dir, kLayout, ZooStore::kWeights, options);
  const std::vector<float> rows(3 * kLayout.total_length, 0.25f);
  std::vector<std::string> lines;
  for (int step = 0; step < 3; ++step) {
    lines.push_back("{\"modeldir\":\"r0\",\"step\":" + std::to_string(step) +
                    ",\"test_accuracy\":0.5,\"config.epochs\":2}");
  }
  CHECK(w.add_rows(rows.data(), kLayout.total_length, lines) == 0);
  CHECK(w.rows() == 3);
  // A bad line among them: nothing of the batch is written.
  lines[1] = R"({"modeldir":"r1","step":-1,"test_accuracy":0.5,"config.epochs":2})";
  CHECK_THROWS_WITH_AS(w.add_rows(rows.data(), kLayout.total_length, lines), doctest::Contains("'step'"), ToolError);
  const ZooDataset zoo(dir);
  CHECK(zoo.rows() == 3);
  CHECK(zoo.layout_segments()[1].name == "dense/kernel:0");
  std::ifstream layout(dir + "/layout.csv");
  std::string text((std::istreambuf_iterator<char>(layout)), std::istreambuf_iterator<char>());
  CHECK(text.find("dense/kernel:0,8,72,\"(8, 8)\"") != std::string::npos);
  std::system(("rm -rf " + std::string(dir_template)).c_str());
}
