// dpa: the host tool. Dispatches to one subcommand per file; errors become exit codes
// (2: wrong usage, 1: the work failed).
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <stdexcept>
#include <string>
#include <utility>

#include "commands.hpp"
#include "common/errors.hpp"
#include "common/stats_options.hpp"
#include "train/pipeline.hpp"

namespace {

using dpa::tools::Command;

#define DPA_COMMAND_ADDRESS(id) &dpa::tools::id##_command,
const Command* const kCommands[] = {DPA_COMMANDS(DPA_COMMAND_ADDRESS)};
#undef DPA_COMMAND_ADDRESS

// A usage text with its {placeholders} replaced by the choices of the tables they name.
std::string expand_usage(const char* usage) {
  const std::pair<const char*, std::string> choices[] = {
      {"{stats}", dpa::tools::stats_set_choices()},
      {"{kernels}", dpa::tools::kernel_choices()},
      {"{models}", dpa::tools::model_kind_choices()},
      {"{inputs}", dpa::tools::weight_inputs_choices()},
  };
  std::string text = usage;
  for (const auto& [placeholder, value] : choices) {
    for (std::size_t at; (at = text.find(placeholder)) != std::string::npos;)
      text.replace(at, std::strlen(placeholder), value);
  }
  return text;
}

void print_overview() {
  std::printf(
      "dpa - predict a neural network's test accuracy from its weights\n"
      "\n"
      "usage: dpa COMMAND [OPTIONS]   (dpa COMMAND --help for the command's options)\n"
      "\n"
      "commands:\n");
  for (const Command* c : kCommands) std::printf("  %-10s %s\n", c->name, c->summary);
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
      for (const Command* c : kCommands) {
        if (argv[2] == std::string(c->name)) {
          std::printf("%s", expand_usage(c->usage).c_str());
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
  for (const Command* command : kCommands) {
    const Command& c = *command;
    if (argv[1] != std::string(c.name)) continue;
    if (wants_help(argc, argv, 2)) {
      const bool zoo_train = argc > 2 && std::strcmp(c.name, "zoo") == 0 && std::strcmp(argv[2], "train") == 0;
      std::printf("%s", expand_usage(zoo_train ? dpa::tools::kZooTrainUsage : c.usage).c_str());
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
        throw std::runtime_error(std::string("writing to standard output failed: ") +
                                 (e != 0 ? std::strerror(e) : "write error"));
      }
      return status;
    } catch (const dpa::tools::UsageError& e) {
      std::fprintf(stderr, "dpa %s: error: %s\n\n%s", c.name, e.what(), expand_usage(c.usage).c_str());
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
