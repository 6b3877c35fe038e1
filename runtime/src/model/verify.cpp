// The model verifier: every check happens here, once, before any prediction. After it succeeds,
// the predictors read the bytes through the pointers it stored without checking anything.
#include <cmath>
#include <cstdint>
#include <cstring>

#include "dpa/dpa.h"
#include "dpa/model_format.h"

namespace {

static_assert(sizeof(dpa_model_header) == 32, "format: header is 32 bytes");
static_assert(sizeof(dpa_section_entry) == 16, "format: section entry is 16 bytes");
static_assert(sizeof(dpa_features_section) == 32, "format");
static_assert(sizeof(dpa_segment) == 16, "format");
static_assert(sizeof(dpa_output_section) == 16, "format");
static_assert(sizeof(dpa_gbdt_section) == 32, "format");
static_assert(sizeof(dpa_tree_node) == 8, "format");
static_assert(sizeof(dpa_linear_section) == 32, "format");
static_assert(sizeof(dpa_mlp_section) == 16, "format");
static_assert(sizeof(dpa_mlp_layer) == 16, "format");
static_assert(sizeof(dpa_metadata_section) == 48, "format");

// A section's bytes: every read below goes through `fits` first.
struct Region {
  const unsigned char* data;
  std::uint32_t size;

