// dpa: the host tool. Dispatches to one subcommand per file; errors become exit codes
// (2: wrong usage, 1: the work failed).
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <stdexcept>
#include <string>

#include "commands.hpp"
#include "common/errors.hpp"

namespace {

using dpa::tools::Command;

const Command kCommands[] = {
    {"demo", "the whole pipeline on the embedded default zoo", dpa::tools::kDemoUsage,
     dpa::tools::run_demo},
    {"stats", "per-segment weight statistics of a network", dpa::tools::kStatsUsage,
     dpa::tools::run_stats},
    {"features", "statistics of every row of a zoo, as an npy file", dpa::tools::kFeaturesUsage,
     dpa::tools::run_features},
    {"zoo", "zoo datasets: zoo info, zoo train (grow a zoo of CNNs)", dpa::tools::kZooUsage,
     dpa::tools::run_zoo},
    {"train", "train a predictor on a zoo and write the model", dpa::tools::kTrainUsage,
     dpa::tools::run_train},
    {"eval", "evaluate a model on a zoo (R2, Kendall tau, MAE, RMSE, plot)", dpa::tools::kEvalUsage,
     dpa::tools::run_eval},
    {"predict", "predict every row of a weights npy file", dpa::tools::kPredictUsage,
     dpa::tools::run_predict},
    {"inspect", "verify and describe a model file", dpa::tools::kInspectUsage,
     dpa::tools::run_inspect},
    {"export-c", "write a model as a C header for firmware", dpa::tools::kExportCUsage,
     dpa::tools::run_export_c},
    {"import", "convert an XGBoost or LightGBM tree model", dpa::tools::kImportUsage,
     dpa::tools::run_import},
    {"early-stop", "what stopping runs early from their weights saves on a zoo",
     dpa::tools::kEarlyStopUsage, dpa::tools::run_early_stop},
    {"report", "the paper's comparison on your zoos: predictors x inputs, transfer, figures",
     dpa::tools::kReportUsage, dpa::tools::run_report},
};

void print_overview() {
  std::printf(
      "dpa - predict a neural network's test accuracy from its weights\n"
      "\n"
      "usage: dpa COMMAND [OPTIONS]   (dpa COMMAND --help for the command's options)\n"
      "\n"
      "commands:\n");
  for (const Command& c : kCommands) std::printf("  %-10s %s\n", c.name, c.summary);
}

bool wants_help(int argc, char** argv, int first) {
  for (int i = first; i < argc; ++i) {
    if (std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0) return true;
  }
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0 ||
      std::strcmp(argv[1], "help") == 0) {
    if (argc >= 3 && std::strcmp(argv[1], "help") == 0) {
      for (const Command& c : kCommands) {
        if (argv[2] == std::string(c.name)) {
          std::printf("%s", c.usage);
          return 0;
        }
      }
    }
    print_overview();
    return argc < 2 ? 2 : 0;
  }
  if (std::strcmp(argv[1], "--version") == 0) {
    std::printf("dpa %s\n", DPA_VERSION);
    return 0;
  }
  for (const Command& c : kCommands) {
    if (argv[1] != std::string(c.name)) continue;
    if (wants_help(argc, argv, 2)) {
      const bool zoo_train = argc > 2 && std::strcmp(c.name, "zoo") == 0 && std::strcmp(argv[2], "train") == 0;
      std::printf("%s", zoo_train ? dpa::tools::kZooTrainUsage : c.usage);
      return 0;
    }
    try {
      const int status = c.run(argc, argv, 2);
      // Results printed to stdout count only if they arrived: a full disk or a closed pipe is an
      // error, not a success with a third of the lines.
      errno = 0;
      const bool written = std::fflush(stdout) == 0 && !std::ferror(stdout);
      const int write_errno = errno;
      const bool closed = std::fclose(stdout) == 0;
      if (!written || !closed) {
        const int e = write_errno != 0 ? write_errno : errno;
        throw std::runtime_error(std::string("writing to standard output failed: ") + (e != 0 ? std::strerror(e) : "write error"));
      }
      return status;
    } catch (const dpa::tools::UsageError& e) {
      std::fprintf(stderr, "dpa %s: error: %s\n\n%s", c.name, e.what(), c.usage);
      return 2;
    } catch (const std::exception& e) {
      std::fprintf(stderr, "dpa %s: error: %s\n", c.name, e.what());
      return 1;
    }
  }
  std::fprintf(stderr, "dpa: unknown command '%s'\n\n", argv[1]);
  print_overview();
  return 2;
}
