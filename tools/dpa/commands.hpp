// The subcommands of dpa: one file each, registered in main.cpp.
#pragma once

namespace dpa::tools {

struct Command {
  const char* name;
  const char* summary;
  const char* usage;  // full help text shown by `dpa NAME --help`
  int (*run)(int argc, char** argv, int first);  // argv[first..] are the command's arguments
};

int run_stats(int argc, char** argv, int first);
extern const char* const kStatsUsage;
int run_features(int argc, char** argv, int first);
extern const char* const kFeaturesUsage;
int run_zoo(int argc, char** argv, int first);
int zoo_train(int argc, char** argv, int first);
extern const char* const kZooTrainUsage;
extern const char* const kZooUsage;
int run_train(int argc, char** argv, int first);
extern const char* const kTrainUsage;
int run_eval(int argc, char** argv, int first);
extern const char* const kEvalUsage;
int run_predict(int argc, char** argv, int first);
extern const char* const kPredictUsage;
int run_inspect(int argc, char** argv, int first);
extern const char* const kInspectUsage;
int run_export_c(int argc, char** argv, int first);
extern const char* const kExportCUsage;
int run_import(int argc, char** argv, int first);
extern const char* const kImportUsage;
int run_early_stop(int argc, char** argv, int first);
extern const char* const kEarlyStopUsage;
int run_report(int argc, char** argv, int first);
extern const char* const kReportUsage;
int run_demo(int argc, char** argv, int first);
extern const char* const kDemoUsage;

}  // namespace dpa::tools
