// dpa zoo train: grow a zoo of the Small CNN Zoo network from an image dataset, in the release
// format, parallel over runs, resumable, optionally stopping runs early through the runtime.
#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <mutex>
#include <sstream>
#include <thread>

#include "cnn/cnn_training.hpp"
#include "commands.hpp"
#include "common/atomic_file.hpp"
#include "common/cli_args.hpp"
#include "common/files.hpp"
#include "common/gzip.hpp"
#include "common/json_writer.hpp"
#include "common/parallel.hpp"
#include "common/progress.hpp"
#include "train/context.hpp"
#include "train/pipeline.hpp"
#include "train/run_order_stops.hpp"
#include "zoo/npy_file.hpp"
#include "zoo/row_selection.hpp"

namespace dpa::tools {

const char* const kZooTrainUsage =
    R"(usage: dpa zoo train --data IDX_DIR -o ZOO_DIR --runs N [--epochs E] [--checkpoints LIST]
                     [--seed S] [--threads T] [--batch B] [--test-images N] [--train-pool N]
                     [--optimizer O] [--learning-rate LR] [--activation A] [--dropout D]
                     [--l2 L] [--w-init I] [--train-fraction F]
                     [--early-stop MODEL.dpa [--stop-below X] [--max-gap G]] [--json]

Trains N runs of the Small CNN Zoo network (3 x Conv2D 16 3x3 stride 2, GAP, Dense 10; Keras
optimizers and initializers) on IDX_DIR (train-/t10k- images and labels, gzipped or not), with
hyperparameters sampled per run as the zoo documents (options fix them), and writes ZOO_DIR in
the release format. Finished runs are kept in ZOO_DIR/.runs: an interrupted job continues.
With --early-stop, the runtime predicts each run's final accuracy at every checkpoint (from its
weights and the context values the model reads: the epoch, the run's training and test metrics
so far, its hyperparameters, as metrics.csv names them) and stops runs below --stop-below
(default 0.5) or --max-gap under the best (default off).

  --epochs E          default 12;   --checkpoints LIST  default 0,1,2,3,4,6,8,10,12
  --batch B           default 512;  --test-images N     default 10000
  --train-pool N      images train_fraction takes the first part of (default 60000)
  --train-eval-images N  of the run's training images for train_accuracy (default 5000)
  --json              a summary on stdout: runs, checkpoints, training throughput, early stops
)";

namespace {

std::string metrics_header() {
  return ",config.activation,config.b_init,config.dataset,config.dnn_architecture,config.dropout,config.epochs,"
         "config.epochs_between_checkpoints,config.init_std,config.l2reg,config.learning_rate,config.num_layers,"
         "config.num_units,config.optimizer,config.random_seed,config.train_fraction,config.w_init,modeldir,step,"
         "test_accuracy,test_loss,train_accuracy,train_loss,early_stopped_at\n";
}

std::string run_name(std::uint32_t run) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "run%05u", run);
  return buf;
}

// One checkpoint's metrics.csv row, without its line end: what the zoo records, and what the
// early-stopping model reads its context values from (so both see the same numbers).
std::string metrics_row(const std::string& dir, const std::string& dataset, std::uint32_t run,
                        const cnn::RunConfig& cfg, const cnn::TrainingBudget& budget, const cnn::Checkpoint& c,
                        int stopped_at) {
  char line[1024];
  std::snprintf(
      line, sizeof line,
      "%s/"
      "permanent_ckpt-%u,%s,%s,%s,cnn,%.17g,%u,%u,%.17g,%.17g,%.17g,3,16,%s,%u,%.17g,%s,%s,%u,%.9g,%.9g,%.9g,%.9g,%s",
      dir.c_str(), c.step, cfg.activation == cnn::Activation::kRelu ? "relu" : "tanh", cfg.bias_ones ? "ones" : "zeros",
      dataset.c_str(), cfg.dropout, budget.epochs, 1u, cfg.init_std, cfg.l2, cfg.learning_rate,
      cnn::optimizer_name(cfg.optimizer), run, cfg.train_fraction, cnn::init_name(cfg.w_init), dir.c_str(), c.step,
      c.test_accuracy, c.test_loss, c.train_accuracy, c.train_loss,
      stopped_at >= 0 ? std::to_string(stopped_at).c_str() : "");
  return line;
}

