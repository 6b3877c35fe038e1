// Other libraries' model files from outside: the XGBoost JSON and LightGBM text importers, then
// the writer and the verifier on whatever they accept.
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "common/errors.hpp"
#include "model/importers.hpp"
#include "model/model_writer.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  static const dpa::tools::FeatureSpec features = dpa::tools::FeatureSpec::zoo(DPA_STATS_PAPER);
  for (int library = 0; library < 2; ++library) {
    try {
      const dpa::tools::ImportResult r =
          library == 0 ? dpa::tools::import_xgboost(text, features) : dpa::tools::import_lightgbm_text(text, features);
      const std::vector<unsigned char> bytes = dpa::tools::write_model(r.spec);
      std::vector<std::uint64_t> aligned(bytes.size() / 8 + 1);
      std::memcpy(aligned.data(), bytes.data(), bytes.size());
      dpa_model m;
      if (dpa_model_load(aligned.data(), bytes.size(), &m) != DPA_OK) __builtin_trap();  // writer output must verify
    } catch (const dpa::tools::ToolError&) {}
  }
  return 0;
}
