// dpa predict: predictions for every row of a weights npy file.
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "commands.hpp"
#include "common/atomic_file.hpp"
#include "common/cli_args.hpp"
#include "train/context.hpp"
#include "train/pipeline.hpp"
#include "train/row_predictions.hpp"
#include "zoo/npy_file.hpp"

namespace dpa::tools {

int run_predict(int argc, char** argv, int first) {
  const Args args(argc, argv, first, "-o|--output= --metrics= --threads=");
  args.expect_positionals(2, "MODEL.dpa and WEIGHTS.npy");
  const auto path = args.value("-o");
  auto ends_with = [&](const char* suffix) {
    return path && path->size() >= 4 && path->compare(path->size() - 4, 4, suffix) == 0;
  };
  if (path && !ends_with(".npy") && !ends_with(".csv")) throw UsageError("-o must end in .npy or .csv");
  const ModelFile loaded(args.positionals()[0]);
  const NpyMatrix w(args.positionals()[1]);
  if (loaded.model().feature_kind != DPA_INPUT_CONTEXT && w.cols() != loaded.model().layout.total_length) {
    throw ToolError(w.path() + ": rows hold " + std::to_string(w.cols()) + " weights, the model takes " +
                    std::to_string(loaded.model().layout.total_length));
  }
  const auto metrics_path = args.value("--metrics");
  if (loaded.model().num_context > 0 && !metrics_path) {
    throw UsageError(args.positionals()[0] + " reads " + std::to_string(loaded.model().num_context) +
                     " context values (dpa inspect lists them): pass them with --metrics FILE");
  }
  ZooMetrics metrics;
  if (metrics_path) {
    metrics = read_metrics_csv(*metrics_path, false, w.rows());
    if (metrics.rows() != w.rows()) {
      throw ToolError(*metrics_path + ": " + std::to_string(metrics.rows()) + " rows, but " + w.path() + " has " +
                      std::to_string(w.rows()));
    }
  }
  const ContextTable context(loaded.model(), metrics);
  if (const std::string warning = range_warning(loaded.model(), context); !warning.empty()) {
    std::fprintf(stderr, "warning: %s\n", warning.c_str());
  }
  const RowPredictions predicted = predict_rows(loaded.model(), w, context, nullptr, args.threads(), true);
  const std::vector<float>& out = predicted.values;
  std::uint64_t non_finite = 0;
  for (std::uint64_t r = 0; r < w.rows(); ++r) {
    const dpa_status s = predicted.statuses[r];
    if (s == DPA_ERR_NON_FINITE) ++non_finite;
    else if (s != DPA_OK) throw ToolError(w.path() + ": row " + std::to_string(r) + ": " + dpa_status_string(s));
  }
  if (non_finite)
    std::fprintf(stderr, "%llu rows hold NaN/Inf weights, or context values missing or not finite: predicted NaN\n",
                 static_cast<unsigned long long>(non_finite));
  std::string csv = "row,prediction\n";
  if (!ends_with(".npy")) {
    char buf[64];
    for (std::size_t r = 0; r < out.size(); ++r) {
      std::snprintf(buf, sizeof buf, "%zu,%.9g\n", r, static_cast<double>(out[r]));
      csv += buf;
    }
  }
  if (!path) {
    std::fputs(csv.c_str(), stdout);
  } else if (ends_with(".npy")) {
    write_npy_f32(*path, out.data(), out.size(), 1);
  } else {
    write_file_atomically(*path, csv.data(), csv.size());
  }
  return 0;
}

namespace {

const char* const kPredictUsage =
    R"(usage: dpa predict MODEL.dpa WEIGHTS.npy [--metrics METRICS.csv[.gz]] [-o OUT.npy|OUT.csv]
                   [--threads N]

Predicts one value per row of WEIGHTS.npy (N x D, D = the model's weight-vector length) with
the runtime. Writes OUT.npy (float32, N x 1) or OUT.csv (row,prediction); without -o, prints
the CSV. Rows holding NaN/Inf weights or context values get NaN and are counted on stderr.

  --metrics FILE   the context values of a model that reads them (dpa inspect lists them):
                   a CSV with a header naming them, one row per row of WEIGHTS.npy (a model
                   of context values alone still takes WEIGHTS.npy: its rows are the runs)
  --threads N      default: every core
)";

}  // namespace

const Command predict_command = {"predict", "predict every row of a weights npy file", kPredictUsage, run_predict};

}  // namespace dpa::tools
