// Command-line parsing shared by every dpa subcommand: declared options, clear errors.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/errors.hpp"

namespace dpa::tools {

struct OptionSpec {
  std::string name;  // "--stats" or "-o"
  bool takes_value;
  std::string alias;  // optional second spelling, e.g. "--output" for "-o"
};

class Args {
 public:
  // Parses argv[first..] against the declared options; throws UsageError on unknown options or
  // a missing value. "--name=value" and "--name value" are both accepted.
  Args(int argc, char** argv, int first, const std::vector<OptionSpec>& specs);
  // The options as one line: "-o|--output= --threads= --json" (a trailing '=' takes a value, '|'
  // gives a second spelling).
  Args(int argc, char** argv, int first, const char* specs);

  bool flag(const std::string& name) const;
  std::optional<std::string> value(const std::string& name) const;
  std::string value_or(const std::string& name, const std::string& fallback) const;
  // The value of an option the command cannot do without, or UsageError "missing NAME WHAT".
  std::string required(const std::string& name, const std::string& what) const;
  const std::vector<std::string>& positionals() const { return positionals_; }

  // Typed accessors: throw UsageError naming the option when the text is not a number in range.
  long long integer(const std::string& name, long long fallback, long long min, long long max) const;
  double real(const std::string& name, double fallback, double min, double max) const;
  // --threads: 1..256, by default default_threads().
  unsigned threads() const;

  // Exactly `count` positionals or a UsageError naming what is missing / extra.
  void expect_positionals(std::size_t count, const std::string& what) const;

 private:
  std::map<std::string, std::string> values_;
  std::map<std::string, bool> flags_;
  std::vector<std::string> positionals_;
};

// The option specs of a one-line spec text (Args' second constructor).
std::vector<OptionSpec> option_specs(const std::string& text);

// Every core of the machine (at least 1): what --threads means when not given.
unsigned default_threads();

// "a,b,,c" -> {"a", "b", "", "c"}: every field, empty ones included (callers reject them).
std::vector<std::string> split(const std::string& text, char separator);
// Parses an integer / real from text, or throws UsageError mentioning `what`.
long long parse_integer(const std::string& text, const std::string& what);
double parse_real(const std::string& text, const std::string& what);
// A comma-separated list of numbers in [lo, hi] ("" or "none": empty); UsageError naming `what`.
std::vector<double> parse_number_list(const std::string& text, const std::string& what, double lo, double hi);

}  // namespace dpa::tools
