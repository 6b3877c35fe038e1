// Model bytes from outside: load must accept or reject without fault, and a loaded model must
// predict without fault. Each input is tried as it is and with its checksum recomputed, so the
// fuzzer reaches the structural checks behind the CRC.
#include <cstdint>
#include <cstring>
#include <vector>

#include "dpa/dpa.h"
#include "dpa/model_format.h"

namespace {

void load_and_predict(const std::vector<std::uint64_t>& storage, std::size_t size) {
  dpa_model m;
  if (dpa_model_load(storage.data(), size, &m) != DPA_OK) return;
  static unsigned char scratch[1 << 20];
  static float weights[1 << 14];  // longer weight vectors only slow the fuzzer down
  if (dpa_model_scratch_size(&m) > sizeof scratch || m.layout.total_length > (1u << 14)) return;
  for (unsigned i = 0; i < m.layout.total_length; ++i) weights[i] = 0.01f * static_cast<float>(i % 97) - 0.3f;
  // Context values: 1 is a valid number, log argument and categorical code for every kind.
  static float context[DPA_MODEL_MAX_CONTEXT];
  for (float& c : context) c = 1.0f;
  const dpa_inputs in{weights, m.layout.total_length, context, m.num_context};
  float p;
  dpa_model_predict_inputs(&m, &in, &p, scratch, sizeof scratch);
  dpa_model_predict(&m, weights, m.layout.total_length, &p, scratch, sizeof scratch);
  std::vector<float> features(m.num_features);
  dpa_model_features_inputs(&m, &in, features.data(), features.size(), scratch, sizeof scratch);
  // Every name the model holds resolves back to its index and codes.
  for (std::uint32_t i = 0; i < m.num_context; ++i) {
    dpa_context_info info;
    if (dpa_model_context_info(&m, i, &info) != DPA_OK ||
        dpa_model_context_index(&m, info.name) != static_cast<std::int32_t>(i)) {
      __builtin_trap();
    }
    for (std::uint32_t k = 0; k < info.num_categories; ++k) {
      float code = -1;
      if (dpa_model_context_code(&m, i, dpa_model_context_category(&m, i, k), &code) != DPA_OK ||
          code != static_cast<float>(k)) {
        __builtin_trap();
      }
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::vector<std::uint64_t> storage(size / 8 + 2);  // aligned copy, exact size
  std::memcpy(storage.data(), data, size);
  load_and_predict(storage, size);
  if (size >= 32) {
    auto* bytes = reinterpret_cast<unsigned char*>(storage.data());
    std::uint32_t total;
    std::memcpy(&total, bytes + 16, 4);
    const std::size_t covered = total >= 12 && total <= size ? total : size;
    const std::uint32_t crc = dpa_crc32(bytes + 12, covered - 12);
    std::memcpy(bytes + 8, &crc, 4);
    load_and_predict(storage, size);
  }
  return 0;
}
