#include "model/verify_inputs.hpp"

#include "dpa/model_format.h"
#include "predict/inputs.hpp"

namespace dpa::detail {
namespace {

static_assert(sizeof(dpa_features_section) == 32, "format");
static_assert(sizeof(dpa_segment) == 16, "format");
static_assert(sizeof(dpa_inputs_section) == 32, "format");
static_assert(sizeof(dpa_input_block) == 16, "format");
static_assert(sizeof(dpa_context_input) == 16, "format");

// The weights block's layout and statistics set, shared by both versions.
dpa_status take_weights(const dpa_segment* segments, std::uint32_t num_segments, std::uint32_t total_length,
                        std::uint32_t kind, std::uint32_t stats_set, dpa_status error, dpa_model* m) {
  m->layout = {segments, num_segments, total_length};
  if (num_segments == 0 || dpa_layout_check(&m->layout) != DPA_OK) return error;
  m->feature_kind = kind;
  if (kind == DPA_INPUT_STATISTICS) {
    // The raw number is matched against the sets this build knows before it becomes an enum (an
    // out-of-range enum value is undefined); a set the build leaves out cannot load.
    bool known = false;
    for (std::uint32_t i = 0; i < dpa_stats_set_count(); ++i) known |= dpa_stats_set_at(i) == stats_set;
    if (!known) return error;
    m->stats_set = static_cast<dpa_stats_set>(stats_set);
  } else if (stats_set != 0) {
    return error;
  }
  return DPA_OK;
}

// Length of the NUL-terminated name at `offset` of the string table, or 0 when it is empty, too
// long or runs past the table.
std::uint32_t name_length(const char* strings, std::uint32_t strings_bytes, std::uint32_t offset) {
  if (offset >= strings_bytes) return 0;
  for (std::uint32_t n = 0; n <= DPA_MODEL_MAX_NAME_BYTES && offset + n < strings_bytes; ++n) {
    if (strings[offset + n] == '\0') return n;
  }
  return 0;
}

// Every name valid and no two equal (names are looked up by value). offset_of(i): name i's offset.
template <class OffsetOf>
bool distinct_names(const char* strings, std::uint32_t strings_bytes, std::uint32_t count, OffsetOf offset_of) {
  for (std::uint32_t i = 0; i < count; ++i) {
    if (name_length(strings, strings_bytes, offset_of(i)) == 0) return false;
    for (std::uint32_t j = 0; j < i; ++j) {
      if (names_equal(strings + offset_of(i), strings + offset_of(j))) return false;
    }
  }
  return true;
}

dpa_status verify_context(const dpa_inputs_section& h, const dpa_context_input* context,
                          const std::uint32_t* categories, const char* strings) {
  if (!distinct_names(strings, h.strings_bytes, h.num_context, [&](std::uint32_t i) { return context[i].name; })) {
    return DPA_ERR_MODEL_INPUTS;
  }
  std::uint32_t next_category = 0;  // categorical values own consecutive, disjoint category runs
  for (std::uint32_t i = 0; i < h.num_context; ++i) {
    const dpa_context_input& c = context[i];
    if (c.kind == DPA_CONTEXT_NUMERIC) {
      if (c.transform > DPA_CONTEXT_LOG || c.num_categories != 0 || c.first_category != 0) return DPA_ERR_MODEL_INPUTS;
    } else if (c.kind == DPA_CONTEXT_CATEGORICAL) {
      if (c.transform != DPA_CONTEXT_AS_IS || c.num_categories == 0 ||
          c.num_categories > DPA_MODEL_MAX_VALUE_CATEGORIES || c.first_category != next_category ||
          c.num_categories > h.num_categories - next_category ||
          !distinct_names(strings, h.strings_bytes, c.num_categories,
                          [&](std::uint32_t k) { return categories[c.first_category + k]; })) {
        return DPA_ERR_MODEL_INPUTS;
      }
      next_category += c.num_categories;
    } else {
      return DPA_ERR_MODEL_INPUTS;
    }
  }
  return next_category == h.num_categories ? DPA_OK : DPA_ERR_MODEL_INPUTS;
}

}  // namespace

dpa_status verify_features_v1(const Region& r, dpa_model* m) {
  if (!r.fits(0, 1, sizeof(dpa_features_section))) return DPA_ERR_MODEL_FEATURES;
  const auto* f = r.at<dpa_features_section>(0);
  if (f->num_segments == 0 || f->num_segments > DPA_MAX_SEGMENTS ||
      !r.fits(sizeof(dpa_features_section), f->num_segments, sizeof(dpa_segment))) {
    return DPA_ERR_MODEL_FEATURES;
  }
  if (f->kind != DPA_FEATURES_STATISTICS && f->kind != DPA_FEATURES_RAW_WEIGHTS) return DPA_ERR_MODEL_FEATURES;
  const dpa_status s = take_weights(r.at<dpa_segment>(sizeof(dpa_features_section)), f->num_segments, f->total_length,
                                    f->kind, f->stats_set, DPA_ERR_MODEL_FEATURES, m);
  if (s != DPA_OK) return s;
  m->num_input_blocks = 1;
  m->input_blocks[0] = f->kind;
  m->num_features = find_input_kind(f->kind)->feature_count(*m);
  if (f->num_features == 0 || f->num_features != m->num_features) return DPA_ERR_MODEL_FEATURES;
  return DPA_OK;
}

dpa_status verify_inputs_v2(const Region& r, dpa_model* m) {
  if (!r.fits(0, 1, sizeof(dpa_inputs_section))) return DPA_ERR_MODEL_INPUTS;
  const auto& h = *r.at<dpa_inputs_section>(0);
  if (h.num_blocks == 0 || h.num_blocks > DPA_MAX_INPUT_BLOCKS || h.num_segments > DPA_MAX_SEGMENTS ||
      h.num_context > DPA_MODEL_MAX_CONTEXT || h.num_categories > DPA_MODEL_MAX_CATEGORIES || h.reserved != 0 ||
      h.num_features == 0) {
    return DPA_ERR_MODEL_INPUTS;
  }
  // The parts follow each other; the section holds exactly them.
  const std::uint64_t blocks_at = sizeof(dpa_inputs_section);
  const std::uint64_t segments_at = blocks_at + std::uint64_t{h.num_blocks} * sizeof(dpa_input_block);
  const std::uint64_t context_at = segments_at + std::uint64_t{h.num_segments} * sizeof(dpa_segment);
  const std::uint64_t categories_at = context_at + std::uint64_t{h.num_context} * sizeof(dpa_context_input);
  const std::uint64_t strings_at = categories_at + std::uint64_t{h.num_categories} * sizeof(std::uint32_t);
  if (!r.fits(strings_at, h.strings_bytes, 1) || strings_at + h.strings_bytes != r.size) return DPA_ERR_MODEL_INPUTS;
  const auto* blocks = r.at<dpa_input_block>(blocks_at);

  // Which kinds are there: each once, one weights block at most, context exactly when it has values.
  const InputKind* kinds[DPA_MAX_INPUT_BLOCKS] = {};
  const dpa_input_block* weights_block = nullptr;
  bool has_context = false;
  for (std::uint32_t b = 0; b < h.num_blocks; ++b) {
    kinds[b] = find_input_kind(blocks[b].kind);
    if (kinds[b] == nullptr || blocks[b].reserved != 0) return DPA_ERR_MODEL_INPUTS;
    for (std::uint32_t c = 0; c < b; ++c) {
      if (blocks[c].kind == blocks[b].kind) return DPA_ERR_MODEL_INPUTS;
    }
    if (kinds[b]->reads_weights) {
      if (weights_block != nullptr) return DPA_ERR_MODEL_INPUTS;
      weights_block = &blocks[b];
    } else if (blocks[b].stats_set != 0) {
      return DPA_ERR_MODEL_INPUTS;
    }
    has_context |= blocks[b].kind == DPA_INPUT_CONTEXT;
    m->input_blocks[b] = blocks[b].kind;
  }
  m->num_input_blocks = h.num_blocks;
  if (weights_block != nullptr) {
    const dpa_status s = take_weights(r.at<dpa_segment>(segments_at), h.num_segments, h.total_length,
                                      weights_block->kind, weights_block->stats_set, DPA_ERR_MODEL_INPUTS, m);
    if (s != DPA_OK) return s;
  } else {
    if (h.num_segments != 0 || h.total_length != 0) return DPA_ERR_MODEL_INPUTS;
    m->layout = {r.at<dpa_segment>(segments_at), 0, 0};
    m->feature_kind = DPA_INPUT_CONTEXT;
  }
  if (has_context != (h.num_context > 0)) return DPA_ERR_MODEL_INPUTS;
  m->num_context = h.num_context;
  m->context = r.at<dpa_context_input>(context_at);
  m->category_names = r.at<std::uint32_t>(categories_at);
  m->strings = r.at<char>(strings_at);
  m->strings_bytes = h.strings_bytes;
  const dpa_status s = verify_context(h, r.at<dpa_context_input>(context_at), m->category_names, m->strings);
  if (s != DPA_OK) return s;

  std::uint64_t features = 0;
  for (std::uint32_t b = 0; b < h.num_blocks; ++b) {
    const std::uint32_t count = kinds[b]->feature_count(*m);
    if (blocks[b].num_features != count || count == 0) return DPA_ERR_MODEL_INPUTS;
    features += count;
  }
  if (features != h.num_features) return DPA_ERR_MODEL_INPUTS;
  m->num_features = h.num_features;
  return DPA_OK;
}

}  // namespace dpa::detail
