#include "train/pipeline.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <memory>
#include <unordered_map>
#include <sstream>

#include "common/cli_args.hpp"
#include "common/parallel.hpp"
#include "common/stats_options.hpp"
#include "train/context.hpp"
#include "train/held_out.hpp"
#include "model/model_writer.hpp"
#include "model/tree_layout.hpp"
#include "zoo/feature_extraction.hpp"

namespace dpa::tools {
namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// A row's features in the model's block order: weight features (from the zoo's statistics), then
// the context block as the runtime computes it from the row's context values.
class RowFeatures {
 public:
  RowFeatures(const ZooFeatures& weights, const dpa_model& inputs, const ContextTable& context)
      : weights_(weights), inputs_(inputs), context_(context) {
    if (inputs.num_features != weights.per_row + context.per_row()) throw ToolError("feature count mismatch");
  }
  std::size_t per_row() const { return inputs_.num_features; }
  void fill(std::size_t row, float* out) const {
    std::uint32_t offset = 0;
    for (std::uint32_t b = 0; b < inputs_.num_input_blocks; ++b) {
      if (inputs_.input_blocks[b] == DPA_INPUT_CONTEXT) {
        dpa_model_context_features(&inputs_, context_.row(row), context_.per_row(), out + offset, context_.per_row());
        offset += static_cast<std::uint32_t>(context_.per_row());
      } else {
        std::memcpy(out + offset, &weights_.values[row * weights_.per_row], weights_.per_row * sizeof(float));
        offset += static_cast<std::uint32_t>(weights_.per_row);
      }
    }
  }

 private:
  const ZooFeatures& weights_;
  const dpa_model& inputs_;
  const ContextTable& context_;
};

// Rows of the selection, as a dense matrix and targets.
void gather(const RowFeatures& f, const SelectedRows& s, const std::vector<std::size_t>& part,
            std::vector<float>& x, std::vector<float>& y) {
  x.resize(part.size() * f.per_row());
  y.resize(part.size());
  for (std::size_t i = 0; i < part.size(); ++i) {
    f.fill(s.rows[part[i]], &x[i * f.per_row()]);
    y[i] = s.targets[part[i]];
  }
}

// The ranges of the numeric context values and of the target over the training rows.
TrainedRanges training_ranges(const dpa_model& inputs, const ContextTable& context, const SelectedRows& selected,
                              const std::vector<std::size_t>& train, const std::vector<float>& targets) {
  TrainedRanges out;
  for (std::uint32_t i = 0; i < inputs.num_context; ++i) {
    dpa_context_info info;
    dpa_model_context_info(&inputs, i, &info);
    if (info.kind == DPA_CONTEXT_CATEGORICAL) continue;  // categories: the model lists them
    TrainedRanges::Range r{info.name, INFINITY, -INFINITY};
    for (const std::size_t k : train) {
      const float v = context.row(selected.rows[k])[i];
      r.low = std::min(r.low, v);
      r.high = std::max(r.high, v);
    }
    out.ranges.push_back(r);
  }
  if (!targets.empty()) {
    const auto [low, high] = std::minmax_element(targets.begin(), targets.end());
    out.ranges.push_back({"target", *low, *high});
  }
  return out;
}

// The model's inputs with a placeholder predictor: the runtime's view of what it will read.
std::unique_ptr<ModelFile> inputs_only(const FeatureSpec& features) {
  ModelSpec draft;
  draft.features = features;
  LinearModel zero;
  zero.mean.assign(features.num_features(), 0.0f);
  zero.inv_scale.assign(features.num_features(), 1.0f);
  zero.weight.assign(features.num_features(), 0.0f);
  draft.predictor = zero;
  return std::make_unique<ModelFile>(write_model(draft));
}

std::vector<float> predict_rows(const dpa_model& m, const std::vector<float>& x, std::size_t per_row) {
  std::vector<float> out(x.size() / per_row);
  std::vector<unsigned char> scratch(dpa_model_scratch_size(&m) + 64);
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (dpa_model_predict_features(&m, &x[i * per_row], per_row, &out[i], scratch.data(), scratch.size()) != DPA_OK) {
      throw ToolError("prediction failed on a finite feature row");
    }
  }
  return out;
}

}  // namespace