  // Does [offset, offset + count * item) lie inside? Computed in 64 bits: no overflow.
  bool fits(std::uint64_t offset, std::uint64_t count, std::uint64_t item) const {
    return offset <= size && count * item <= size - offset;
  }
  template <class T>
  const T* at(std::uint64_t offset) const {
    return reinterpret_cast<const T*>(data + offset);
  }
};

bool all_finite(const float* values, std::uint64_t count) {
  for (std::uint64_t i = 0; i < count; ++i) {
    if (!std::isfinite(values[i])) return false;
  }
  return true;
}

dpa_status verify_features(const Region& r, dpa_model* m) {
  if (!r.fits(0, 1, sizeof(dpa_features_section))) return DPA_ERR_MODEL_FEATURES;
  const auto* f = r.at<dpa_features_section>(0);
  if (f->num_segments == 0 || f->num_segments > DPA_MAX_SEGMENTS ||
      !r.fits(sizeof(dpa_features_section), f->num_segments, sizeof(dpa_segment))) {
    return DPA_ERR_MODEL_FEATURES;
  }
  m->layout.segments = r.at<dpa_segment>(sizeof(dpa_features_section));
  m->layout.num_segments = f->num_segments;
  m->layout.total_length = f->total_length;
  if (dpa_layout_check(&m->layout) != DPA_OK) return DPA_ERR_MODEL_FEATURES;
  m->feature_kind = f->kind;
  if (f->kind == DPA_FEATURES_STATISTICS) {
    // Check the raw number before it becomes an enum: an out-of-range enum value is undefined.
    if (f->stats_set != DPA_STATS_PAPER && f->stats_set != DPA_STATS_EXTENDED) {
      return DPA_ERR_MODEL_FEATURES;
    }
    const auto set = static_cast<dpa_stats_set>(f->stats_set);
    const std::uint32_t per = dpa_stats_per_segment(set);
    // per == 0: a set this build leaves out (DPA_EXTENDED_STATS=OFF) cannot load.
    if (per == 0 || f->num_features != static_cast<std::uint64_t>(per) * f->num_segments) {
      return DPA_ERR_MODEL_FEATURES;
    }
    m->stats_set = set;
  } else if (f->kind == DPA_FEATURES_RAW_WEIGHTS) {
    if (f->stats_set != 0 || f->num_features != f->total_length) return DPA_ERR_MODEL_FEATURES;
    m->stats_set = static_cast<dpa_stats_set>(0);
  } else {
    return DPA_ERR_MODEL_FEATURES;
  }
  if (f->num_features == 0) return DPA_ERR_MODEL_FEATURES;
  m->num_features = f->num_features;
  return DPA_OK;
}

dpa_status verify_output(const Region& r, dpa_model* m) {
  if (!r.fits(0, 1, sizeof(dpa_output_section))) return DPA_ERR_MODEL_OUTPUT;
  const auto* o = r.at<dpa_output_section>(0);
  if (o->transform > DPA_OUTPUT_CLAMP01 || o->target > DPA_TARGET_OTHER) return DPA_ERR_MODEL_OUTPUT;
  m->output_transform = o->transform;
  m->target = o->target;
  return DPA_OK;
}

dpa_status verify_gbdt(const Region& r, const dpa_model& m) {
  if (!r.fits(0, 1, sizeof(dpa_gbdt_section))) return DPA_ERR_MODEL_TREES;
  const auto* g = r.at<dpa_gbdt_section>(0);
  if (g->num_trees == 0 || g->num_trees > DPA_MODEL_MAX_TREES || g->depth == 0 ||
      g->depth > DPA_MODEL_MAX_TREE_DEPTH || g->num_features != m.num_features) {
    return DPA_ERR_MODEL_TREES;
  }
  const std::uint64_t leaves_per_tree = 1ull << g->depth;
  const std::uint64_t nodes = g->num_trees * (leaves_per_tree - 1);
  const std::uint64_t leaves = g->num_trees * leaves_per_tree;
  const std::uint64_t leaves_offset = sizeof(dpa_gbdt_section) + nodes * sizeof(dpa_tree_node);
  if (!r.fits(sizeof(dpa_gbdt_section), nodes, sizeof(dpa_tree_node)) ||
      !r.fits(leaves_offset, leaves, sizeof(float))) {
    return DPA_ERR_MODEL_TREES;
  }
  const auto* node = r.at<dpa_tree_node>(sizeof(dpa_gbdt_section));
  for (std::uint64_t i = 0; i < nodes; ++i) {
    if (node[i].feature >= m.num_features) return DPA_ERR_MODEL_TREES;
    if (!std::isfinite(node[i].threshold)) return DPA_ERR_MODEL_NON_FINITE;
  }
  if (!std::isfinite(g->base_score) || !all_finite(r.at<float>(leaves_offset), leaves)) {
    return DPA_ERR_MODEL_NON_FINITE;
  }
  return DPA_OK;
}

dpa_status verify_linear(const Region& r, const dpa_model& m) {
  if (!r.fits(0, 1, sizeof(dpa_linear_section))) return DPA_ERR_MODEL_LINEAR;
  const auto* l = r.at<dpa_linear_section>(0);
  if (l->num_features != m.num_features ||
      !r.fits(sizeof(dpa_linear_section), 3ull * l->num_features, sizeof(float))) {
    return DPA_ERR_MODEL_LINEAR;
  }
  if (!std::isfinite(l->intercept) ||
      !all_finite(r.at<float>(sizeof(dpa_linear_section)), 3ull * l->num_features)) {
    return DPA_ERR_MODEL_NON_FINITE;
  }
  return DPA_OK;
}

dpa_status verify_mlp(const Region& r, dpa_model* m) {
  if (!r.fits(0, 1, sizeof(dpa_mlp_section))) return DPA_ERR_MODEL_MLP;
  const auto* h = r.at<dpa_mlp_section>(0);
  if (h->num_layers == 0 || h->num_layers > DPA_MODEL_MAX_MLP_LAYERS ||
      h->num_inputs != m->num_features) {
    return DPA_ERR_MODEL_MLP;
  }
  std::uint64_t offset = sizeof(dpa_mlp_section);
  if (!r.fits(offset, 2ull * h->num_inputs, sizeof(float))) return DPA_ERR_MODEL_MLP;
  if (!all_finite(r.at<float>(offset), 2ull * h->num_inputs)) return DPA_ERR_MODEL_NON_FINITE;
  offset += 2ull * h->num_inputs * sizeof(float);
  std::uint32_t inputs = h->num_inputs, widest = 0;
  for (std::uint32_t layer = 0; layer < h->num_layers; ++layer) {
    if (!r.fits(offset, 1, sizeof(dpa_mlp_layer))) return DPA_ERR_MODEL_MLP;
    const auto* l = r.at<dpa_mlp_layer>(offset);
    const bool last = layer + 1 == h->num_layers;
    if (l->inputs != inputs || l->outputs == 0 || l->outputs > DPA_MODEL_MAX_MLP_WIDTH ||
        (last && l->outputs != 1) || l->activation > DPA_ACTIVATION_TANH) {
      return DPA_ERR_MODEL_MLP;
    }
    offset += sizeof(dpa_mlp_layer);
    const std::uint64_t params = static_cast<std::uint64_t>(l->outputs) * (l->inputs + 1ull);
    if (!r.fits(offset, params, sizeof(float))) return DPA_ERR_MODEL_MLP;
    if (!all_finite(r.at<float>(offset), params)) return DPA_ERR_MODEL_NON_FINITE;
    offset += params * sizeof(float);
    inputs = l->outputs;
    widest = l->outputs > widest ? l->outputs : widest;
  }
  m->max_width = widest;
  return DPA_OK;
}

dpa_status verify_metadata(const Region& r, dpa_model* m) {
  if (!r.fits(0, 1, sizeof(dpa_metadata_section))) return DPA_ERR_MODEL_METADATA;
  const auto* md = r.at<dpa_metadata_section>(0);
  if (!r.fits(sizeof(dpa_metadata_section), md->text_bytes, 1)) return DPA_ERR_MODEL_METADATA;
  m->metadata = md;
  m->metadata_text = r.at<char>(sizeof(dpa_metadata_section));
  m->metadata_text_bytes = md->text_bytes;
  return DPA_OK;
}

bool ranges_overlap(std::uint64_t a, std::uint64_t a_size, std::uint64_t b, std::uint64_t b_size) {
  return a < b + b_size && b < a + a_size;
}

}  // namespace

