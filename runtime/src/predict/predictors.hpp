// The predictor kinds: one table that the verifier and the prediction path both iterate. Adding a
// predictor is one entry here plus its verify and score functions.
#pragma once

#include <cstdint>

#include "dpa/dpa.h"
#include "dpa/model_format.h"
#include "model/region.hpp"

namespace dpa::detail {

struct PredictorKind {
  std::uint32_t section_type;  // dpa_section_type
  const char* name;
  // Checks the section against the model's feature count; fills work_floats when it needs scratch.
  dpa_status (*verify)(const Region& section, dpa_model* model);
  // Raw score of verified features; work: the model's work_floats floats.
  float (*score)(const dpa_model& model, const float* features, float* work);
};

// The entry for a section type, or nullptr when it is not a predictor.
const PredictorKind* find_predictor(std::uint32_t section_type);

dpa_status verify_gbdt(const Region& r, dpa_model* m);
dpa_status verify_linear(const Region& r, dpa_model* m);
dpa_status verify_mlp(const Region& r, dpa_model* m);
dpa_status verify_sparse_gbdt(const Region& r, dpa_model* m);

float gbdt_score(const dpa_gbdt_section* section, const float* features);
// work: one byte per threshold (the model's work_floats).
float sparse_gbdt_score(const dpa_sparse_gbdt_section* section, const float* features, float* work);
float linear_score(const dpa_linear_section* section, const float* features);
// work: 2 * max_width floats (max_width: the widest layer; the verifier sets work_floats to twice it).
float mlp_score(const dpa_mlp_section* section, const float* features, float* work, std::uint32_t max_width);

}  // namespace dpa::detail
