// dpa demo: the main job on the embedded default input (see README).
#include <cstdio>

#include "commands.hpp"
#include "common/cli_args.hpp"

namespace dpa::tools {

const char* const kDemoUsage =
    "usage: dpa demo [--json]\n"
    "\n"
    "Runs the main job on the embedded default: the per-segment statistics (the paper's 56\n"
    "features) of a trained Small CNN Zoo network embedded in the tool.\n";

int run_demo(int argc, char** argv, int first) {
  const Args args(argc, argv, first, {{"--json", false, ""}});
  args.expect_positionals(0, "");
  char stats[] = "stats";
  char json[] = "--json";
  char* forwarded[] = {argv[0], stats, json};
  return run_stats(args.flag("--json") ? 3 : 2, forwarded, 2);
}

}  // namespace dpa::tools
