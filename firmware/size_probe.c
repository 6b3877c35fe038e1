/* Size probes: the same firmware with more or less of the runtime linked in.
 * PROBE 0: no runtime. 1: statistics only. 2: statistics + verifier + predictors (model path). */
#include <dpa/dpa.h>
#include <stdint.h>

#include "model.h"

void firmware_print(const char* text);

static float weights[DPA_ZOO_TOTAL_LENGTH];
static unsigned char scratch[4096];
volatile float sink;

int main(void) {
  for (int i = 0; i < (int)DPA_ZOO_TOTAL_LENGTH; ++i) weights[i] = (float)(i % 13) * 0.01f;
#if PROBE == 0
  unsigned char* volatile keep = scratch; /* the caller's buffers exist in every probe */
  keep[5] = (unsigned char)weights[7];
  sink = weights[7] + keep[5];
#elif PROBE == 1
  float features[56];
  dpa_stats_compute(dpa_zoo_layout(), DPA_STATS_PAPER, weights, DPA_ZOO_TOTAL_LENGTH, features, 56, scratch,
                    sizeof scratch);
  sink = features[3];
#else
  dpa_model model;
  float p = 0;
  if (dpa_model_load(dpa_firmware_model, dpa_firmware_model_size, &model) == DPA_OK) {
    dpa_model_predict(&model, weights, DPA_ZOO_TOTAL_LENGTH, &p, scratch, sizeof scratch);
  }
  sink = p;
#endif
  return 0;
}
