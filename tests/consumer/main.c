/* A plain C program using the installed runtime through find_package(dpa). */
#include <dpa/dpa.h>
#include <stdio.h>

int main(void) {
  static float weights[DPA_ZOO_TOTAL_LENGTH];
  static unsigned char scratch[4096];
  float features[56];
  for (unsigned i = 0; i < DPA_ZOO_TOTAL_LENGTH; ++i) weights[i] = (float)(i % 97) / 97.0f - 0.5f;
  if (dpa_stats_scratch_size(DPA_STATS_PAPER) > sizeof scratch) return 2;
  dpa_status s = dpa_stats_compute(dpa_zoo_layout(), DPA_STATS_PAPER, weights, DPA_ZOO_TOTAL_LENGTH, features, 56,
                                   scratch, sizeof scratch);
  if (s != DPA_OK) {
    printf("error: %s\n", dpa_status_string(s));
    return 1;
  }
  printf("q50 of the first kernel: %g\n", features[7 + 2]);
  return 0;
}
