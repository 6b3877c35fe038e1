#include "inputs.hpp"

#include <cmath>
#include <limits>

#include "predict/natural_log.hpp"
#include "stats/stats_checked.hpp"

namespace dpa::detail {
namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

std::uint32_t statistics_count(const dpa_model& m) {
  return m.layout.num_segments * dpa_stats_per_segment(m.stats_set);
}
std::size_t statistics_scratch(const dpa_model& m) { return dpa_stats_scratch_size(m.stats_set); }
dpa_status statistics(const dpa_model& m, const dpa_inputs& in, float* out, void* scratch, std::size_t scratch_bytes) {
  return stats_of_checked_layout(m.layout, m.stats_set, in.weights, out, scratch, scratch_bytes, DPA_KERNEL_AUTO);
}

std::uint32_t raw_count(const dpa_model& m) { return m.layout.total_length; }
std::size_t no_scratch(const dpa_model&) { return 0; }
dpa_status raw(const dpa_model& m, const dpa_inputs& in, float* out, void*, std::size_t) {
  bool finite = true;
  for (std::uint32_t i = 0; i < m.layout.total_length; ++i) {
    out[i] = in.weights[i];
    finite &= std::isfinite(in.weights[i]);
  }
  return finite ? DPA_OK : DPA_ERR_NON_FINITE;
}

std::uint32_t context_count(const dpa_model& m) { return m.num_context; }
dpa_status context(const dpa_model& m, const dpa_inputs& in, float* out, void*, std::size_t) {
  return context_features(m, in.context, out);
}

constexpr InputKind kInputKinds[] = {
    {DPA_INPUT_STATISTICS, "statistics", true, statistics_count, statistics_scratch, statistics},
    {DPA_INPUT_RAW_WEIGHTS, "raw_weights", true, raw_count, no_scratch, raw},
    {DPA_INPUT_CONTEXT, "context", false, context_count, no_scratch, context},
};

}  // namespace

const InputKind* find_input_kind(std::uint32_t kind) {
  for (const InputKind& k : kInputKinds) {
    if (static_cast<std::uint32_t>(k.kind) == kind) return &k;
  }
  return nullptr;
}

dpa_status context_features(const dpa_model& m, const float* context, float* out) {
  dpa_status status = DPA_OK;
  const dpa_context_input* inputs = context_inputs(m);
  for (std::uint32_t i = 0; i < m.num_context; ++i) {
    const float v = context[i];
    const dpa_context_input& c = inputs[i];
    dpa_status s = DPA_OK;
    if (!std::isfinite(v)) {
      s = DPA_ERR_NON_FINITE;
    } else if (c.kind == DPA_CONTEXT_CATEGORICAL) {
      // Codes are whole numbers 0..n; n is every name the model never saw.
      if (v < 0.0f || v > static_cast<float>(c.num_categories) || v != std::floor(v)) s = DPA_ERR_CONTEXT_VALUE;
    } else if (c.transform == DPA_CONTEXT_LOG && !(v > 0.0f)) {
      s = DPA_ERR_CONTEXT_VALUE;
    }
    if (s != DPA_OK) {
      out[i] = kNaN;
      if (status == DPA_OK) status = s;
      continue;
    }
    out[i] = c.transform == DPA_CONTEXT_LOG ? static_cast<float>(natural_log(v)) : v;
  }
  return status;
}

}  // namespace dpa::detail

extern "C" const char* dpa_input_kind_name(uint32_t kind) {
  const auto* k = dpa::detail::find_input_kind(kind);
  return k ? k->name : nullptr;
}

namespace {

const char* name_at(const dpa_model& m, std::uint32_t offset) { return m.strings + offset; }

// Both strings NUL-terminated (the verifier checked every name).
bool same_name(const char* a, const char* b) { return dpa::detail::names_equal(a, b); }

const dpa_context_input* context_at(const dpa_model* m, std::uint32_t index) {
  if (m == nullptr || m->bytes == nullptr || index >= m->num_context) return nullptr;
  return dpa::detail::context_inputs(*m) + index;
}

}  // namespace

extern "C" {

dpa_status dpa_model_context_info(const dpa_model* model, uint32_t index, dpa_context_info* info) {
  if (info == nullptr) return DPA_ERR_NULL_ARGUMENT;
  const dpa_context_input* c = context_at(model, index);
  if (c == nullptr) return DPA_ERR_NOT_FOUND;
  info->name = name_at(*model, c->name);
  info->kind = c->kind;
  info->transform = c->transform;
  info->num_categories = c->num_categories;
  return DPA_OK;
}

const char* dpa_model_context_category(const dpa_model* model, uint32_t index, uint32_t code) {
  const dpa_context_input* c = context_at(model, index);
  if (c == nullptr || code >= c->num_categories) return nullptr;
  return name_at(*model, model->category_names[c->first_category + code]);
}

int32_t dpa_model_context_index(const dpa_model* model, const char* name) {
  if (name == nullptr) return -1;
  for (std::uint32_t i = 0; context_at(model, i) != nullptr; ++i) {
    if (same_name(name_at(*model, context_at(model, i)->name), name)) return static_cast<int32_t>(i);
  }
  return -1;
}

dpa_status dpa_model_context_code(const dpa_model* model, uint32_t index, const char* category, float* code) {
  if (category == nullptr || code == nullptr) return DPA_ERR_NULL_ARGUMENT;
  const dpa_context_input* c = context_at(model, index);
  if (c == nullptr || c->kind != DPA_CONTEXT_CATEGORICAL) return DPA_ERR_NOT_FOUND;
  std::uint32_t k = 0;
  while (k < c->num_categories && !same_name(name_at(*model, model->category_names[c->first_category + k]), category)) {
    ++k;
  }
  *code = static_cast<float>(k);  // num_categories: a name the model never saw
  return DPA_OK;
}

}  // extern "C"
