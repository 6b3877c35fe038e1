#include "grow/zoo_train_job.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <mutex>

#include "cnn/idx_reader.hpp"
#include "common/atomic_file.hpp"
#include "common/cli_args.hpp"
#include "common/files.hpp"
#include "common/json_writer.hpp"
#include "common/parallel.hpp"
#include "common/progress.hpp"
#include "train/context.hpp"
#include "train/run_order_stops.hpp"
#include "zoo/zoo_dataset.hpp"
#include "zoo/zoo_writer.hpp"

namespace dpa::tools {

void FixedConfig::apply(cnn::RunConfig& c) const {
  if (optimizer) c.optimizer = *optimizer;
  if (activation) c.activation = *activation;
  if (w_init) c.w_init = *w_init;
  if (learning_rate) c.learning_rate = *learning_rate;
  if (dropout) c.dropout = *dropout;
  if (l2) c.l2 = *l2;
  if (train_fraction) c.train_fraction = *train_fraction;
}

namespace {

// The job's options, beside the zoo: a resumed job must be the same job.
constexpr const char* kJobRecord = ".zoo-train";

std::string run_name(std::uint32_t run) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "run%05u", run);
  return buf;
}

// One checkpoint's metrics value: its text, and whether JSON quotes it (a text) or not (a number,
// null). The zoo records these texts, and the early-stopping model reads its context values from
// them, so both see the same numbers.
struct Field {
  std::string name, text;
  bool quoted = false;
};

std::string number(const char* format, double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}

std::vector<Field> checkpoint_fields(const std::string& dataset, std::uint32_t run, const cnn::RunConfig& cfg,
                                     const cnn::TrainingBudget& budget, const cnn::Checkpoint& c, int stopped_at) {
  const std::string config = "%.17g", metric = "%.9g";
  return {
      {"config.activation", cfg.activation == cnn::Activation::kRelu ? "relu" : "tanh", true},
      {"config.b_init", cfg.bias_ones ? "ones" : "zeros", true},
      {"config.dataset", dataset, true},
      {"config.dnn_architecture", "cnn", true},
      {"config.dropout", number(config.c_str(), cfg.dropout)},
      {"config.epochs", std::to_string(budget.epochs)},
      {"config.epochs_between_checkpoints", "1"},
      {"config.init_std", number(config.c_str(), cfg.init_std)},
      {"config.l2reg", number(config.c_str(), cfg.l2)},
      {"config.learning_rate", number(config.c_str(), cfg.learning_rate)},
      {"config.num_layers", "3"},
      {"config.num_units", "16"},
      {"config.optimizer", cnn::optimizer_name(cfg.optimizer), true},
      {"config.random_seed", std::to_string(run)},
      {"config.train_fraction", number(config.c_str(), cfg.train_fraction)},
      {"config.w_init", cnn::init_name(cfg.w_init), true},
      {"modeldir", "zoo/" + dataset + "/" + run_name(run), true},
      {"step", std::to_string(c.step)},
      {"test_accuracy", number(metric.c_str(), c.test_accuracy)},
      {"test_loss", number(metric.c_str(), c.test_loss)},
      {"train_accuracy", number(metric.c_str(), c.train_accuracy)},
      {"train_loss", number(metric.c_str(), c.train_loss)},
      {"early_stopped_at", stopped_at >= 0 ? std::to_string(stopped_at) : "null"},
  };
}

std::string metrics_json(const std::vector<Field>& fields) {
  JsonWriter j;
  j.begin_object();
  for (const Field& f : fields) {
    j.key(f.name);
    if (f.quoted) {
      j.value(f.text);
    } else {
      j.json_value(f.text);
    }
  }
  return j.end_object().str();
}

