// dpa zoo train: grow a zoo of the Small CNN Zoo network from an image dataset (grow/zoo_train_job),
// parallel over runs, resumable, optionally stopping runs early through the runtime.
#include <algorithm>
#include <cstdio>
#include <memory>
#include <string>

#include "cnn/cnn_training.hpp"
#include "commands.hpp"
#include "common/cli_args.hpp"
#include "common/json_writer.hpp"
#include "dpa/model_format.h"
#include "grow/zoo_train_job.hpp"
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
hyperparameters sampled per run as the zoo documents (options fix them), and records them into
ZOO_DIR through the zoo writer (weights.npy, metrics.jsonl, layout.csv), a whole run at a time in
run order: the zoo reads at any moment, and an interrupted job continues after its last run.
With --early-stop, the runtime predicts each run's final accuracy at every checkpoint (from its
weights and the context values the model reads: the epoch, the run's training and test metrics
so far, its hyperparameters, as the metrics name them) and stops runs below --stop-below
(default 0.5) or --max-gap under the best (default off).

  --epochs E          default 12;   --checkpoints LIST  default 0,1,2,3,4,6,8,10,12
  --batch B           default 512;  --test-images N     default 10000
  --train-pool N      images train_fraction takes the first part of (default 60000)
  --train-eval-images N  of the run's training images for train_accuracy (default 5000)
  --json              a summary on stdout: runs, checkpoints, training throughput, early stops
)";

namespace {

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

// The hyperparameters the command line fixes, checked before any work.
FixedConfig parse_fixed(const Args& args) {
  FixedConfig f;
  if (const auto v = args.value("--optimizer")) {
    if (*v == "sgd") f.optimizer = cnn::Optimizer::kSgd;
    else if (*v == "adam") f.optimizer = cnn::Optimizer::kAdam;
    else if (*v == "rmsprop") f.optimizer = cnn::Optimizer::kRmsprop;
    else throw UsageError("--optimizer must be sgd, adam or rmsprop");
  }
  if (const auto v = args.value("--activation")) {
    if (*v == "relu") f.activation = cnn::Activation::kRelu;
    else if (*v == "tanh") f.activation = cnn::Activation::kTanh;
    else throw UsageError("--activation must be relu or tanh");
  }
  if (const auto v = args.value("--w-init")) {
    for (int i = 0; i < 5; ++i) {
      if (*v == cnn::init_name(static_cast<cnn::Init>(i))) f.w_init = static_cast<cnn::Init>(i);
    }
    if (!f.w_init)
      throw UsageError("--w-init must be he_normal, glorot_normal, orthogonal, RandomNormal or TruncatedNormal");
  }
  if (args.value("--learning-rate")) f.learning_rate = args.real("--learning-rate", 0, 1e-8, 10);
  if (args.value("--dropout")) f.dropout = args.real("--dropout", 0, 0, 0.95);
  if (args.value("--l2")) f.l2 = args.real("--l2", 0, 0, 1);
  if (args.value("--train-fraction")) f.train_fraction = args.real("--train-fraction", 1, 1e-6, 1);
  for (const char* name :
       {"--optimizer", "--learning-rate", "--activation", "--dropout", "--l2", "--w-init", "--train-fraction"}) {
    if (const auto v = args.value(name)) f.text += std::string(f.text.empty() ? "" : " ") + name + " " + *v;
  }
  return f;
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
  job.fixed = parse_fixed(args);
  if (const auto model = args.value("--early-stop")) {
    auto stopper = std::make_shared<ModelFile>(*model);
    if (stopper->model().layout.total_length != cnn::kParams)
      throw ToolError("--early-stop model does not take zoo CNN weights");
    if (stopper->model().target != DPA_TARGET_FINAL_TEST_ACCURACY) {
      throw ToolError(
          "--early-stop model does not predict the run's final accuracy (train it with --target final_test_accuracy)");
    }
    job.stopper = std::move(stopper);
    job.stop_below = static_cast<float>(args.real("--stop-below", 0.5, 0, 1));
    job.max_gap = static_cast<float>(args.real("--max-gap", 0, 0, 1));
  }
  return job;
}

void report(const ZooTrainJob& job, bool json, const ZooTrainResult& r) {
  // Throughput per thread: training-step time summed over runs, each run on one thread.
  const double per_thread = r.time.seconds > 0 ? static_cast<double>(r.time.images) / r.time.seconds : 0;
  if (json) {
    JsonWriter j;
    j.begin_object()
        .field("output", job.out)
        .field("runs", job.runs)
        .field("runs_trained", static_cast<unsigned long long>(r.trained_runs))
        .field("runs_resumed", r.resumed_runs)
        .field("checkpoints", static_cast<unsigned long long>(r.checkpoints))
        .field("trained_images", static_cast<unsigned long long>(r.time.images))
        .field("training_seconds", r.time.seconds)
        .field("images_per_second_per_thread", per_thread)
        .field("threads", job.threads);
    if (job.stopper) j.key("early_stop").begin_object().field("checks", r.checks).field("stops", r.stops).end_object();
    j.end_object();
    std::printf("%s\n", j.str().c_str());
  }
  std::fprintf(stderr, "wrote %s: %u runs, %llu checkpoints; %.0f training images/s per thread", job.out.c_str(),
               std::max(job.runs, r.resumed_runs), static_cast<unsigned long long>(r.checkpoints), per_thread);
  if (job.stopper) std::fprintf(stderr, "; early stopping stopped %u of %u checks", r.stops, r.checks);
  std::fprintf(stderr, "\n");
}

}  // namespace

int zoo_train(int argc, char** argv, int first) {
  const Args args(argc, argv, first, kZooTrainOptions);
  const ZooTrainJob job = parse_job(args);
  report(job, args.flag("--json"), run_zoo_train(job));
  return 0;
}

}  // namespace dpa::tools
