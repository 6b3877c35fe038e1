#include "train/row_predictions.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <mutex>
#include <numeric>

#include "common/parallel.hpp"
#include "common/progress.hpp"

namespace dpa::tools {

RowPredictions predict_rows(const dpa_model& model, const NpyMatrix& weights, const ContextTable& context,
                            const std::vector<std::uint64_t>* rows, unsigned threads, bool show_progress) {
  const bool reads_weights = model.feature_kind != DPA_INPUT_CONTEXT;
  std::vector<std::uint64_t> every;
  if (!rows) {
    every.resize(weights.rows());
    std::iota(every.begin(), every.end(), std::uint64_t{0});
    rows = &every;
  }
  const std::size_t n = rows->size();
  RowPredictions out;
  out.values.assign(n, NAN);
  out.statuses.assign(n, DPA_OK);
  ThreadPool pool(std::max(1u, threads));
  constexpr std::size_t kChunk = 256;
  const std::size_t chunks = (n + kChunk - 1) / kChunk;
  std::atomic<std::size_t> chunks_done{0};
  Progress progress("predicting", n, show_progress);
  std::mutex progress_lock;
  pool.parallel_for(chunks, [&](std::size_t c) {
    std::vector<unsigned char> scratch(dpa_model_scratch_size(&model) + 64);
    std::vector<float> converted(weights.cols());
    const std::size_t first = c * kChunk, count = std::min(kChunk, n - first);
    const std::uint64_t* chunk = rows->data() + first;
    const bool scattered = NpyMatrix::scattered(chunk, count);
    if (reads_weights && !scattered) weights.advise_rows(chunk, count, true);
    for (std::size_t i = 0; i < count; ++i) {
      const float* w = nullptr;
      if (reads_weights && scattered) {
        weights.read_row(chunk[i], converted.data());
        w = converted.data();
      } else if (reads_weights) {
        w = weights.row(chunk[i], converted.data());
      }
      const dpa_inputs in = context.inputs(w, reads_weights ? weights.cols() : 0, chunk[i]);
      out.statuses[first + i] =
          dpa_model_predict_inputs(&model, &in, &out.values[first + i], scratch.data(), scratch.size());
    }
    // Done with these rows: their pages leave our resident set.
    if (reads_weights && !scattered) weights.advise_rows(chunk, count, false);
    const std::size_t done = ++chunks_done;
    const std::lock_guard<std::mutex> hold(progress_lock);
    progress.update(std::min(n, done * kChunk));
  });
  return out;
}

}  // namespace dpa::tools
