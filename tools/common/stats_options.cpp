#include "stats_options.hpp"

#include "cli_args.hpp"

namespace dpa::tools {

// Both from the runtime's own tables: a set or kernel added there is an option here.
dpa_stats_set parse_stats_set(const std::string& name) {
  std::string known;
  for (std::uint32_t i = 0; i < dpa_stats_set_count(); ++i) {
    const auto set = static_cast<dpa_stats_set>(dpa_stats_set_at(i));
    if (name == dpa_stats_set_name(set)) return set;
    known += std::string(known.empty() ? "'" : " or '") + dpa_stats_set_name(set) + "'";
  }
  throw UsageError("--stats must be " + known + ", got '" + name + "'");
}

const char* stats_set_name(dpa_stats_set set) {
  const char* name = dpa_stats_set_name(set);
  return name ? name : "unknown";
}

std::string stats_set_choices() {
  std::string s;
  for (std::uint32_t i = 0; i < dpa_stats_set_count(); ++i) {
    s += std::string(i ? "|" : "") + dpa_stats_set_name(static_cast<dpa_stats_set>(dpa_stats_set_at(i)));
  }
  return s;
}

std::string kernel_choices() {
  std::string s = "auto";
  for (std::uint32_t i = 0; i < dpa_kernel_count(); ++i) s += std::string("|") + dpa_kernel_name(dpa_kernel_at(i));
  return s;
}

dpa_kernel parse_kernel(const std::string& name) {
  std::string known = "auto";
  if (name == "auto") return DPA_KERNEL_AUTO;
  for (std::uint32_t i = 0; i < dpa_kernel_count(); ++i) {
    if (name == dpa_kernel_name(dpa_kernel_at(i))) return dpa_kernel_at(i);
    known += std::string(", ") + dpa_kernel_name(dpa_kernel_at(i));
  }
  throw UsageError("--kernel must be one of " + known + "; got '" + name + "'");
}

}  // namespace dpa::tools
