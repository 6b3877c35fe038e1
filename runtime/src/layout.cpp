// Weight-vector layouts: the built-in Small CNN Zoo layout and the check any other layout passes.
#include "dpa/dpa.h"

namespace {

#define DPA_ZOO_SEGMENT(offset, length, kind, name, shape) {offset, length, kind, 0},
constexpr dpa_segment kZooSegments[DPA_ZOO_NUM_SEGMENTS] = {DPA_ZOO_SEGMENT_TABLE(DPA_ZOO_SEGMENT)};
#undef DPA_ZOO_SEGMENT
#define DPA_ZOO_NAME(offset, length, kind, name, shape) name,
constexpr const char* kZooNames[DPA_ZOO_NUM_SEGMENTS] = {DPA_ZOO_SEGMENT_TABLE(DPA_ZOO_NAME)};
#undef DPA_ZOO_NAME

constexpr dpa_layout kZooLayout{kZooSegments, DPA_ZOO_NUM_SEGMENTS, DPA_ZOO_TOTAL_LENGTH};

}  // namespace

extern "C" {

const dpa_layout* dpa_zoo_layout(void) { return &kZooLayout; }

const char* dpa_zoo_segment_name(uint32_t index) { return index < DPA_ZOO_NUM_SEGMENTS ? kZooNames[index] : nullptr; }

dpa_status dpa_layout_check(const dpa_layout* layout) {
  if (layout == nullptr || layout->segments == nullptr) return DPA_ERR_NULL_ARGUMENT;
  const uint32_t count = layout->num_segments;
  if (count == 0 || count > DPA_MAX_SEGMENTS || layout->total_length > DPA_MAX_TOTAL_LENGTH) {
    return DPA_ERR_BAD_LAYOUT;
  }
  for (uint32_t i = 0; i < count; ++i) {
    const dpa_segment& s = layout->segments[i];
    if (s.length == 0 || s.kind > DPA_SEGMENT_OTHER || s.reserved != 0) return DPA_ERR_BAD_LAYOUT;
    // Compare without overflow: both terms are at most 2^32 - 1.
    if (s.offset > layout->total_length || s.length > layout->total_length - s.offset) { return DPA_ERR_BAD_LAYOUT; }
  }
  // Segments in ascending order (every real layout): each ends before the next starts, one pass.
  uint32_t ordered = 1;
  while (ordered < count && layout->segments[ordered - 1].offset + layout->segments[ordered - 1].length <=
                                layout->segments[ordered].offset) {
    ++ordered;
  }
  if (ordered == count) return DPA_OK;
  // Any other order: quadratic, but bounded by DPA_MAX_SEGMENTS and needs no memory.
  for (uint32_t i = 0; i < count; ++i) {
    const dpa_segment& s = layout->segments[i];
    for (uint32_t j = i + 1; j < count; ++j) {
      const dpa_segment& t = layout->segments[j];
      if (s.offset < t.offset + t.length && t.offset < s.offset + s.length) { return DPA_ERR_BAD_LAYOUT; }
    }
  }
  return DPA_OK;
}

}  // extern "C"