// The early-stopping model's context values, taken by name from a checkpoint's fields; names are
// resolved once.
class LoopContext {
 public:
  explicit LoopContext(const dpa_model& model) : model_(&model) {
    const std::vector<Field> probe = checkpoint_fields("", 0, {}, {}, {}, -1);
    std::string names;
    for (const Field& f : probe) names += (names.empty() ? "" : ",") + f.name;
    for (std::uint32_t i = 0; i < model.num_context; ++i) {
      dpa_context_info info;
      dpa_model_context_info(&model, i, &info);
      const auto it = std::find_if(probe.begin(), probe.end(), [&](const Field& f) { return f.name == info.name; });
      if (it == probe.end() || it->name == "early_stopped_at") {
        throw ToolError(std::string("--early-stop model reads context '") + info.name +
                        "', which zoo train does not know while training (" + names + ")");
      }
      fields_.push_back(static_cast<std::size_t>(it - probe.begin()));
    }
  }
  std::vector<float> values(const std::vector<Field>& fields) const {
    std::vector<float> out;
    for (std::uint32_t i = 0; i < fields_.size(); ++i)
      out.push_back(context_value(*model_, i, fields[fields_[i]].text));
    return out;
  }

 private:
  const dpa_model* model_;
  std::vector<std::size_t> fields_;
};

std::string job_record(const ZooTrainJob& job, const ImageDataset& data) {
  std::string o = "images=" + std::to_string(data.train_images.count) + " train, " +
                  std::to_string(data.test_images.count) + " test\nepochs=" + std::to_string(job.budget.epochs) +
                  "\ncheckpoints=";
  for (std::size_t i = 0; i < job.budget.checkpoints.size(); ++i)
    o += (i ? "," : "") + std::to_string(job.budget.checkpoints[i]);
  o += "\nbatch=" + std::to_string(job.budget.batch_size) + "\ntest_images=" + std::to_string(job.budget.test_images) +
       "\ntrain_pool=" + std::to_string(job.budget.train_pool) +
       "\ntrain_eval_images=" + std::to_string(job.budget.train_eval_images) + "\nseed=" + std::to_string(job.seed) +
       "\nfixed=" + job.fixed.text + "\n";
  if (job.stopper) {
    char line[128];
    std::snprintf(line, sizeof line, "early_stop=model crc32 %08x, stop_below %g, max_gap %g\n",
                  dpa_crc32(job.stopper->bytes(), job.stopper->size()), static_cast<double>(job.stop_below),
                  static_cast<double>(job.max_gap));
    o += line;
  }
  return o;
}

// The key=value lines of two option records that differ, as "key: recorded A, now B; ...".
std::string options_difference(const std::string& recorded, const std::string& now) {
  auto lines = [](const std::string& text) {
    std::vector<std::pair<std::string, std::string>> out;
    for (const std::string& line : split(text, '\n')) {
      const std::size_t eq = line.find('=');
      if (eq != std::string::npos) out.emplace_back(line.substr(0, eq), line.substr(eq + 1));
    }
    return out;
  };
  const auto before = lines(recorded), after = lines(now);
  std::string diff;
  for (const auto& [key, value] : after) {
    std::string was;
    for (const auto& [k, v] : before) {
      if (k == key) was = v;
    }
    auto shown = [](const std::string& v) { return v.empty() ? std::string("none") : v; };
    if (was != value) diff += (diff.empty() ? "" : "; ") + key + ": recorded " + shown(was) + ", now " + shown(value);
  }
  return diff.empty() ? "the records differ" : diff;
}

