// Context values: what a training loop knows besides the weights (epoch, training metrics,
// hyperparameters), as metrics columns of a zoo. Which columns a model reads, how it describes
// them, and each row's values in the model's order.
#pragma once

#include <string>
#include <vector>

#include "dpa/dpa.h"
#include "model/model_spec.hpp"
#include "zoo/row_selection.hpp"
#include "zoo/zoo_dataset.hpp"

namespace dpa::tools {

// The usage text of --context, shared by every command that takes it (a literal, so usages can
// be one literal too).
#define DPA_CONTEXT_HELP                                                                         \
  "  --context LIST      context values the model reads besides the weights: metrics columns\n"  \
  "                      and presets, comma-separated: none (default), hyper (every config.*\n"  \
  "                      column that varies), train (step, train_loss, train_accuracy), curve\n" \
  "                      (test_loss, test_accuracy at that checkpoint), all\n"

// Column names from a --context list of names and presets: none, hyper (every config.* column
// that varies, except config.random_seed), train (step, train_loss, train_accuracy), curve
// (test_loss, test_accuracy), all; a preset takes those of its columns the zoo has. Throws
// UsageError for a named column the zoo lacks and for a column that is the target itself
// (test_accuracy or test_loss with --target test_accuracy).
std::vector<std::string> resolve_context(const std::string& list, const ZooMetrics& metrics, Target target);

// How a model describes those columns: numbers or categories (with the zoo's category names).
// log_wide: take the log of positive columns spanning two decades (linear and MLP models).
std::vector<ContextInput> describe_context(const std::vector<std::string>& names, const ZooMetrics& metrics,
                                           bool log_wide);

// Every row's context values in a model's order: numbers as they are, categories as the model's
// codes (names it never saw get its "unseen" code).
class ContextTable {
 public:
  // Throws ToolError naming metrics.path when a column the model reads is missing.
  ContextTable(const dpa_model& model, const ZooMetrics& metrics);
  std::size_t per_row() const { return per_row_; }
  std::size_t rows() const { return per_row_ ? values_.size() / per_row_ : 0; }
  const float* row(std::size_t r) const { return per_row_ ? &values_[r * per_row_] : nullptr; }
  bool finite(std::size_t r) const;
  // Which values are missing or not finite in those rows: "config.dropout in 399 rows, ...".
  std::string missing(const std::vector<std::uint64_t>& rows) const;
  dpa_inputs inputs(const float* weights, std::size_t num_weights, std::size_t r) const {
    return {weights, num_weights, row(r), per_row_};
  }

 private:
  std::size_t per_row_ = 0;
  std::vector<float> values_;
  std::vector<std::string> names_;
};

// One context value of a model from its text in a metrics row (zoo train's own rows).
float context_value(const dpa_model& model, std::uint32_t index, const std::string& text);

// "step,train_loss,config.optimizer(3)" for messages and provenance.
std::string context_summary(const std::vector<ContextInput>& context);

}  // namespace dpa::tools

namespace dpa::tools {

// What a model is valid for: the range of each numeric context value and of the target over the
// rows it was trained on, recorded in its provenance ("range:NAME=LOW HIGH" lines).
struct TrainedRanges {
  struct Range {
    std::string name;
    float low, high;
  };
  std::vector<Range> ranges;  // context values, then "target"

  std::string provenance() const;
  static TrainedRanges of(const dpa_model& model);  // empty when the model records none
  const Range* find(const std::string& name) const;
};

// Rows of a context table whose values lie outside the model's trained ranges or name a category
// it never saw, as one warning line ("" when none): "3 of 400 rows lie outside what the model was
// trained on: step above 12 (3 rows)".
std::string range_warning(const dpa_model& model, const ContextTable& table);

}  // namespace dpa::tools
