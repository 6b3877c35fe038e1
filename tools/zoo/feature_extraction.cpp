#include "zoo/feature_extraction.hpp"

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "common/cli_args.hpp"
#include "dpa/dpa.hpp"

namespace dpa::tools {

FeatureRun extract_features(const NpyMatrix& weights, const dpa_layout& layout, dpa_stats_set set,
                            unsigned threads,
                            const std::function<void(std::uint64_t, std::uint64_t, const float*)>& sink,
                            const std::function<void(std::uint64_t)>& progress) {
  const auto start = std::chrono::steady_clock::now();
  const std::size_t per_row = feature_count(layout, set);
  if (per_row == 0) throw ToolError("unknown statistics set");
  if (dpa_layout_check(&layout) != DPA_OK) throw ToolError("invalid layout");
  threads = threads == 0 ? 1 : threads;
  constexpr std::uint64_t kBlockRows = 2048;  // bounds memory: block features + rows in flight
  const std::uint64_t rows = weights.rows(), cols = weights.cols();
  std::vector<float> block(kBlockRows * per_row);
  std::atomic<std::uint64_t> non_finite{0};
  FeatureRun run;
  for (std::uint64_t first = 0; first < rows; first += kBlockRows) {
    const std::uint64_t count = std::min(kBlockRows, rows - first);
    weights.advise(first, first + count, true);
    auto work = [&](unsigned t) {
      dpa::FeatureExtractor fx(layout, set);
      std::vector<float> converted(cols);
      std::uint64_t bad = 0;
      for (std::uint64_t r = t; r < count; r += threads) {
        const float* w = weights.row(first + r, converted.data());
        const dpa_status s = fx.compute(w, cols, block.data() + r * per_row, per_row);
        if (s == DPA_ERR_NON_FINITE) ++bad;
        else if (s != DPA_OK) throw ToolError(dpa_status_string(s));
      }
      non_finite += bad;
    };
    if (threads == 1) {
      work(0);
    } else {
      std::vector<std::thread> pool;
      std::vector<std::exception_ptr> errors(threads);
      for (unsigned t = 0; t < threads; ++t) {
        pool.emplace_back([&, t] {
          try {
            work(t);
          } catch (...) {
            errors[t] = std::current_exception();
          }
        });
      }
      for (auto& th : pool) th.join();
      for (auto& e : errors) if (e) std::rethrow_exception(e);
    }
    // Done with these rows: let the kernel drop their pages from our resident set.
    weights.advise(first, first + count, false);
    sink(first, count, block.data());
    if (progress) progress(first + count);
  }
  run.rows = rows;
  run.non_finite_rows = non_finite.load();
  run.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return run;
}

}  // namespace dpa::tools