// ZOO_DIR made or checked, and its writer: a resumed job must be the same job, and a zoo that no
// job of this kind started (release files, a writer's zoo without the record) is never touched.
std::unique_ptr<ZooWriter> open_zoo(const ZooTrainJob& job, const std::string& record) {
  const std::string record_path = job.out + "/" + kJobRecord;
  struct stat st;
  if (::stat((job.out + "/.runs").c_str(), &st) == 0) {
    throw ToolError(job.out + "/.runs: a job of an earlier dpa (runs assembled at the end); finish it with that dpa, " +
                    "or choose another -o");
  }
  const bool recorded = ::stat(record_path.c_str(), &st) == 0;
  if (!recorded) {
    for (const char* file : {"weights.npy", "metrics.csv.gz", "metrics.csv", "metrics.jsonl", "layout.csv"}) {
      if (::stat((job.out + "/" + file).c_str(), &st) == 0) {
        throw ToolError(job.out + ": already holds a zoo (" + file +
                        ") that no resumable zoo train job started: choose another -o, or remove it first");
      }
    }
    // Anything else there is not ours either: refused before the record is written beside it.
    if (::stat(job.out.c_str(), &st) == 0) {
      std::vector<std::string> present = directory_entries(job.out);
      // A job killed while writing its record leaves the record's temporary alone: ours, replaced.
      const std::string own_temporary = std::string(kJobRecord) + ".tmp-";
      present.erase(std::remove_if(present.begin(), present.end(),
                                   [&](const std::string& name) {
                                     return name.rfind(own_temporary, 0) == 0 &&
                                            process_is_gone(name.substr(own_temporary.size()));
                                   }),
                    present.end());
      if (!present.empty()) {
        throw ToolError(job.out + ": holds " + present.front() + (present.size() > 1 ? " and more" : "") +
                        ", which no zoo train job wrote: zoo train starts in a new or empty directory; choose "
                        "another -o");
      }
    }
  }
  if (::mkdir(job.out.c_str(), 0755) != 0 && errno != EEXIST) {
    throw ToolError("cannot create " + job.out + ": " + std::strerror(errno));
  }
  if (recorded) {
    check_input_file(record_path);
    const std::string before = read_file(record_path);
    if (before != record) {
      throw ToolError(record_path + ": this zoo was started with other options (" + options_difference(before, record) +
                      "): resume it with the same ones, or choose another -o");
    }
  } else {
    write_file_atomically(record_path, record.data(), record.size());
  }
  ZooWriterOptions options;
#define DPA_ZOO_TRAIN_SEGMENT(offset, length, kind, name, shape) \
  options.segment_names.push_back(name);                         \
  options.segment_shapes.push_back(shape);
  DPA_ZOO_SEGMENT_TABLE(DPA_ZOO_TRAIN_SEGMENT)
#undef DPA_ZOO_TRAIN_SEGMENT
  options.companions = {kJobRecord};
  return std::make_unique<ZooWriter>(job.out, *dpa_zoo_layout(), ZooStore::kWeights, options);
}

// The steps at which the early-stopping model is asked: every checkpoint but the first and last.
std::vector<std::uint32_t> checked_steps(const cnn::TrainingBudget& budget) {
  std::vector<std::uint32_t> steps;
  for (const std::uint32_t s : budget.checkpoints)
    if (s != 0 && s != budget.epochs) steps.push_back(s);
  return steps;
}

// The zoo's whole runs: they must be this job's first ones, in order, each a prefix of its
// checkpoints (shorter when it stopped early). Returns their count.
std::uint32_t committed_runs(const ZooDataset& zoo, const std::string& dataset, const ZooTrainJob& job) {
  const ZooMetrics& m = zoo.metrics();
  std::uint32_t runs = 0;
  std::size_t at_checkpoint = 0;
  for (std::size_t r = 0; r < m.rows(); ++r) {
    const bool next_run = r == 0 || m.modeldir[r] != m.modeldir[r - 1];
    if (next_run) {
      ++runs;
      at_checkpoint = 0;
    }
    const std::string expected = "zoo/" + dataset + "/" + run_name(runs - 1);
    const bool in_order = m.modeldir[r] == expected && at_checkpoint < job.budget.checkpoints.size() &&
                          m.step[r] == job.budget.checkpoints[at_checkpoint];
    if (!in_order) {
      throw ToolError(metrics_file(zoo.dir()) + ": row " + std::to_string(r) + " is " + m.modeldir[r] + " step " +
                      std::to_string(m.step[r]) + ", where this job's next checkpoint is " + expected + " step " +
                      (at_checkpoint < job.budget.checkpoints.size()
                           ? std::to_string(job.budget.checkpoints[at_checkpoint])
                           : "(none: the run has ended)") +
                      ": not this job's zoo, or damaged; choose another -o");
    }
    ++at_checkpoint;
  }
  return runs;
}

