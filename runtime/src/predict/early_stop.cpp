// Early stopping: a final-accuracy prediction and two rules, an absolute threshold and a gap to
// the best run seen so far. The state is plain data so a search loop (or firmware) owns it.
#include <cmath>
#include <limits>

#include "dpa/dpa.h"
#include "dpa/model_format.h"

extern "C" {

void dpa_early_stop_init(dpa_early_stop* state, float stop_below, float max_gap) {
  if (state == nullptr) return;
  state->stop_below = stop_below;
  state->max_gap = max_gap;
  state->best_predicted = -std::numeric_limits<float>::infinity();
  state->checks = 0;
  state->stops = 0;
}

dpa_status dpa_early_stop_check_inputs(const dpa_model* model, dpa_early_stop* state, const dpa_inputs* inputs,
                                       void* scratch, size_t scratch_bytes, float* predicted, dpa_decision* decision) {
  if (model == nullptr || state == nullptr || predicted == nullptr || decision == nullptr) {
    return DPA_ERR_NULL_ARGUMENT;
  }
  if (model->target != DPA_TARGET_FINAL_TEST_ACCURACY) return DPA_ERR_WRONG_TARGET;
  const dpa_status s = dpa_model_predict_inputs(model, inputs, predicted, scratch, scratch_bytes);
  if (s != DPA_OK && s != DPA_ERR_NON_FINITE) return s;  // NaN/Inf inputs: decided below, as a stop
  *decision = dpa_early_stop_decide(state, s == DPA_OK ? *predicted : NAN);
  return s;
}

dpa_decision dpa_early_stop_decide(dpa_early_stop* state, float p) {
  if (state == nullptr) return DPA_CONTINUE;  // nothing to decide with (documented in dpa.h)
  ++state->checks;
  dpa_decision d = DPA_CONTINUE;
  if (!std::isfinite(p)) {  // a diverged run never recovers
    d = DPA_STOP_BELOW_THRESHOLD;
  } else if (!std::isnan(state->stop_below) && p < state->stop_below) {
    d = DPA_STOP_BELOW_THRESHOLD;
  } else if (state->max_gap > 0 && p < state->best_predicted - state->max_gap) {
    d = DPA_STOP_FAR_BELOW_BEST;
  }
  if (std::isfinite(p) && p > state->best_predicted) state->best_predicted = p;
  state->stops += d != DPA_CONTINUE;
  return d;
}

}  // extern "C"

extern "C" dpa_status dpa_early_stop_check(const dpa_model* model, dpa_early_stop* state, const float* weights,
                                           size_t num_weights, void* scratch, size_t scratch_bytes, float* predicted,
                                           dpa_decision* decision) {
  if (weights == nullptr) return DPA_ERR_NULL_ARGUMENT;
  const dpa_inputs inputs{weights, num_weights, nullptr, 0};
  return dpa_early_stop_check_inputs(model, state, &inputs, scratch, scratch_bytes, predicted, decision);
}
