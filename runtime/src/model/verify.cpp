// The model verifier: every check happens here, once, before any prediction. After it succeeds,
// the predictors read the bytes through the pointers it stored without checking anything.
#include <cmath>
#include <cstdint>
#include <cstring>

#include "dpa/dpa.h"
#include "dpa/model_format.h"
#include "model/region.hpp"
#include "model/verify_inputs.hpp"
#include "predict/predictors.hpp"

namespace {

using namespace dpa::detail;

static_assert(sizeof(dpa_model_header) == 32, "format: header is 32 bytes");
static_assert(sizeof(dpa_section_entry) == 16, "format: section entry is 16 bytes");
static_assert(sizeof(dpa_output_section) == 16, "format");
static_assert(sizeof(dpa_gbdt_section) == 32, "format");
static_assert(sizeof(dpa_tree_node) == 8, "format");
static_assert(sizeof(dpa_sparse_gbdt_section) == 32, "format");
static_assert(sizeof(dpa_split_feature) == 8, "format");
static_assert(sizeof(dpa_linear_section) == 32, "format");
static_assert(sizeof(dpa_mlp_section) == 16, "format");
static_assert(sizeof(dpa_mlp_layer) == 16, "format");
static_assert(sizeof(dpa_metadata_section) == 48, "format");

dpa_status verify_output(const Region& r, dpa_model* m) {
  if (!r.fits(0, 1, sizeof(dpa_output_section))) return DPA_ERR_MODEL_OUTPUT;
  const auto* o = r.at<dpa_output_section>(0);
  if (dpa_output_transform_name(o->transform) == nullptr || o->target > DPA_TARGET_OTHER) return DPA_ERR_MODEL_OUTPUT;
  m->output_transform = o->transform;
  m->target = o->target;
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

// The sections each format version knows besides the predictors (predictor_table.cpp): which
// slot of the file's sections they fill, in verification order, and their verifier. A version's
// unknown types are skipped.
enum Slot { kWhatItReads, kOutput, kMetadata, kPredictor, kSlots };
struct SectionKind {
  std::uint32_t type;
  Slot slot;
  std::uint16_t first_major, last_major;
  dpa_status (*verify)(const Region& section, dpa_model* m);
};
constexpr SectionKind kSections[] = {
    {DPA_SECTION_FEATURES, kWhatItReads, 1, 1, verify_features_v1},
    {DPA_SECTION_INPUTS, kWhatItReads, 2, 2, verify_inputs_v2},
    {DPA_SECTION_OUTPUT, kOutput, 1, 2, verify_output},
    {DPA_SECTION_METADATA, kMetadata, 1, 2, verify_metadata},
};

// The kind of a section type in a version, or nullptr for a type that version skips.
const SectionKind* kind_of(std::uint32_t type, std::uint16_t major) {
  for (const SectionKind& k : kSections) {
    if (k.type == type) return major >= k.first_major && major <= k.last_major ? &k : nullptr;
  }
  return nullptr;
}

// A format 2 file carrying format 1's FEATURES is malformed, not a later minor: refuse it.
bool retired_in(std::uint32_t type, std::uint16_t major) {
  for (const SectionKind& k : kSections) {
    if (k.type == type) return major > k.last_major;
  }
  return false;
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
  if (header.version_major < DPA_MODEL_VERSION_MAJOR_MIN || header.version_major > DPA_MODEL_VERSION_MAJOR) {
    return DPA_ERR_MODEL_VERSION;
  }
  if (header.total_bytes < sizeof header || header.total_bytes > size) return DPA_ERR_MODEL_TRUNCATED;
  if (dpa_crc32(data + 12, header.total_bytes - 12) != header.checksum) return DPA_ERR_MODEL_CHECKSUM;

  const Region file{data, header.total_bytes};
  const std::uint64_t table = header.section_table_offset;
  if (header.section_count == 0 || header.section_count > DPA_MODEL_MAX_SECTIONS || table % DPA_MODEL_ALIGNMENT != 0 ||
      table < sizeof header || !file.fits(table, header.section_count, sizeof(dpa_section_entry))) {
    return DPA_ERR_MODEL_SECTIONS;
  }
  const auto* entries = file.at<dpa_section_entry>(table);
  const std::uint64_t table_bytes = header.section_count * sizeof(dpa_section_entry);
  const dpa_section_entry* found[kSlots] = {};
  const SectionKind* kinds[kSlots] = {};
  for (std::uint32_t i = 0; i < header.section_count; ++i) {
    const dpa_section_entry& e = entries[i];
    if (e.offset % DPA_MODEL_ALIGNMENT != 0 || e.offset < sizeof header || !file.fits(e.offset, e.size, 1) ||
        ranges_overlap(e.offset, e.size, table, table_bytes)) {
      return DPA_ERR_MODEL_SECTIONS;
    }
    for (std::uint32_t j = 0; j < i; ++j) {
      if (e.size != 0 && entries[j].size != 0 && ranges_overlap(e.offset, e.size, entries[j].offset, entries[j].size)) {
        return DPA_ERR_MODEL_SECTIONS;
      }
    }
    if (retired_in(e.type, header.version_major)) return DPA_ERR_MODEL_MISSING;
    const SectionKind* kind = kind_of(e.type, header.version_major);
    const Slot slot = kind != nullptr ? kind->slot : find_predictor(e.type) != nullptr ? kPredictor : kSlots;
    if (slot == kSlots) continue;  // a later minor version's section: skip it
    if (found[slot] != nullptr) return DPA_ERR_MODEL_MISSING;
    found[slot] = &e;
    kinds[slot] = kind;
  }
  if (found[kWhatItReads] == nullptr || found[kOutput] == nullptr || found[kPredictor] == nullptr) {
    return DPA_ERR_MODEL_MISSING;
  }

  dpa_model m;
  std::memset(&m, 0, sizeof m);
  m.bytes = data;
  m.total_bytes = header.total_bytes;
  m.version_major = header.version_major;
  m.version_minor = header.version_minor;
  auto region = [&](const dpa_section_entry* e) { return Region{data + e->offset, e->size}; };
  // What the model reads first: the predictor checks its sizes against the feature count.
  for (int slot = kWhatItReads; slot < kPredictor; ++slot) {
    if (found[slot] == nullptr) continue;
    const dpa_status s = kinds[slot]->verify(region(found[slot]), &m);
    if (s != DPA_OK) return s;
  }
  const Region predictor = region(found[kPredictor]);
  m.predictor = found[kPredictor]->type;
  m.predictor_section = predictor.data;
  const dpa_status s = find_predictor(m.predictor)->verify(predictor, &m);
  if (s != DPA_OK) return s;
  *model = m;
  return DPA_OK;
}