// What the committed runs predicted at their checked steps, recomputed from the zoo: a resumed job
// decides later runs as one job would have.
void replay_committed_runs(const ZooTrainJob& job, const ZooDataset& zoo, std::uint32_t runs, RunOrderStops& stops) {
  const std::vector<std::uint32_t> checked = checked_steps(job.budget);
  const dpa_model& model = job.stopper->model();
  const ContextTable context(model, zoo.metrics());
  std::vector<unsigned char> scratch(dpa_model_scratch_size(&model));
  std::vector<float> buffer(zoo.weights_per_row());
  const ZooMetrics& m = zoo.metrics();
  std::uint32_t run = 0;
  for (std::size_t r = 0; r < m.rows() && runs > 0; ++r) {
    if (r > 0 && m.modeldir[r] != m.modeldir[r - 1]) {
      stops.finish(run);
      if (++run == runs) return;  // the zoo holds more runs than this job asks for
    }
    const auto k = static_cast<std::size_t>(std::find(checked.begin(), checked.end(), m.step[r]) - checked.begin());
    if (k == checked.size()) continue;
    const float* w = zoo.weights().row(r, buffer.data());
    const dpa_inputs in = context.inputs(w, zoo.weights_per_row(), r);
    dpa_early_stop state = stops.state_for(run, k);
    float predicted;
    dpa_decision decision;
    dpa_early_stop_check_inputs(&model, &state, &in, scratch.data(), scratch.size(), &predicted, &decision);
    stops.record(run, k, state, predicted, true);
  }
  if (runs > 0) stops.finish(run);
}

// A trained run's rows, held until every earlier run is committed.
struct RunRows {
  std::vector<float> weights;
  std::vector<std::string> metrics;
};

// Commits runs whole and in run order, whichever thread finishes first.
class OrderedCommits {
 public:
  OrderedCommits(ZooWriter& writer, std::uint32_t next) : writer_(writer), next_(next) {}
  void add(std::uint32_t run, RunRows rows) {
    const std::lock_guard<std::mutex> guard(mutex_);
    waiting_.emplace(run, std::move(rows));
    for (auto it = waiting_.find(next_); it != waiting_.end(); it = waiting_.find(++next_)) {
      writer_.add_rows(it->second.weights.data(), cnn::kParams, it->second.metrics);
      waiting_.erase(it);
    }
  }

 private:
  ZooWriter& writer_;
  std::uint32_t next_;
  std::mutex mutex_;
  std::map<std::uint32_t, RunRows> waiting_;
};

struct RunTraining {
  const ZooTrainJob& job;
  const ImageDataset& data;
  const std::string& dataset;
  const LoopContext* context;
  RunOrderStops* stops;
};

