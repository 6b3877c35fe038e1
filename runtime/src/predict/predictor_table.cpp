#include "predictors.hpp"

namespace dpa::detail {
namespace {

float gbdt(const dpa_model& m, const float* x, float*) {
  return gbdt_score(static_cast<const dpa_gbdt_section*>(m.predictor_section), x);
}
float sparse_gbdt(const dpa_model& m, const float* x, float* work) {
  return sparse_gbdt_score(static_cast<const dpa_sparse_gbdt_section*>(m.predictor_section), x, work);
}
float linear(const dpa_model& m, const float* x, float*) {
  return linear_score(static_cast<const dpa_linear_section*>(m.predictor_section), x);
}
float mlp(const dpa_model& m, const float* x, float* work) {
  return mlp_score(static_cast<const dpa_mlp_section*>(m.predictor_section), x, work, m.work_floats / 2);
}

constexpr PredictorKind kPredictors[] = {
    {DPA_SECTION_GBDT, "gbdt", verify_gbdt, gbdt},
    {DPA_SECTION_LINEAR, "linear", verify_linear, linear},
    {DPA_SECTION_MLP, "mlp", verify_mlp, mlp},
    {DPA_SECTION_SPARSE_GBDT, "sparse-gbdt", verify_sparse_gbdt, sparse_gbdt},
};

}  // namespace

const PredictorKind* find_predictor(std::uint32_t section_type) {
  for (const PredictorKind& p : kPredictors) {
    if (p.section_type == section_type) return &p;
  }
  return nullptr;
}

}  // namespace dpa::detail

extern "C" const char* dpa_predictor_name(uint32_t section_type) {
  const auto* p = dpa::detail::find_predictor(section_type);
  return p ? p->name : nullptr;
}
