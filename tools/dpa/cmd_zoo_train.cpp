// dpa zoo train: grow a zoo of the Small CNN Zoo network from an image dataset, in the release
// format, parallel over runs, resumable, optionally stopping runs early through the runtime.
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
#include "zoo/npy_file.hpp"

namespace dpa::tools {

const char* const kZooTrainUsage =
    "usage: dpa zoo train --data IDX_DIR -o ZOO_DIR --runs N [--epochs E] [--checkpoints LIST]\n"
    "                     [--seed S] [--threads T] [--batch B] [--test-images N] [--train-pool N]\n"
    "                     [--optimizer O] [--learning-rate LR] [--activation A] [--dropout D]\n"
    "                     [--l2 L] [--w-init I] [--train-fraction F]\n"
    "                     [--early-stop MODEL.dpa [--stop-below X] [--max-gap G]] [--json]\n"
    "\n"
    "Trains N runs of the Small CNN Zoo network (3 x Conv2D 16 3x3 stride 2, GAP, Dense 10; Keras\n"
    "optimizers and initializers) on IDX_DIR (train-/t10k- images and labels, gzipped or not), with\n"
    "hyperparameters sampled per run as the zoo documents (options fix them), and writes ZOO_DIR in\n"
    "the release format. Finished runs are kept in ZOO_DIR/.runs: an interrupted job continues.\n"
    "With --early-stop, the runtime predicts each run's final accuracy at every checkpoint (from its\n"
    "weights and the context values the model reads: the epoch, the run's training and test metrics\n"
    "so far, its hyperparameters, as metrics.csv names them) and stops runs below --stop-below\n"
    "(default 0.5) or --max-gap under the best (default off).\n"
    "\n"
    "  --epochs E          default 12;   --checkpoints LIST  default 0,1,2,3,4,6,8,10,12\n"
    "  --batch B           default 512;  --test-images N     default 10000\n"
    "  --train-pool N      images train_fraction takes the first part of (default 60000)\n"
    "  --train-eval-images N  of the run's training images for train_accuracy (default 5000)\n"
    "  --json              a summary on stdout: runs, checkpoints, training throughput, early stops\n";

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
  std::snprintf(line, sizeof line,
                "%s/permanent_ckpt-%u,%s,%s,%s,cnn,%.17g,%u,%u,%.17g,%.17g,%.17g,3,16,%s,%u,%.17g,%s,%s,%u,%.9g,%.9g,%.9g,%.9g,%s",
                dir.c_str(), c.step, cfg.activation == cnn::Activation::kRelu ? "relu" : "tanh",
                cfg.bias_ones ? "ones" : "zeros", dataset.c_str(), cfg.dropout, budget.epochs, 1u, cfg.init_std, cfg.l2,
                cfg.learning_rate, cnn::optimizer_name(cfg.optimizer), run, cfg.train_fraction,
                cnn::init_name(cfg.w_init), dir.c_str(), c.step, c.test_accuracy, c.test_loss, c.train_accuracy,
                c.train_loss, stopped_at >= 0 ? std::to_string(stopped_at).c_str() : "");
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
  if (::mkdir(path.c_str(), 0755) != 0 && errno != EEXIST) throw ToolError("cannot create " + path + ": " + std::strerror(errno));
}

}  // namespace