ModelKind parse_model_kind(const std::string& text) {
  if (text == "gbdt") return ModelKind::kGbdt;
  if (text == "linear") return ModelKind::kLinear;
  if (text == "mlp") return ModelKind::kMlp;
  throw UsageError("--model must be gbdt, linear or mlp, got '" + text + "'");
}

const char* model_kind_name(ModelKind k) {
  return k == ModelKind::kGbdt ? "gbdt" : k == ModelKind::kLinear ? "linear" : "mlp";
}

ZooFeatures compute_zoo_features(const ZooDataset& zoo, dpa_stats_set set, unsigned threads) {
  ZooFeatures f;
  const dpa_layout layout = zoo.layout();
  f.per_row = static_cast<std::size_t>(layout.num_segments) * dpa_stats_per_segment(set);
  f.values.resize(zoo.rows() * f.per_row);
  f.finite.assign(zoo.rows(), true);
  const FeatureRun run = extract_features(zoo.weights(), layout, set, threads,
      [&](std::uint64_t first, std::uint64_t count, const float* block) {
        std::memcpy(&f.values[first * f.per_row], block, count * f.per_row * sizeof(float));
        for (std::uint64_t r = 0; r < count; ++r) {
          for (std::size_t c = 0; c < f.per_row; ++c) {
            if (std::isnan(block[r * f.per_row + c])) {
              f.finite[first + r] = false;
              break;
            }
          }
        }
      });
  f.seconds = run.seconds;
  return f;
}

namespace {

// RMSE of a model file's predictions of rows x against y, through the runtime.
double rmse_of(const std::vector<unsigned char>& bytes, const std::vector<float>& x, const std::vector<float>& y,
               std::size_t per_row) {
  const ModelFile file(bytes);
  return evaluate(y, predict_rows(file.model(), x, per_row)).rmse;
}

// The longest prefix of `trained`'s trees whose file (spec with that prefix) takes at most
// max_bytes, or 0 trees when not even one fits.
GbdtModel longest_prefix_within(const GbdtModel& trained, ModelSpec spec, std::size_t max_bytes) {
  std::size_t low = 0, high = trained.trees.size();  // low fits (0 = nothing), high + 1 does not
  GbdtModel prefix = trained;
  auto fits = [&](std::size_t count) {
    prefix.trees.assign(trained.trees.begin(), trained.trees.begin() + static_cast<long>(count));
    spec.predictor = prefix;
    return write_model(spec).size() <= max_bytes;
  };
  if (fits(high)) return prefix;
  while (low + 1 < high) {
    const std::size_t mid = (low + high) / 2;
    (fits(mid) ? low : high) = mid;
  }
  prefix.trees.assign(trained.trees.begin(), trained.trees.begin() + static_cast<long>(low));
  return prefix;
}

struct BudgetFit {
  GbdtModel model;
  int depth = 0;
};

// --max-bytes: for each depth from the configured one down to 2, the longest prefix of its trees
// whose file fits, scored on (x, y); the best of them. The file's other sections count too: sized
// with a provenance of about the final one's length (train_predictor checks the file as written).
BudgetFit fit_flash_budget(const ModelSpec& spec, const GbdtModel& at_max_depth, const GbdtParams& p,
                           const TrainOptions& o, const std::function<GbdtModel(const GbdtParams&)>& train_at,
                           const std::vector<float>& x, const std::vector<float>& y, std::size_t per_row,
                           const std::function<void(const std::string&)>& status) {
  ModelSpec frame = spec;
  frame.provenance = Provenance{};
  frame.provenance->text = std::string(1024, 'x');
  BudgetFit best;
  double best_rmse = INFINITY;
  for (int depth = p.max_depth; depth >= 2; --depth) {
    GbdtParams at = p;
    at.max_depth = depth;
    const GbdtModel trained = depth == p.max_depth ? at_max_depth : train_at(at);
    const GbdtModel fitted = longest_prefix_within(trained, frame, o.max_bytes);
    if (fitted.trees.empty()) continue;
    frame.predictor = fitted;
    const double rmse = rmse_of(write_model(frame), x, y, per_row);
    if (status) {
      status("--max-bytes: depth " + std::to_string(depth) + ", " + std::to_string(fitted.trees.size()) +
             " trees fit, rmse " + std::to_string(rmse));
    }
    if (rmse < best_rmse) {
      best_rmse = rmse;
      best = {fitted, depth};
    }
  }
  if (best.depth == 0) {
    throw ToolError("--max-bytes " + std::to_string(o.max_bytes) +
                    ": not even one tree fits (with the inputs, output and provenance sections)");
  }
  return best;
}

}  // namespace

