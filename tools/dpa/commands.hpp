// The subcommands of dpa: one file each (cmd_ID.cpp), listed once in DPA_COMMANDS.
#pragma once

#include <vector>

namespace dpa::tools {

struct Command {
  const char* name;
  const char* summary;
  // Full help text shown by `dpa NAME --help`; {stats}, {kernels}, {models} and {inputs} stand for
  // the choices of the tables that define them (expand_usage).
  const char* usage;
  int (*run)(int argc, char** argv, int first);  // argv[first..] are the command's arguments
};

// Every subcommand, in the order `dpa --help` lists them. cmd_ID.cpp defines ID_command; adding a
// command is its file and its id here.
#define DPA_COMMANDS(X) \
  X(demo)               \
  X(stats) X(features) X(zoo) X(train) X(eval) X(predict) X(inspect) X(export_c) X(import) X(early_stop) X(report)
#define DPA_DECLARE_COMMAND(id) extern const Command id##_command;
DPA_COMMANDS(DPA_DECLARE_COMMAND)
#undef DPA_DECLARE_COMMAND

class Args;
// `dpa early-stop --in-sweep` (cmd_early_stop_in_sweep.cpp).
int run_early_stop_in_sweep(const Args& args);
// early-stop's --percentile LIST, Optuna's meaning (keep the top P %; default 50,25), with one
// line on stderr when a value other than 50 is given: dpa 0.2 read it the other way round.
std::vector<double> parse_percentiles(const Args& args);

// `dpa zoo train`, reached through the zoo command.
int zoo_train(int argc, char** argv, int first);
extern const char* const kZooTrainUsage;

}  // namespace dpa::tools
