/* Test firmware: the model exported by `dpa export-c` predicts a few zoo networks from their
 * weights and context values; every prediction must equal the host's bit for bit. Output through
 * semihosting; exit code 0 = pass. */
#include <dpa/dpa.h>
#include <stdint.h>
#include <string.h>

#include "model.h"
#include "vectors.h"

void firmware_print(const char* text);

static void print_hex(const char* label, uint32_t value) {
  char text[32];
  const char* digits = "0123456789abcdef";
  size_t n = strlen(label);
  memcpy(text, label, n);
  text[n++] = '0';
  text[n++] = 'x';
  for (int shift = 28; shift >= 0; shift -= 4) text[n++] = digits[(value >> shift) & 15u];
  text[n] = 0;
  firmware_print(text);
}

static float weights[VECTOR_LENGTH];
static float context[VECTOR_CONTEXT_SLOTS];
static unsigned char scratch[4096];

int main(void) {
  dpa_model model;
  const dpa_status loaded = dpa_model_load(dpa_firmware_model, dpa_firmware_model_size, &model);
  if (loaded != DPA_OK) {
    firmware_print("model failed to load: ");
    firmware_print(dpa_status_string(loaded));
    firmware_print("\n");
    return 2;
  }
  if (dpa_model_scratch_size(&model) > sizeof scratch) return 3;
  int failures = 0;
  for (int i = 0; i < VECTOR_COUNT; ++i) {
    memcpy(weights, vector_weights[i], sizeof weights);
    memcpy(context, vector_context[i], sizeof context);
    const dpa_inputs inputs = {weights, VECTOR_LENGTH, context, VECTOR_CONTEXT};
    float predicted;
    if (dpa_model_predict_inputs(&model, &inputs, &predicted, scratch, sizeof scratch) != DPA_OK) return 4;
    uint32_t bits;
    memcpy(&bits, &predicted, 4);
    print_hex("device ", bits);
    print_hex("  host ", vector_expected[i][0]);
    firmware_print(bits == vector_expected[i][0] ? "  ok\n" : "  MISMATCH\n");
    failures += bits != vector_expected[i][0];
  }
  firmware_print(failures == 0 ? "all predictions match the host\n" : "predictions differ\n");
  return failures == 0 ? 0 : 1;
}
