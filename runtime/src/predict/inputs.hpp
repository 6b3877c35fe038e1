// The input kinds a model reads (statistics, raw weights, context values): one table that the
// verifier and the prediction path both iterate. Adding a kind is one entry here.
#pragma once

#include <cstddef>
#include <cstdint>

#include "dpa/dpa.h"
#include "dpa/model_format.h"

namespace dpa::detail {

struct InputKind {
  dpa_input_kind kind;
  const char* name;
  bool reads_weights;  // at most one such block per model: there is one weight vector
  // Features of this block, for a model whose layout, statistics set and context are verified.
  std::uint32_t (*feature_count)(const dpa_model& m);
  // Scratch bytes the block needs besides its output.
  std::size_t (*scratch_bytes)(const dpa_model& m);
  // The block's features into out (feature_count floats); the inputs' sizes are checked.
  dpa_status (*features)(const dpa_model& m, const dpa_inputs& in, float* out, void* scratch,
                         std::size_t scratch_bytes);
};

// The entry of a kind, or nullptr for an unknown one.
const InputKind* find_input_kind(std::uint32_t kind);

inline const dpa_context_input* context_inputs(const dpa_model& m) {
  return static_cast<const dpa_context_input*>(m.context);
}

// strcmp(a, b) == 0 without libc's strcmp (0.7 KB of flash on a Cortex-M4F).
inline bool names_equal(const char* a, const char* b) {
  while (*a != '\0' && *a == *b) {
    ++a;
    ++b;
  }
  return *a == *b;
}

// The context block's features: numbers as they are or their log, categorical codes as they are.
// NaN where a value is not finite (DPA_ERR_NON_FINITE) or outside its domain (DPA_ERR_CONTEXT_VALUE).
dpa_status context_features(const dpa_model& m, const float* context, float* out);

}  // namespace dpa::detail