// The early-stopping model's context values, taken by name from a checkpoint's metrics row;
// names are resolved to columns once.
class LoopContext {
 public:
  explicit LoopContext(const dpa_model& model) : model_(&model) {
    std::string header = metrics_header();
    header.pop_back();  // the line end
    const std::vector<std::string> names = split(header, ',');
    for (std::uint32_t i = 0; i < model.num_context; ++i) {
      dpa_context_info info;
      dpa_model_context_info(&model, i, &info);
      const auto it = std::find(names.begin(), names.end(), info.name);
      if (it == names.end() || *it == "early_stopped_at") {
        throw ToolError(std::string("--early-stop model reads context '") + info.name +
                        "', which zoo train does not know while training (" + header + ")");
      }
      columns_.push_back(static_cast<std::size_t>(it - names.begin()));
    }
  }
  std::vector<float> values(const std::string& row) const {
    const std::vector<std::string> fields = split(row, ',');
    std::vector<float> out;
    for (std::uint32_t i = 0; i < columns_.size(); ++i) out.push_back(context_value(*model_, i, fields[columns_[i]]));
    return out;
  }

 private:
  const dpa_model* model_;
  std::vector<std::size_t> columns_;
};

void make_dir(const std::string& path) {
  if (::mkdir(path.c_str(), 0755) != 0 && errno != EEXIST)
    throw ToolError("cannot create " + path + ": " + std::strerror(errno));
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// What one zoo train job is: every option that shapes its runs. Recorded in ZOO_DIR/.runs, so
// that a resumed job trains the same kind of runs (--runs and --threads may change).
struct ZooTrainJob {
  std::string data_dir, out;
  std::uint32_t runs = 0;
  cnn::TrainingBudget budget;
  std::uint64_t seed = 0;
  unsigned threads = 1;
  std::string fixed_options;  // the hyperparameters the command line fixes, as given
  std::unique_ptr<ModelFile> stopper;
  float stop_below = 0.5f, max_gap = 0;

  void fix(cnn::RunConfig& c, const Args& args) const;
  std::string record(const ImageDataset& data) const;
};

void ZooTrainJob::fix(cnn::RunConfig& c, const Args& args) const {
  if (const auto v = args.value("--optimizer")) {
    if (*v == "sgd") c.optimizer = cnn::Optimizer::kSgd;
    else if (*v == "adam") c.optimizer = cnn::Optimizer::kAdam;
    else if (*v == "rmsprop") c.optimizer = cnn::Optimizer::kRmsprop;
    else throw UsageError("--optimizer must be sgd, adam or rmsprop");
  }
  if (const auto v = args.value("--activation")) {
    if (*v == "relu") c.activation = cnn::Activation::kRelu;
    else if (*v == "tanh") c.activation = cnn::Activation::kTanh;
    else throw UsageError("--activation must be relu or tanh");
  }
  if (const auto v = args.value("--w-init")) {
    bool found = false;
    for (int i = 0; i < 5; ++i) {
      if (*v == cnn::init_name(static_cast<cnn::Init>(i))) {
        c.w_init = static_cast<cnn::Init>(i);
        found = true;
      }
    }
    if (!found)
      throw UsageError("--w-init must be he_normal, glorot_normal, orthogonal, RandomNormal or TruncatedNormal");
  }
  c.learning_rate = args.real("--learning-rate", c.learning_rate, 1e-8, 10);
  c.dropout = args.real("--dropout", c.dropout, 0, 0.95);
  c.l2 = args.real("--l2", c.l2, 0, 1);
  c.train_fraction = args.real("--train-fraction", c.train_fraction, 1e-6, 1);
}

std::string ZooTrainJob::record(const ImageDataset& data) const {
  std::ostringstream o;
  o << "images=" << data.train_images.count << " train, " << data.test_images.count << " test\n"
    << "epochs=" << budget.epochs << "\ncheckpoints=";
  for (std::size_t i = 0; i < budget.checkpoints.size(); ++i) o << (i ? "," : "") << budget.checkpoints[i];
  o << "\nbatch=" << budget.batch_size << "\ntest_images=" << budget.test_images << "\ntrain_pool=" << budget.train_pool
    << "\ntrain_eval_images=" << budget.train_eval_images << "\nseed=" << seed << "\nfixed=" << fixed_options << "\n";
  if (stopper) {
    char crc[16];
    std::snprintf(crc, sizeof crc, "%08x", dpa_crc32(stopper->bytes(), stopper->size()));
    o << "early_stop=model crc32 " << crc << ", stop_below " << stop_below << ", max_gap " << max_gap << "\n";
  }
  return o.str();
}

const char* const kZooTrainOptions =
    "--data= -o|--output= --runs= --epochs= --checkpoints= --seed= --threads= --batch= --test-images= --train-pool= "
    "--train-eval-images= --optimizer= --learning-rate= --activation= --dropout= --l2= --w-init= --train-fraction= "
    "--early-stop= --stop-below= --max-gap= --json";

std::vector<std::uint32_t> checkpoint_steps(const Args& args, std::uint32_t epochs) {
  std::vector<std::uint32_t> steps;
  if (const auto list = args.value("--checkpoints")) {
    const CheckpointSelection chosen = parse_checkpoints(*list);
    if (chosen.kind != CheckpointSelection::kSteps)
      throw UsageError("--checkpoints: give the epochs to record, e.g. 0,1,2,4");
    steps = chosen.steps;
  } else {
    for (std::uint32_t s : {0u, 1u, 2u, 3u, 4u, 6u, 8u, 10u, 12u})
      if (s <= epochs) steps.push_back(s);
  }
  if (steps.back() > epochs) {
    throw UsageError("--checkpoints: epoch " + std::to_string(steps.back()) + " is beyond --epochs " +
                     std::to_string(epochs));
  }
  if (steps.back() != epochs) {
    if (args.value("--checkpoints")) {
      throw UsageError("--checkpoints must include the last epoch, " + std::to_string(epochs) +
                       ": the run's final accuracy");
    }
    steps.push_back(epochs);
  }
  return steps;
}

ZooTrainJob parse_job(const Args& args) {
  ZooTrainJob job;
  args.expect_positionals(0, "");
  job.data_dir = args.required("--data", "IDX_DIR");
  job.out = args.required("-o", "ZOO_DIR");
  job.runs = static_cast<std::uint32_t>(args.integer("--runs", 0, 1, 1000000));
  if (job.runs == 0) throw UsageError("missing --runs N");
  job.budget.epochs = static_cast<std::uint32_t>(args.integer("--epochs", 12, 1, 10000));
  job.budget.checkpoints = checkpoint_steps(args, job.budget.epochs);
  job.budget.batch_size = static_cast<std::uint32_t>(args.integer("--batch", 512, 1, 1 << 20));
  job.budget.test_images = static_cast<std::uint32_t>(args.integer("--test-images", 10000, 1, 1 << 30));
  job.budget.train_pool = static_cast<std::uint32_t>(args.integer("--train-pool", 60000, 1, 1 << 30));
  job.budget.train_eval_images = static_cast<std::uint32_t>(args.integer("--train-eval-images", 5000, 1, 1 << 30));
  job.seed = static_cast<std::uint64_t>(args.integer("--seed", 0, 0, 1ll << 40));
  job.threads = args.threads();
  for (const char* name :
       {"--optimizer", "--learning-rate", "--activation", "--dropout", "--l2", "--w-init", "--train-fraction"}) {
    if (const auto v = args.value(name))
      job.fixed_options += std::string(job.fixed_options.empty() ? "" : " ") + name + " " + *v;
  }
  cnn::RunConfig probe;  // fixed hyperparameters are checked before any work
  job.fix(probe, args);
  if (const auto model = args.value("--early-stop")) {
    job.stopper = std::make_unique<ModelFile>(*model);
    if (job.stopper->model().layout.total_length != cnn::kParams)
      throw ToolError("--early-stop model does not take zoo CNN weights");
    if (job.stopper->model().target != DPA_TARGET_FINAL_TEST_ACCURACY) {
      throw ToolError(
          "--early-stop model does not predict the run's final accuracy (train it with --target final_test_accuracy)");
    }
    job.stop_below = static_cast<float>(args.real("--stop-below", 0.5, 0, 1));
    job.max_gap = static_cast<float>(args.real("--max-gap", 0, 0, 1));
  }
  return job;
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

// ZOO_DIR and its .runs, made or checked: a resumed job must be the same job, and a zoo that no
// job of this kind started (release files without .runs) is never replaced.
std::string prepare_output(const ZooTrainJob& job, const std::string& record) {
  const std::string partial = job.out + "/.runs", options = partial + "/options";
  struct stat st;
  const bool has_runs = ::stat(partial.c_str(), &st) == 0;
  if (!has_runs) {
    for (const char* file : {"weights.npy", "metrics.csv.gz", "metrics.csv", "layout.csv"}) {
      if (::stat((job.out + "/" + file).c_str(), &st) == 0) {
        throw ToolError(job.out + ": already holds a zoo (" + file +
                        ") that no resumable zoo train job started: "
                        "choose another -o, or remove it first");
      }
    }
  }
  make_dir(job.out);
  make_dir(partial);
  if (is_readable(options)) {
    check_input_file(options);
    const std::string before = read_text(options);
    if (before != record) {
      throw ToolError(options + ": this zoo was started with other options (" + options_difference(before, record) +
                      "): resume it with the same ones, or choose another -o");
    }
  } else {
    DIR* d = ::opendir(partial.c_str());
    bool runs_there = false;
    while (const dirent* e = d ? ::readdir(d) : nullptr) runs_there |= std::string(e->d_name).rfind("run", 0) == 0;
    if (d) ::closedir(d);
    if (runs_there) {
      throw ToolError(partial + ": runs of a job whose options were not recorded (an earlier dpa): remove " + partial +
                      " to start over");
    }
    write_file_atomically(options, record.data(), record.size());
  }
  return partial;
}

// The steps at which the early-stopping model is asked: every checkpoint but the first and last.
std::vector<std::uint32_t> checked_steps(const cnn::TrainingBudget& budget) {
  std::vector<std::uint32_t> steps;
  for (const std::uint32_t s : budget.checkpoints)
    if (s != 0 && s != budget.epochs) steps.push_back(s);
  return steps;
}

// What a finished run predicted at its checked steps, recomputed from its files: a resumed job
// decides later runs as the first job would have.
void replay_finished_run(const ZooTrainJob& job, const LoopContext& context, const std::string& partial,
                         std::uint32_t run, RunOrderStops& stops) {
  const std::vector<std::uint32_t> checked = checked_steps(job.budget);
  const std::string weights = read_text(partial + "/" + run_name(run) + ".weights");
  const std::vector<std::string> rows = split(read_text(partial + "/" + run_name(run) + ".csv"), '\n');
  const dpa_model& model = job.stopper->model();
  std::vector<unsigned char> scratch(dpa_model_scratch_size(&model));
  std::string header = metrics_header();
  header.pop_back();  // the line end
  const std::vector<std::string> names = split(header, ',');
  const auto step_column = static_cast<std::size_t>(std::find(names.begin(), names.end(), "step") - names.begin());
  for (std::size_t i = 0; i < rows.size() && (i + 1) * cnn::kParams * sizeof(float) <= weights.size(); ++i) {
    const std::vector<std::string> fields = split(rows[i], ',');
    if (fields.size() <= step_column) continue;
    const auto step = static_cast<std::uint32_t>(std::strtoul(fields[step_column].c_str(), nullptr, 10));
    const auto k = static_cast<std::size_t>(std::find(checked.begin(), checked.end(), step) - checked.begin());
    if (k == checked.size()) continue;
    std::vector<float> w(cnn::kParams);
    std::memcpy(w.data(), weights.data() + i * cnn::kParams * sizeof(float), cnn::kParams * sizeof(float));
    const std::vector<float> values = context.values(rows[i]);
    const dpa_inputs in{w.data(), w.size(), values.data(), values.size()};
    dpa_early_stop state = stops.state_for(run, k);
    float predicted;
    dpa_decision decision;
    dpa_early_stop_check_inputs(&model, &state, &in, scratch.data(), scratch.size(), &predicted, &decision);
    stops.record(run, k, state, predicted, true);
  }
  stops.finish(run);
}

struct TrainedRuns {
  std::uint64_t trained = 0;
  cnn::TrainingTime time;
};

// Trains one run, asking the early-stopping model (if any) at its checked steps, and writes its
// files: weights first, metrics last, so a run counts as done once its metrics file exists.
cnn::TrainingTime train_one_run(const ZooTrainJob& job, const Args& args, const ImageDataset& data,
                                const std::string& dataset, const std::string& partial, const LoopContext* context,
                                RunOrderStops* stops, std::uint32_t run) {
  const std::vector<std::uint32_t> checked = checked_steps(job.budget);
  cnn::RunConfig cfg = cnn::sample_config(job.seed, run);
  job.fix(cfg, args);
  std::vector<unsigned char> scratch(stops ? dpa_model_scratch_size(&job.stopper->model()) : 0);
  int stopped_at = -1;
  cnn::TrainingTime time;
  const std::string dir = "zoo/" + dataset + "/" + run_name(run);
  const auto checkpoints = cnn::train_run(
      data, cfg, job.budget,
      [&](const cnn::Checkpoint& c) {
        const auto k = static_cast<std::size_t>(std::find(checked.begin(), checked.end(), c.step) - checked.begin());
        if (!stops || k == checked.size()) return true;
        float predicted;
        dpa_decision decision;
        const std::vector<float> values = context->values(metrics_row(dir, dataset, run, cfg, job.budget, c, -1));
        const dpa_inputs in{c.weights.data(), c.weights.size(), values.data(), values.size()};
        dpa_early_stop state = stops->state_for(run, k);
        const dpa_status s = dpa_early_stop_check_inputs(&job.stopper->model(), &state, &in, scratch.data(),
                                                         scratch.size(), &predicted, &decision);
        if (s != DPA_OK && s != DPA_ERR_NON_FINITE)
          throw ToolError(std::string("early stopping: ") + dpa_status_string(s));
        stops->record(run, k, state, predicted);
        if (decision != DPA_CONTINUE) stopped_at = static_cast<int>(c.step);
        return decision == DPA_CONTINUE;
      },
      &time);
  if (stops) stops->finish(run);
  std::string weights, csv;
  for (const cnn::Checkpoint& c : checkpoints) {
    weights.append(reinterpret_cast<const char*>(c.weights.data()), c.weights.size() * sizeof(float));
    csv += metrics_row(dir, dataset, run, cfg, job.budget, c, stopped_at) + "\n";
  }
  write_file_atomically(partial + "/" + run_name(run) + ".weights", weights.data(), weights.size());
  write_file_atomically(partial + "/" + run_name(run) + ".csv", csv.data(), csv.size());
  return time;
}

// Trains the runs not yet in .runs, in parallel.
TrainedRuns train_runs(const ZooTrainJob& job, const Args& args, const ImageDataset& data, const std::string& dataset,
                       const std::string& partial, const LoopContext* context, RunOrderStops* stops) {
  std::vector<std::uint32_t> todo;
  for (std::uint32_t r = 0; r < job.runs; ++r) {
    if (is_readable(partial + "/" + run_name(r) + ".csv")) {
      if (stops) replay_finished_run(job, *context, partial, r, *stops);
    } else {
      todo.push_back(r);
    }
  }
  if (todo.size() < job.runs) {
    std::fprintf(stderr, "resuming: %u of %u runs already trained\n",
                 job.runs - static_cast<std::uint32_t>(todo.size()), job.runs);
  }
  std::mutex lock;
  TrainedRuns result;
  Progress progress("runs", todo.size());
  ThreadPool pool(job.threads);  // hands out runs in ascending order: earlier runs never wait on later ones
  pool.parallel_for(todo.size(), [&](std::size_t i) {
    cnn::TrainingTime time;
    try {
      time = train_one_run(job, args, data, dataset, partial, context, stops, todo[i]);
    } catch (...) {
      if (stops) stops->finish(todo[i]);  // later runs must not wait on a failed one
      throw;
    }
    std::lock_guard<std::mutex> guard(lock);
    result.time.images += time.images;
    result.time.seconds += time.seconds;
    progress.update(++result.trained);
  });
  return result;
}

// The release files from the runs, in run order. Returns the number of checkpoints.
std::uint64_t assemble_zoo(const ZooTrainJob& job, const std::string& partial) {
  std::uint64_t rows = 0;
  std::string metrics = metrics_header();
  for (std::uint32_t r = 0; r < job.runs; ++r) {
    const std::string csv = read_text(partial + "/" + run_name(r) + ".csv");
    rows += static_cast<std::uint64_t>(std::count(csv.begin(), csv.end(), '\n'));
    metrics += csv;
  }
  NpyWriter writer(job.out + "/weights.npy", rows, cnn::kParams);
  for (std::uint32_t r = 0; r < job.runs; ++r) {
    const std::string bytes = read_text(partial + "/" + run_name(r) + ".weights");
    writer.append(reinterpret_cast<const float*>(bytes.data()), bytes.size() / (cnn::kParams * sizeof(float)));
  }
  writer.commit();
  const std::string compressed = gzip_compress(metrics);
  write_file_atomically(job.out + "/metrics.csv.gz", compressed.data(), compressed.size());
  std::string layout = "varname,start_idx,end_idx,shape\n";
#define DPA_LAYOUT_ROW(offset, length, kind, name, shape)                                                              \
  layout += std::string(name) + "," + std::to_string(offset) + "," + std::to_string(offset + length) + ",\"" + shape + \
            "\"\n";
  DPA_ZOO_SEGMENT_TABLE(DPA_LAYOUT_ROW)
#undef DPA_LAYOUT_ROW
  write_file_atomically(job.out + "/layout.csv", layout.data(), layout.size());
  return rows;
}

void report(const ZooTrainJob& job, bool json, std::uint64_t rows, const TrainedRuns& trained,
            const RunOrderStops* stops) {
  // Throughput per thread: training-step time summed over runs, each run on one thread.
  const double per_thread =
      trained.time.seconds > 0 ? static_cast<double>(trained.time.images) / trained.time.seconds : 0;
  if (json) {
    JsonWriter j;
    j.begin_object()
        .field("output", job.out)
        .field("runs", job.runs)
        .field("runs_trained", static_cast<unsigned long long>(trained.trained))
        .field("checkpoints", static_cast<unsigned long long>(rows))
        .field("trained_images", static_cast<unsigned long long>(trained.time.images))
        .field("training_seconds", trained.time.seconds)
        .field("images_per_second_per_thread", per_thread)
        .field("threads", job.threads);
    if (stops)
      j.key("early_stop").begin_object().field("checks", stops->checks()).field("stops", stops->stops()).end_object();
    j.end_object();
    std::printf("%s\n", j.str().c_str());
  }
  std::fprintf(stderr, "wrote %s: %u runs, %llu checkpoints; %.0f training images/s per thread", job.out.c_str(),
               job.runs, static_cast<unsigned long long>(rows), per_thread);
  if (stops) std::fprintf(stderr, "; early stopping stopped %u of %u checks", stops->stops(), stops->checks());
  std::fprintf(stderr, "\n");
}

}  // namespace

int zoo_train(int argc, char** argv, int first) {
  const Args args(argc, argv, first, kZooTrainOptions);
  const ZooTrainJob job = parse_job(args);
  const std::unique_ptr<LoopContext> context =
      job.stopper ? std::make_unique<LoopContext>(job.stopper->model()) : nullptr;
  const ImageDataset data = read_idx_dataset(job.data_dir);
  // config.dataset: the data directory's name ("fashion-mnist" for Debian's package).
  const std::size_t slash = job.data_dir.find_last_of('/');
  std::string dataset = job.data_dir.substr(slash == std::string::npos ? 0 : slash + 1);
  if (dataset.empty()) dataset = "idx";
  const std::string partial = prepare_output(job, job.record(data));
  std::unique_ptr<RunOrderStops> stops;
  if (job.stopper) {
    stops = std::make_unique<RunOrderStops>(job.runs, checked_steps(job.budget).size(), job.stop_below, job.max_gap);
  }
  const TrainedRuns trained = train_runs(job, args, data, dataset, partial, context.get(), stops.get());
  const std::uint64_t rows = assemble_zoo(job, partial);
  report(job, args.flag("--json"), rows, trained, stops.get());
  return 0;
}

}  // namespace dpa::tools
