// Names of statistics sets and kernels on the command line.
#pragma once

#include <string>

#include "dpa/dpa.h"

namespace dpa::tools {

dpa_stats_set parse_stats_set(const std::string& name);  // "paper" | "extended"
const char* stats_set_name(dpa_stats_set set);
dpa_kernel parse_kernel(const std::string& name);  // "auto" or a kernel the runtime lists
// The choices as usage texts show them ("paper|extended", "auto|avx512|...|scalar").
std::string stats_set_choices();
std::string kernel_choices();

}  // namespace dpa::tools
