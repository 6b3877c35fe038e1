#include "cli_args.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <thread>

namespace dpa::tools {

std::vector<OptionSpec> option_specs(const std::string& text) {
  std::vector<OptionSpec> specs;
  for (std::string word : split(text, ' ')) {
    if (word.empty()) continue;
    const bool takes_value = word.back() == '=';
    if (takes_value) word.pop_back();
    const std::size_t bar = word.find('|');
    specs.push_back({word.substr(0, bar), takes_value, bar == std::string::npos ? "" : word.substr(bar + 1)});
  }
  return specs;
}

Args::Args(int argc, char** argv, int first, const char* specs) : Args(argc, argv, first, option_specs(specs)) {}

Args::Args(int argc, char** argv, int first, const std::vector<OptionSpec>& specs) {
  auto find = [&](const std::string& name) -> const OptionSpec* {
    for (const OptionSpec& s : specs) {
      if (s.name == name || (!s.alias.empty() && s.alias == name)) return &s;
    }
    return nullptr;
  };
  bool only_positionals = false;
  for (int i = first; i < argc; ++i) {
    std::string arg = argv[i];
    if (only_positionals || arg.size() < 2 || arg[0] != '-' ||
        (arg.size() > 1 && (std::isdigit(static_cast<unsigned char>(arg[1])) || arg[1] == '.'))) {
      positionals_.push_back(arg);
      continue;
    }
    if (arg == "--") {
      only_positionals = true;
      continue;
    }
    std::string inline_value;
    bool has_inline = false;
    if (const auto eq = arg.find('='); eq != std::string::npos && arg.rfind("--", 0) == 0) {
      inline_value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
      has_inline = true;
    }
    const OptionSpec* spec = find(arg);
    if (spec == nullptr) throw UsageError("unknown option '" + arg + "'");
    if (!spec->takes_value) {
      if (has_inline) throw UsageError("option '" + arg + "' takes no value");
      flags_[spec->name] = true;
      continue;
    }
    if (has_inline) {
      values_[spec->name] = inline_value;
    } else if (i + 1 < argc) {
      values_[spec->name] = argv[++i];
    } else {
      throw UsageError("option '" + arg + "' needs a value");
    }
    // An output named by empty text (`-o ""`, an unset shell variable) is a mistake, not a file.
    if (spec->name == "-o" && values_[spec->name].empty()) throw UsageError("-o names an output: it is empty");
  }
}

bool Args::flag(const std::string& name) const { return flags_.count(name) != 0; }

std::optional<std::string> Args::value(const std::string& name) const {
  const auto it = values_.find(name);
  if (it == values_.end()) return std::nullopt;
  return it->second;
}

std::string Args::required(const std::string& name, const std::string& what) const {
  const auto v = value(name);
  if (!v) throw UsageError("missing " + name + " " + what);
  return *v;
}

std::string Args::value_or(const std::string& name, const std::string& fallback) const {
  return value(name).value_or(fallback);
}

unsigned default_threads() { return std::max(1u, std::thread::hardware_concurrency()); }

unsigned Args::threads() const { return static_cast<unsigned>(integer("--threads", default_threads(), 1, 256)); }

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t end = std::min(text.find(separator, start), text.size());
    out.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

long long parse_integer(const std::string& text, const std::string& what) {
  errno = 0;
  char* end = nullptr;
  const long long v = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || errno == ERANGE) {
    throw UsageError(what + ": '" + text + "' is not an integer");
  }
  return v;
}

double parse_real(const std::string& text, const std::string& what) {
  errno = 0;
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0' || errno == ERANGE || !std::isfinite(v)) {
    throw UsageError(what + ": '" + text + "' is not a finite number");
  }
  return v;
}

long long Args::integer(const std::string& name, long long fallback, long long min, long long max) const {
  const auto text = value(name);
  if (!text) return fallback;
  const long long v = parse_integer(*text, name);
  if (v < min || v > max) {
    throw UsageError(name + " must be between " + std::to_string(min) + " and " + std::to_string(max) + ", got " +
                     *text);
  }
  return v;
}

double Args::real(const std::string& name, double fallback, double min, double max) const {
  const auto text = value(name);
  if (!text) return fallback;
  const double v = parse_real(*text, name);
  if (v < min || v > max) {
    throw UsageError(name + " must be between " + std::to_string(min) + " and " + std::to_string(max) + ", got " +
                     *text);
  }
  return v;
}

void Args::expect_positionals(std::size_t count, const std::string& what) const {
  if (positionals_.size() < count) throw UsageError("missing " + what);
  if (positionals_.size() > count) { throw UsageError("unexpected argument '" + positionals_[count] + "'"); }
}

std::vector<double> parse_number_list(const std::string& text, const std::string& what, double lo, double hi) {
  std::vector<double> out;
  if (text.empty() || text == "none") return out;
  for (const std::string& field : split(text, ',')) {
    const double v = parse_real(field, what);
    if (!(v >= lo && v <= hi)) {
      char range[64];
      std::snprintf(range, sizeof range, "[%g, %g]", lo, hi);
      throw UsageError(what + ": " + field + " is outside " + range);
    }
    out.push_back(v);
  }
  return out;
}

}  // namespace dpa::tools
