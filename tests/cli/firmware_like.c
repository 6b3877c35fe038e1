/* Uses a model exported by `dpa export-c` the way firmware would: no file, no heap. Writes the
 * weight vector it predicts as an npy file, and the context values it passes (when the model
 * reads any) as a one-row metrics CSV, so the test can ask `dpa predict` for the same row.
 * Usage: firmware_like ROW.npy [ROW_METRICS.csv] */
#include <dpa/dpa.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "exported_model.h"

int main(int argc, char** argv) {
  static float weights[DPA_ZOO_TOTAL_LENGTH];
  static float context[256];
  static unsigned char scratch[8192];
  dpa_model model;
  float prediction;
  unsigned i;
  for (i = 0; i < DPA_ZOO_TOTAL_LENGTH; ++i) weights[i] = 0.2f * sinf(0.37f * (float)i);
  if (argc < 2) return 2;
  if (dpa_model_load(exported_model, exported_model_size, &model) != DPA_OK) return 3;
  if (dpa_model_scratch_size(&model) > sizeof scratch) return 4;
  if (model.num_context > 0) { /* numbers 0.5, 0.6, ...; categories: each value's first one */
    FILE* f = argc > 2 ? fopen(argv[2], "w") : NULL;
    dpa_context_info info;
    if (!f || model.num_context > 256) return 7;
    for (i = 0; i < model.num_context; ++i) {
      if (dpa_model_context_info(&model, i, &info) != DPA_OK) return 8;
      fprintf(f, "%s%s", i ? "," : "", info.name);
    }
    fprintf(f, "\n");
    for (i = 0; i < model.num_context; ++i) {
      dpa_model_context_info(&model, i, &info);
      if (info.kind == DPA_CONTEXT_CATEGORICAL) {
        const char* first = dpa_model_context_category(&model, i, 0);
        if (dpa_model_context_code(&model, i, first, &context[i]) != DPA_OK) return 9;
        fprintf(f, "%s%s", i ? "," : "", first);
      } else {
        context[i] = 0.5f + 0.1f * (float)i;
        fprintf(f, "%s%.9g", i ? "," : "", (double)context[i]);
      }
    }
    fprintf(f, "\n");
    fclose(f);
  }
  {
    const dpa_inputs in = {weights, DPA_ZOO_TOTAL_LENGTH, context, model.num_context};
    if (dpa_model_predict_inputs(&model, &in, &prediction, scratch, sizeof scratch) != DPA_OK) return 5;
  }
  {
    FILE* f = fopen(argv[1], "wb");
    char header[128];
    const char* dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 4970), }";
    size_t len = strlen(dict);
    memset(header, ' ', sizeof header);
    memcpy(header, "\x93NUMPY\x01\x00", 8);
    header[8] = (char)(128 - 10);
    header[9] = 0;
    memcpy(header + 10, dict, len);
    header[127] = '\n';
    if (!f || fwrite(header, 1, 128, f) != 128 || fwrite(weights, 4, DPA_ZOO_TOTAL_LENGTH, f) != DPA_ZOO_TOTAL_LENGTH)
      return 6;
    fclose(f);
  }
  printf("%.9g\n", (double)prediction);
  return 0;
}