extern "C" dpa_status dpa_model_load(const void* bytes, size_t size, dpa_model* model) {
  if (bytes == nullptr || model == nullptr) return DPA_ERR_NULL_ARGUMENT;
  std::memset(model, 0, sizeof *model);
  if (reinterpret_cast<std::uintptr_t>(bytes) % 4 != 0) return DPA_ERR_MODEL_ALIGNMENT;
  const auto* data = static_cast<const unsigned char*>(bytes);
  if (size < sizeof(dpa_model_header)) return DPA_ERR_MODEL_TRUNCATED;
  dpa_model_header header;
  std::memcpy(&header, data, sizeof header);
  if (std::memcmp(header.magic, DPA_MODEL_MAGIC, 8) != 0) return DPA_ERR_MODEL_MAGIC;
  if (header.version_major != DPA_MODEL_VERSION_MAJOR) return DPA_ERR_MODEL_VERSION;
  if (header.total_bytes < sizeof header || header.total_bytes > size) return DPA_ERR_MODEL_TRUNCATED;
  if (dpa_crc32(data + 12, header.total_bytes - 12) != header.checksum) return DPA_ERR_MODEL_CHECKSUM;

  const Region file{data, header.total_bytes};
  const std::uint64_t table = header.section_table_offset;
  if (header.section_count == 0 || header.section_count > DPA_MODEL_MAX_SECTIONS ||
      table % DPA_MODEL_ALIGNMENT != 0 || table < sizeof header ||
      !file.fits(table, header.section_count, sizeof(dpa_section_entry))) {
    return DPA_ERR_MODEL_SECTIONS;
  }
  const auto* entries = file.at<dpa_section_entry>(table);
  const std::uint64_t table_bytes = header.section_count * sizeof(dpa_section_entry);
  const dpa_section_entry* found[4] = {nullptr, nullptr, nullptr, nullptr};  // features, output, metadata, predictor
  for (std::uint32_t i = 0; i < header.section_count; ++i) {
    const dpa_section_entry& e = entries[i];
    if (e.offset % DPA_MODEL_ALIGNMENT != 0 || e.offset < sizeof header || !file.fits(e.offset, e.size, 1) ||
        ranges_overlap(e.offset, e.size, table, table_bytes)) {
      return DPA_ERR_MODEL_SECTIONS;
    }
    for (std::uint32_t j = 0; j < i; ++j) {
      if (e.size != 0 && entries[j].size != 0 &&
          ranges_overlap(e.offset, e.size, entries[j].offset, entries[j].size)) {
        return DPA_ERR_MODEL_SECTIONS;
      }
    }
    int slot = -1;
    switch (e.type) {
      case DPA_SECTION_FEATURES: slot = 0; break;
      case DPA_SECTION_OUTPUT: slot = 1; break;
      case DPA_SECTION_METADATA: slot = 2; break;
      case DPA_SECTION_GBDT:
      case DPA_SECTION_LINEAR:
      case DPA_SECTION_MLP: slot = 3; break;
      default: continue;  // a later minor version's section: skip it
    }
    if (found[slot] != nullptr) return DPA_ERR_MODEL_MISSING;
    found[slot] = &e;
  }
  if (found[0] == nullptr || found[1] == nullptr || found[3] == nullptr) return DPA_ERR_MODEL_MISSING;

  dpa_model m;
  std::memset(&m, 0, sizeof m);
  m.bytes = data;
  m.total_bytes = header.total_bytes;
  m.version_major = header.version_major;
  m.version_minor = header.version_minor;
  auto region = [&](const dpa_section_entry* e) { return Region{data + e->offset, e->size}; };
  dpa_status s = verify_features(region(found[0]), &m);
  if (s == DPA_OK) s = verify_output(region(found[1]), &m);
  if (s == DPA_OK && found[2] != nullptr) s = verify_metadata(region(found[2]), &m);
  if (s != DPA_OK) return s;
  const Region predictor = region(found[3]);
  m.predictor = found[3]->type;
  m.predictor_section = predictor.data;
  switch (found[3]->type) {
    case DPA_SECTION_GBDT: s = verify_gbdt(predictor, m); break;
    case DPA_SECTION_LINEAR: s = verify_linear(predictor, m); break;
    default: s = verify_mlp(predictor, &m); break;
  }
  if (s != DPA_OK) return s;
  *model = m;
  return DPA_OK;
}