TrainReport train_predictor(const ZooDataset& zoo, const TrainOptions& o,
                            const std::function<void(const std::string&)>& status) {
  TrainReport report;
  ModelSpec spec;
  spec.features.kind = DPA_FEATURES_STATISTICS;
  spec.features.stats_set = o.stats;
  const dpa_layout layout = zoo.layout();
  spec.features.segments.assign(layout.segments, layout.segments + layout.num_segments);
  spec.features.total_length = layout.total_length;
  // Trees split on any monotone scale; linear and MLP models want wide columns on a log scale.
  spec.features.context = describe_context(resolve_context(o.context, zoo.metrics(), o.target), zoo.metrics(),
                                           o.kind != ModelKind::kGbdt);
  report.context = context_summary(spec.features.context);
  const std::unique_ptr<ModelFile> inputs = inputs_only(spec.features);
  const ContextTable context(inputs->model(), zoo.metrics());

  const ZooFeatures features = compute_zoo_features(zoo, o.stats, o.threads);
  report.feature_seconds = features.seconds;
  std::vector<bool> usable = features.finite;
  for (std::size_t r = 0; r < usable.size(); ++r) usable[r] = usable[r] && context.finite(r);
  const SelectedRows selected = select_rows(zoo.metrics(), o.checkpoints, o.target, usable);
  report.dropped_non_finite = selected.dropped_non_finite;
  report.dropped_unfinished = selected.dropped_unfinished;
  if (selected.rows.empty()) throw ToolError(zoo.dir() + ": no rows match --checkpoints " + o.checkpoints.text());
  const Split split = o.folds > 0 ? split_by_fold(selected, zoo.metrics(), o.folds, o.fold, o.validation_fraction, o.seed)
                                  : split_by_run(selected, zoo.metrics(), o.validation_fraction, o.test_fraction, o.seed);
  if (split.train.empty()) throw ToolError("the split left no training rows");
  std::vector<float> xt, yt, xv, yv, xs, ys;
  const RowFeatures rows(features, inputs->model(), context);
  gather(rows, selected, split.train, xt, yt);
  gather(rows, selected, split.validation, xv, yv);
  gather(rows, selected, split.test, xs, ys);
  report.train_rows = yt.size();
  report.validation_rows = yv.size();
  report.test_rows = ys.size();
  const std::size_t d = rows.per_row();
  const MatrixView train{xt.data(), yt.size(), d}, valid{xv.data(), yv.size(), d};
  const MatrixView* valid_ptr = yv.empty() ? nullptr : &valid;
  const std::vector<float>* yv_ptr = yv.empty() ? nullptr : &yv;

  spec.target = o.target == Target::kTestAccuracy ? DPA_TARGET_TEST_ACCURACY : DPA_TARGET_FINAL_TEST_ACCURACY;
  const auto start = std::chrono::steady_clock::now();
  std::ostringstream options;
  switch (o.kind) {
    case ModelKind::kGbdt: {
      GbdtParams p = o.gbdt;
      p.seed = o.seed;
      p.threads = o.threads;
      if (o.tune) {
        std::vector<std::uint32_t> run_of_row;
        for (const std::size_t i : split.train) run_of_row.push_back(selected.run[i]);
        p = tune_gbdt(train, yt, run_of_row, p, 3, status).best;
      }
      report.gbdt = p;
      // Trained trees as they will be written: the layout asked for, float16 leaves rounded.
      auto train_at_depth = [&](const GbdtParams& params) {
        GbdtModel g = train_gbdt(train, yt, valid_ptr, yv_ptr, params, [&](int done, double rmse) {
          if (status && (done % 25 == 0 || done == params.num_trees)) {
            status("depth " + std::to_string(params.max_depth) + ", tree " + std::to_string(done) + "/" +
                   std::to_string(params.num_trees) + (std::isnan(rmse) ? "" : ", validation rmse " + std::to_string(rmse)));
          }
        }).model;
        g.layout = o.tree_layout;
        if (o.leaves == DPA_LEAF_FLOAT16) round_leaves_to_half(g);
        return g;
      };
      spec.transform = p.loss->transform;
      GbdtModel model = train_at_depth(p);
      if (o.max_bytes > 0) {
        const bool validation = !yv.empty();
        const BudgetFit fit = fit_flash_budget(spec, model, p, o, train_at_depth, validation ? xv : xt,
                                               validation ? yv : yt, d, status);
        model = fit.model;
        report.budget_depth = fit.depth;
      }
      spec.predictor = model;
      report.trees = static_cast<int>(model.trees.size());
      options << "loss=" << p.loss->name << "\ntrees=" << report.trees << "\nmax_trees=" << p.num_trees << "\ndepth=" << p.max_depth
              << "\nlearning_rate=" << p.learning_rate << "\nsubsample=" << p.subsample
              << "\ncolsample=" << p.colsample << "\nmin_child_weight=" << p.min_child_weight
              << "\nlambda=" << p.lambda << "\nbins=" << p.max_bins << "\npatience=" << p.early_stopping_rounds
              << "\ntuned=" << (o.tune ? 1 : 0) << "\ntree_layout=" << tree_layout_name(o.tree_layout)
              << "\nleaves=" << leaf_format_name(o.leaves) << "\n";
      if (o.max_bytes > 0) options << "max_bytes=" << o.max_bytes << "\nbudget_depth=" << report.budget_depth << "\n";
      break;
    }
    case ModelKind::kLinear:
      spec.predictor = train_linear(train, yt, o.linear);
      spec.transform = o.linear.logit_link ? DPA_OUTPUT_SIGMOID : DPA_OUTPUT_CLAMP01;
      options << "alpha=" << o.linear.alpha << "\nlogit_link=" << (o.linear.logit_link ? 1 : 0) << "\n";
      break;
    case ModelKind::kMlp: {
      MlpParams p = o.mlp;
      p.seed = o.seed;
      spec.predictor = train_mlp(train, yt, valid_ptr, yv_ptr, p, [&](int epoch, double rmse) {
        if (status && epoch % 10 == 0) status("epoch " + std::to_string(epoch) + (std::isnan(rmse) ? "" : ", validation rmse " + std::to_string(rmse)));
      });
      spec.transform = DPA_OUTPUT_SIGMOID;
      options << "hidden=" << p.hidden[0] << "," << p.hidden[1] << "\nlearning_rate=" << p.learning_rate << "\n";
      break;
    }
  }
  report.train_seconds = seconds_since(start);

  // Metrics through the runtime, on the bytes about to be written.
  Provenance prov;
  prov.text = "zoo=" + zoo.dir() + "\nmodel=" + model_kind_name(o.kind) + "\nstats=" +
              stats_set_name(o.stats) + "\ncontext=" + report.context + "\ncheckpoints=" + o.checkpoints.text() +
              "\ntarget=" + target_name(o.target) + "\nseed=" + std::to_string(o.seed) +
              "\ntest_fraction=" + std::to_string(o.test_fraction) + "\nvalidation_fraction=" +
              std::to_string(o.validation_fraction) + "\n" + options.str() +
              TrainingSplit{true, runs_fingerprint(zoo.metrics()), o.seed, o.test_fraction, o.folds, o.fold}.provenance();
  prov.text += training_ranges(inputs->model(), context, selected, split.train, yt).provenance();
  spec.provenance = prov;
  // The budget holds for the file as written: drop trailing trees while it does not (the
  // provenance may be longer than the search above assumed).
  while (o.max_bytes > 0 && write_model(spec).size() > o.max_bytes) {
    GbdtModel& g = std::get<GbdtModel>(spec.predictor);
    if (g.trees.size() <= 1) throw ToolError("--max-bytes " + std::to_string(o.max_bytes) + ": the model does not fit");
    const std::string was = "\ntrees=" + std::to_string(g.trees.size()) + "\n";
    g.trees.pop_back();
    report.trees = static_cast<int>(g.trees.size());
    const std::size_t at = spec.provenance->text.find(was);
    if (at != std::string::npos) spec.provenance->text.replace(at, was.size(), "\ntrees=" + std::to_string(report.trees) + "\n");
    prov.text = spec.provenance->text;
  }
  const ModelFile draft(write_model(spec));
  const dpa_model& m = draft.model();
  if (!yv.empty()) report.validation = evaluate(yv, predict_rows(m, xv, d));
  if (!ys.empty()) report.test = evaluate(ys, predict_rows(m, xs, d));
  prov.train_rows = static_cast<std::uint32_t>(report.train_rows);
  prov.validation_rows = static_cast<std::uint32_t>(report.validation_rows);
  prov.test_rows = static_cast<std::uint32_t>(report.test_rows);
  prov.split_seed = static_cast<std::uint32_t>(o.seed);
  prov.validation_r2 = static_cast<float>(report.validation.r2);
  prov.validation_kendall_tau = static_cast<float>(report.validation.kendall_tau);
  prov.test_r2 = static_cast<float>(report.test.r2);
  prov.test_kendall_tau = static_cast<float>(report.test.kendall_tau);
  prov.test_mae = static_cast<float>(report.test.mae);
  prov.test_rmse = static_cast<float>(report.test.rmse);
  spec.provenance = prov;
  report.model_bytes = write_model(spec);
  return report;
}