int zoo_train(int argc, char** argv, int first) {
  const Args args(argc, argv, first,
                  {{"--data", true, ""}, {"-o", true, "--output"}, {"--runs", true, ""}, {"--epochs", true, ""},
                   {"--checkpoints", true, ""}, {"--seed", true, ""}, {"--threads", true, ""}, {"--batch", true, ""},
                   {"--test-images", true, ""}, {"--train-pool", true, ""}, {"--train-eval-images", true, ""}, {"--optimizer", true, ""},
                   {"--learning-rate", true, ""}, {"--activation", true, ""}, {"--dropout", true, ""},
                   {"--l2", true, ""}, {"--w-init", true, ""}, {"--train-fraction", true, ""},
                   {"--early-stop", true, ""}, {"--stop-below", true, ""}, {"--max-gap", true, ""},
                   {"--json", false, ""}});
  args.expect_positionals(0, "");
  const auto data_dir = args.value("--data");
  const auto out = args.value("-o");
  if (!data_dir) throw UsageError("missing --data IDX_DIR");
  if (!out) throw UsageError("missing -o ZOO_DIR");
  const auto runs = static_cast<std::uint32_t>(args.integer("--runs", 0, 1, 1000000));
  if (runs == 0) throw UsageError("missing --runs N");
  cnn::TrainingBudget budget;
  budget.epochs = static_cast<std::uint32_t>(args.integer("--epochs", 12, 1, 10000));
  if (const auto list = args.value("--checkpoints")) {
    budget.checkpoints = parse_checkpoints(*list).steps;
  } else {
    budget.checkpoints.clear();
    for (std::uint32_t s : {0u, 1u, 2u, 3u, 4u, 6u, 8u, 10u, 12u}) if (s <= budget.epochs) budget.checkpoints.push_back(s);
    if (budget.checkpoints.back() != budget.epochs) budget.checkpoints.push_back(budget.epochs);
  }
  budget.batch_size = static_cast<std::uint32_t>(args.integer("--batch", 512, 1, 1 << 20));
  budget.test_images = static_cast<std::uint32_t>(args.integer("--test-images", 10000, 1, 1 << 30));
  budget.train_pool = static_cast<std::uint32_t>(args.integer("--train-pool", 60000, 1, 1 << 30));
  budget.train_eval_images = static_cast<std::uint32_t>(args.integer("--train-eval-images", 5000, 1, 1 << 30));
  const auto seed = static_cast<std::uint64_t>(args.integer("--seed", 0, 0, 1ll << 40));
  const auto threads = args.threads();
  // Fixed hyperparameters (checked before any work).
  auto fix = [&](cnn::RunConfig& c) {
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
      if (!found) throw UsageError("--w-init must be he_normal, glorot_normal, orthogonal, RandomNormal or TruncatedNormal");
    }
    c.learning_rate = args.real("--learning-rate", c.learning_rate, 1e-8, 10);
    c.dropout = args.real("--dropout", c.dropout, 0, 0.95);
    c.l2 = args.real("--l2", c.l2, 0, 1);
    c.train_fraction = args.real("--train-fraction", c.train_fraction, 1e-6, 1);
  };
  {
    cnn::RunConfig probe;
    fix(probe);
  }
  std::unique_ptr<ModelFile> stopper;
  std::unique_ptr<LoopContext> loop_context;
  dpa_early_stop stop_state;
  const bool early = args.value("--early-stop").has_value();
  if (early) {
    stopper = std::make_unique<ModelFile>(*args.value("--early-stop"));
    if (stopper->model().layout.total_length != cnn::kParams) throw ToolError("--early-stop model does not take zoo CNN weights");
    if (stopper->model().target != DPA_TARGET_FINAL_TEST_ACCURACY) {
      throw ToolError("--early-stop model does not predict the run's final accuracy (train it with --target final_test_accuracy)");
    }
    loop_context = std::make_unique<LoopContext>(stopper->model());
    dpa_early_stop_init(&stop_state, static_cast<float>(args.real("--stop-below", 0.5, 0, 1)),
                        static_cast<float>(args.real("--max-gap", 0, 0, 1)));
  }

  const ImageDataset data = read_idx_dataset(*data_dir);
  // config.dataset: the data directory's name ("fashion-mnist" for Debian's package).
  std::string dataset = data_dir->substr(data_dir->find_last_of('/') == std::string::npos ? 0 : data_dir->find_last_of('/') + 1);
  if (dataset.empty()) dataset = "idx";
  make_dir(*out);
  const std::string partial = *out + "/.runs";
  make_dir(partial);
  std::vector<std::uint32_t> todo;
  for (std::uint32_t r = 0; r < runs; ++r) {
    if (!is_readable(partial + "/" + run_name(r) + ".csv")) todo.push_back(r);
  }
  if (todo.size() < runs) std::fprintf(stderr, "resuming: %u of %u runs already trained\n", runs - static_cast<std::uint32_t>(todo.size()), runs);
  std::mutex lock;
  std::uint64_t done = 0;
  cnn::TrainingTime trained;  // over the runs this job trained
  Progress progress("runs", todo.size());
  ThreadPool pool(threads);
  std::vector<std::exception_ptr> errors(todo.size());
  pool.parallel_for(todo.size(), [&](std::size_t k) {
    try {
      const std::uint32_t run = todo[k];
      cnn::RunConfig cfg = cnn::sample_config(seed, run);
      fix(cfg);
      std::vector<unsigned char> scratch(early ? dpa_model_scratch_size(&stopper->model()) : 0);
      int stopped_at = -1;
      cnn::TrainingTime time;
      const std::string dir = "zoo/" + dataset + "/" + run_name(run);
      const auto checkpoints = cnn::train_run(data, cfg, budget, [&](const cnn::Checkpoint& c) {
        if (!early || c.step == 0 || c.step == budget.epochs) return true;
        float predicted;
        dpa_decision decision;
        const std::vector<float> context = loop_context->values(metrics_row(dir, dataset, run, cfg, budget, c, -1));
        const dpa_inputs in{c.weights.data(), c.weights.size(), context.data(), context.size()};
        std::lock_guard<std::mutex> guard(lock);  // the state is shared by the search
        const dpa_status s = dpa_early_stop_check_inputs(&stopper->model(), &stop_state, &in, scratch.data(),
                                                         scratch.size(), &predicted, &decision);
        if (s != DPA_OK && s != DPA_ERR_NON_FINITE) throw ToolError(std::string("early stopping: ") + dpa_status_string(s));
        if (decision != DPA_CONTINUE) stopped_at = static_cast<int>(c.step);
        return decision == DPA_CONTINUE;
      }, &time);
      std::string weights, csv;
      for (const cnn::Checkpoint& c : checkpoints) {
        weights.append(reinterpret_cast<const char*>(c.weights.data()), c.weights.size() * sizeof(float));
        csv += metrics_row(dir, dataset, run, cfg, budget, c, stopped_at) + "\n";
      }
      // Weights first, metrics last: a run counts as done once its metrics file exists.
      write_file_atomically(partial + "/" + run_name(run) + ".weights", weights.data(), weights.size());
      write_file_atomically(partial + "/" + run_name(run) + ".csv", csv.data(), csv.size());
      std::lock_guard<std::mutex> guard(lock);
      trained.images += time.images;
      trained.seconds += time.seconds;
      progress.update(++done);
    } catch (...) {
      errors[k] = std::current_exception();
    }
  });
  for (auto& e : errors) if (e) std::rethrow_exception(e);

  // Assemble the release files from the runs, in run order.
  std::uint64_t rows = 0;
  std::string metrics = metrics_header();
  for (std::uint32_t r = 0; r < runs; ++r) {
    std::ifstream in(partial + "/" + run_name(r) + ".csv");
    std::stringstream s;
    s << in.rdbuf();
    for (char c : s.str()) rows += c == '\n';
    metrics += s.str();
  }
  NpyWriter writer(*out + "/weights.npy", rows, cnn::kParams);
  for (std::uint32_t r = 0; r < runs; ++r) {
    std::ifstream in(partial + "/" + run_name(r) + ".weights", std::ios::binary);
    std::vector<char> bytes((std::istreambuf_iterator<char>(in)), {});
    writer.append(reinterpret_cast<const float*>(bytes.data()), bytes.size() / (cnn::kParams * sizeof(float)));
  }
  writer.commit();
  const std::string compressed = gzip_compress(metrics);
  write_file_atomically(*out + "/metrics.csv.gz", compressed.data(), compressed.size());
  std::string layout = "varname,start_idx,end_idx,shape\n";
  const dpa_layout* zoo = dpa_zoo_layout();
  const char* shapes[8] = {"(16,)", "(3, 3, 1, 16)", "(16,)", "(3, 3, 16, 16)", "(16,)", "(3, 3, 16, 16)", "(10,)", "(16, 10)"};
  for (std::uint32_t s = 0; s < zoo->num_segments; ++s) {
    layout += std::string(dpa_zoo_segment_name(s)) + "," + std::to_string(zoo->segments[s].offset) + "," +
              std::to_string(zoo->segments[s].offset + zoo->segments[s].length) + ",\"" + shapes[s] + "\"\n";
  }
  write_file_atomically(*out + "/layout.csv", layout.data(), layout.size());
  // Throughput per thread: training-step time summed over runs, each run on one thread.
  const double per_thread = trained.seconds > 0 ? static_cast<double>(trained.images) / trained.seconds : 0;
  if (args.flag("--json")) {
    JsonWriter j;
    j.begin_object().field("output", *out).field("runs", runs)
        .field("runs_trained", static_cast<unsigned long long>(todo.size()))
        .field("checkpoints", static_cast<unsigned long long>(rows))
        .field("trained_images", static_cast<unsigned long long>(trained.images))
        .field("training_seconds", trained.seconds).field("images_per_second_per_thread", per_thread)
        .field("threads", threads);
    if (early) {
      j.key("early_stop").begin_object().field("checks", stop_state.checks).field("stops", stop_state.stops).end_object();
    }
    j.end_object();
    std::printf("%s\n", j.str().c_str());
  }
  std::fprintf(stderr, "wrote %s: %u runs, %llu checkpoints; %.0f training images/s per thread", out->c_str(), runs,
               static_cast<unsigned long long>(rows), per_thread);
  if (early) std::fprintf(stderr, "; early stopping stopped %u of %u checks", stop_state.stops, stop_state.checks);
  std::fprintf(stderr, "\n");
  return 0;
}

}  // namespace dpa::tools
