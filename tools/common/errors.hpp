// The two kinds of failure every dpa command reports: how it was called (exit 2) or the work
// itself (exit 1). Library code throws these; tools/dpa/main.cpp turns them into messages.
#pragma once

#include <stdexcept>

namespace dpa::tools {

// A mistake in how the tool was called: reported with the subcommand's usage, exit code 2.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// A failure of the work itself (bad input file, I/O error): exit code 1.
struct ToolError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

}  // namespace dpa::tools