Evaluation evaluate_model(const dpa_model& model, const ZooDataset& zoo,
                          const CheckpointSelection& checkpoints, Target target, unsigned threads,
                          bool all_runs) {
  const dpa_layout layout = zoo.layout();
  if (layout.total_length != model.layout.total_length) {
    throw ToolError(zoo.dir() + ": rows hold " + std::to_string(layout.total_length) +
                    " weights, the model takes " + std::to_string(model.layout.total_length));
  }
  const ContextTable context(model, zoo.metrics());
  // Rows with non-finite weights or context are found by the runtime itself while predicting.
  std::vector<float> predicted_all(zoo.rows());  // NaN where the inputs hold NaN/Inf
  ThreadPool pool(std::max(1u, threads));
  const std::size_t chunk = 256;
  const std::size_t chunks = (zoo.rows() + chunk - 1) / chunk;
  pool.parallel_for(chunks, [&](std::size_t c) {
    std::vector<unsigned char> scratch(dpa_model_scratch_size(&model) + 64);
    std::vector<float> converted(zoo.weights().cols());
    for (std::size_t r = c * chunk; r < std::min<std::size_t>(zoo.rows(), (c + 1) * chunk); ++r) {
      const dpa_inputs in = context.inputs(zoo.weights().row(r, converted.data()), zoo.weights().cols(), r);
      float p = NAN;
      if (dpa_model_predict_inputs(&model, &in, &p, scratch.data(), scratch.size()) != DPA_OK) p = NAN;
      predicted_all[r] = p;
    }
  });
  Evaluation e;
  e.range_warning = range_warning(model, context);
  const TrainingSplit split = TrainingSplit::of(model);
  e.split_known = split.known;
  e.own_zoo = split.trained_on(zoo.metrics());
  std::vector<bool> seen(zoo.rows(), false);  // rows of runs the model was trained or validated on
  if (e.own_zoo && !all_runs) {
    std::unordered_map<std::string, bool> held_out;
    for (std::size_t r = 0; r < zoo.rows(); ++r) {
      const auto [it, inserted] = held_out.emplace(zoo.metrics().modeldir[r], false);
      if (inserted) {
        it->second = split.held_out(it->first);
        e.excluded_runs += !it->second;
      }
      seen[r] = !it->second;
    }
  }
  std::vector<bool> usable(zoo.rows());
  for (std::size_t r = 0; r < zoo.rows(); ++r) usable[r] = !std::isnan(predicted_all[r]);
  const SelectedRows s = select_rows(zoo.metrics(), checkpoints, target, usable);
  e.dropped_non_finite = s.dropped_non_finite;
  e.dropped_unfinished = s.dropped_unfinished;
  for (std::size_t i = 0; i < s.rows.size(); ++i) {
    if (seen[s.rows[i]]) continue;
    e.truth.push_back(s.targets[i]);
    e.predicted.push_back(predicted_all[s.rows[i]]);
  }
  e.metrics = evaluate(e.truth, e.predicted);
  return e;
}

}  // namespace dpa::tools
