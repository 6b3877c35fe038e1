// dpa demo: the whole pipeline on the embedded default zoo: train, evaluate, export, predict.
#include <unistd.h>

#include <cstdio>
#include <filesystem>

#include "commands.hpp"
#include "common/atomic_file.hpp"
#include "common/cli_args.hpp"
#include "common/files.hpp"
#include "common/svg_plot.hpp"
#include "model/c_export.hpp"
#include "sample_weights.hpp"
#include "train/pipeline.hpp"

namespace dpa::tools {

namespace {

// The mini zoo that comes with dpa: share/dpa/mini-zoo next to the binary (the build tree) or in
// the prefix it is installed in (PREFIX/bin/dpa, PREFIX/share/dpa/mini-zoo).
std::string embedded_zoo() {
  char exe[4096];
  const ssize_t n = ::readlink("/proc/self/exe", exe, sizeof exe - 1);
  const std::string path = n > 0 ? std::string(exe, static_cast<std::size_t>(n)) : "";
  const std::string dir = path.substr(0, path.find_last_of('/') == std::string::npos ? 0 : path.find_last_of('/'));
  for (const std::string& candidate : {dir + "/share/dpa/mini-zoo", dir + "/../share/dpa/mini-zoo"}) {
    if (is_readable(candidate + "/weights.npy")) return candidate;
  }
  throw ToolError("the embedded mini zoo is not beside " + path + " (share/dpa/mini-zoo): give --zoo DIR");
}

}  // namespace

int run_demo(int argc, char** argv, int first) {
  const Args args(argc, argv, first, "--zoo= --workdir=");
  args.expect_positionals(0, "");
  const std::string zoo_dir = args.value_or("--zoo", embedded_zoo());
  const std::string work = args.value_or("--workdir", "dpa-demo");
  std::error_code ec;
  std::filesystem::create_directories(work, ec);
  if (ec) throw ToolError("cannot create " + work + ": " + ec.message());
  const ZooDataset zoo(zoo_dir);
  std::printf("1. zoo %s: %llu networks of %llu weights\n", zoo_dir.c_str(),
              static_cast<unsigned long long>(zoo.rows()), static_cast<unsigned long long>(zoo.weights_per_row()));

  TrainOptions o;
  o.threads = default_threads();
  o.test_fraction = 0.3;
  const TrainReport r = train_predictor(zoo, o);
  const std::string model_path = work + "/model.dpa";
  write_file_atomically(model_path, r.model_bytes.data(), r.model_bytes.size());
  std::printf("2. trained gbdt on the 56 paper statistics of %zu networks (%d trees, %.2f s) -> %s\n", r.train_rows,
              r.trees, r.train_seconds, model_path.c_str());
  std::printf("   held-out runs (%zu): R2 %.3f  Kendall tau %.3f  MAE %.3f\n", r.test_rows, r.test.r2,
              r.test.kendall_tau, r.test.mae);

  const ModelFile loaded(model_path);
  const Evaluation e = evaluate_model(loaded.model(), zoo, o.checkpoints, o.target, o.threads);
  const std::string plot = work + "/eval.svg";
  const std::string svg = scatter_svg(e.truth, e.predicted, "dpa demo: predicted vs actual test accuracy");
  write_file_atomically(plot, svg.data(), svg.size());
  std::printf(
      "3. dpa eval on this zoo counts the %zu rows of held-out runs only (%llu runs it trained or validated\n"
      "   on left out): R2 %.3f  Kendall tau %.3f -> %s\n",
      e.metrics.n, static_cast<unsigned long long>(e.excluded_runs), e.metrics.r2, e.metrics.kendall_tau, plot.c_str());

  const std::string header = work + "/model.h";
  const std::string h =
      model_c_header(loaded.bytes(), loaded.size(), loaded.model(), "dpa_demo_model", "model.h", model_path);
  write_file_atomically(header, h.data(), h.size());
  std::printf("4. exported for firmware: %s (%zu bytes of model, %zu bytes of scratch)\n", header.c_str(),
              loaded.size(), dpa_model_scratch_size(&loaded.model()));

  const SampleNetwork& sample = sample_network();
  std::vector<unsigned char> scratch(dpa_model_scratch_size(&loaded.model()));
  float predicted = 0;
  const dpa_status s = dpa_model_predict(&loaded.model(), sample.weights.data(), sample.weights.size(), &predicted,
                                         scratch.data(), scratch.size());
  if (s != DPA_OK) throw ToolError(dpa_status_string(s));
  std::printf("5. network %s, from its weights alone: predicted test accuracy %.3f (measured %.3f)\n",
              sample.run.c_str(), predicted, sample.test_accuracy);
  return 0;
}

namespace {

const char* const kDemoUsage = R"(usage: dpa demo [--zoo DIR] [--workdir DIR]

Runs the main job on the embedded default: trains a gradient-boosted-tree predictor of test
accuracy on a zoo (default: the embedded mini zoo, 400 Fashion-MNIST CNNs), evaluates it on
held-out runs and on the whole zoo (with a plot), exports it as a C header, and predicts the
accuracy of a trained network embedded in the tool from its weights alone.

  --zoo DIR       zoo directory (release format); default the embedded mini zoo, share/dpa/mini-zoo
                  beside the dpa binary (build tree) or above it (installed)
  --workdir DIR   where model.dpa, model.h and eval.svg go; default dpa-demo
)";

}  // namespace

const Command demo_command = {"demo", "the whole pipeline on the embedded default zoo", kDemoUsage, run_demo};

}  // namespace dpa::tools