// One run, asking the early-stopping model (if any) at its checked steps.
RunRows train_one_run(const RunTraining& t, std::uint32_t run, cnn::TrainingTime& time) {
  const std::vector<std::uint32_t> checked = checked_steps(t.job.budget);
  cnn::RunConfig cfg = cnn::sample_config(t.job.seed, run);
  t.job.fixed.apply(cfg);
  std::vector<unsigned char> scratch(t.stops ? dpa_model_scratch_size(&t.job.stopper->model()) : 0);
  int stopped_at = -1;
  const auto checkpoints = cnn::train_run(
      t.data, cfg, t.job.budget,
      [&](const cnn::Checkpoint& c) {
        const auto k = static_cast<std::size_t>(std::find(checked.begin(), checked.end(), c.step) - checked.begin());
        if (!t.stops || k == checked.size()) return true;
        float predicted;
        dpa_decision decision;
        const std::vector<float> values =
            t.context->values(checkpoint_fields(t.dataset, run, cfg, t.job.budget, c, -1));
        const dpa_inputs in{c.weights.data(), c.weights.size(), values.data(), values.size()};
        dpa_early_stop state = t.stops->state_for(run, k);
        const dpa_status s = dpa_early_stop_check_inputs(&t.job.stopper->model(), &state, &in, scratch.data(),
                                                         scratch.size(), &predicted, &decision);
        if (s != DPA_OK && s != DPA_ERR_NON_FINITE)
          throw ToolError(std::string("early stopping: ") + dpa_status_string(s));
        t.stops->record(run, k, state, predicted);
        if (decision != DPA_CONTINUE) stopped_at = static_cast<int>(c.step);
        return decision == DPA_CONTINUE;
      },
      &time);
  if (t.stops) t.stops->finish(run);
  RunRows rows;
  for (const cnn::Checkpoint& c : checkpoints) {
    rows.weights.insert(rows.weights.end(), c.weights.begin(), c.weights.end());
    rows.metrics.push_back(metrics_json(checkpoint_fields(t.dataset, run, cfg, t.job.budget, c, stopped_at)));
  }
  return rows;
}

// Runs [first, job.runs) in parallel; the pool hands them out in ascending order, so earlier
// runs never wait on later ones.
void train_runs(const RunTraining& t, std::uint32_t first, OrderedCommits& commits, ZooTrainResult& result) {
  std::mutex lock;
  Progress progress("runs", t.job.runs - first);
  ThreadPool pool(t.job.threads);
  pool.parallel_for(t.job.runs - first, [&](std::size_t i) {
    const auto run = static_cast<std::uint32_t>(first + i);
    cnn::TrainingTime time;
    RunRows rows;
    try {
      rows = train_one_run(t, run, time);
    } catch (...) {
      if (t.stops) t.stops->finish(run);  // later runs must not wait on a failed one
      throw;
    }
    commits.add(run, std::move(rows));
    const std::lock_guard<std::mutex> guard(lock);
    result.time.images += time.images;
    result.time.seconds += time.seconds;
    progress.update(++result.trained_runs);
  });
}

}  // namespace

ZooTrainResult run_zoo_train(const ZooTrainJob& job) {
  const std::unique_ptr<LoopContext> context =
      job.stopper ? std::make_unique<LoopContext>(job.stopper->model()) : nullptr;
  const ImageDataset data = read_idx_dataset(job.data_dir);
  // config.dataset: the data directory's name ("fashion-mnist" for Debian's package).
  const std::string dataset = zoo_name(job.data_dir);
  const std::unique_ptr<ZooWriter> writer = open_zoo(job, job_record(job, data));
  std::unique_ptr<RunOrderStops> stops;
  if (job.stopper) {
    stops = std::make_unique<RunOrderStops>(job.runs, checked_steps(job.budget).size(), job.stop_below, job.max_gap);
  }
  ZooTrainResult result;
  if (writer->rows() > 0) {
    const ZooDataset zoo(job.out);
    result.resumed_runs = committed_runs(zoo, dataset, job);
    if (stops) replay_committed_runs(job, zoo, std::min(result.resumed_runs, job.runs), *stops);
    std::fprintf(stderr, "resuming: %u of %u runs already trained\n", std::min(result.resumed_runs, job.runs),
                 job.runs);
  }
  if (result.resumed_runs < job.runs) {
    OrderedCommits commits(*writer, result.resumed_runs);
    train_runs({job, data, dataset, context.get(), stops.get()}, result.resumed_runs, commits, result);
  }
  writer->sync();
  writer->write_release_metrics();  // the finished zoo in the release format, for the paper's code
  result.checkpoints = writer->rows();
  if (stops) {
    result.checks = stops->checks();
    result.stops = stops->stops();
  }
  return result;
}

}  // namespace dpa::tools
