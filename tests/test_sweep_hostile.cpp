// The zoo writer and the live sweep under threads and odd inputs (docs/hostile-inputs.md): one
// writer handle shared by threads keeps every row, a history zoo of other segments is refused
// before the sweep's directory is made, a repeated step counts once, networks of a swept width
// share one statistics zoo across handles (processes), reports from several threads are all
// recorded. Run under ASan/UBSan by scripts/test-sanitize.sh.
#include <doctest/doctest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "common/errors.hpp"
#include "sweep/live_sweep.hpp"
#include "zoo/stored_statistics.hpp"
#include "zoo/zoo_dataset.hpp"
#include "zoo/zoo_writer.hpp"

using namespace dpa::tools;

namespace {

const dpa_segment kSegments[] = {{0, 8, DPA_SEGMENT_BIAS, 0}, {8, 64, DPA_SEGMENT_KERNEL, 0}};
const dpa_layout kLayout = {kSegments, 2, 72};
const dpa_segment kWiderSegments[] = {{0, 16, DPA_SEGMENT_BIAS, 0}, {16, 128, DPA_SEGMENT_KERNEL, 0}};
const dpa_layout kWider = {kWiderSegments, 2, 144};
const dpa_segment kThreeSegments[] = {
    {0, 8, DPA_SEGMENT_BIAS, 0}, {8, 64, DPA_SEGMENT_KERNEL, 0}, {72, 8, DPA_SEGMENT_BIAS, 0}};
const dpa_layout kThree = {kThreeSegments, 3, 80};

struct TempDir {
  std::string path;
  TempDir() {
    char name[] = "/tmp/dpa-sweep-hostile-XXXXXX";
    REQUIRE(::mkdtemp(name) != nullptr);
    path = name;
  }
  ~TempDir() { std::system(("rm -rf " + path).c_str()); }
};

std::vector<float> weights_of(std::size_t n, float seed) {
  std::vector<float> w(n);
  for (std::size_t i = 0; i < n; ++i) w[i] = seed + 0.01f * static_cast<float>(i % 7) - 0.02f * (i % 3);
  return w;
}

std::string line_of(const std::string& run, int step, float accuracy = 0.5f) {
  return "{\"modeldir\":\"" + run + "\",\"step\":" + std::to_string(step) +
         ",\"test_accuracy\":" + std::to_string(accuracy) + ",\"config.epochs\":2}";
}

bool exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

}  // namespace

TEST_CASE("zoo writer: one handle shared by 4 threads keeps every add, rows and lines in step") {
  for (const ZooStore store : {ZooStore::kWeights, ZooStore::kStatistics}) {
    TempDir tmp;
    const std::string dir = tmp.path + "/zoo";
    {
      ZooWriter w(dir, kLayout, store);
      std::vector<std::thread> threads;
      for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&w, t] {
          for (int i = 0; i < 150; ++i) {
            const int id = t * 1000 + i;
            const std::vector<float> weights = weights_of(kLayout.total_length, static_cast<float>(id));
            w.add(weights.data(), weights.size(), line_of("r" + std::to_string(id), 0));
          }
        });
      }
      for (std::thread& thread : threads) thread.join();
    }
    const ZooDataset zoo(dir);
    REQUIRE(zoo.rows() == 600);
    if (store == ZooStore::kWeights) {  // each row's weights are its own line's run
      std::vector<float> row(kLayout.total_length);
      for (std::size_t r = 0; r < zoo.rows(); ++r) {
        const float first = zoo.weights("test").row(r, row.data())[0];
        CHECK(zoo.metrics().modeldir[r] == "r" + std::to_string(static_cast<int>(first)));
      }
    }
  }
}

TEST_CASE("live sweep: a history zoo of other segments is refused before the sweep's directory is made") {
  TempDir tmp;
  const std::string history = tmp.path + "/past", dir = tmp.path + "/sweep";
  {
    ZooWriter past(history, kThree, ZooStore::kStatistics);
    const std::vector<float> weights = weights_of(kThree.total_length, 0.1f);
    for (int step = 0; step <= 2; ++step) past.add(weights.data(), weights.size(), line_of("old", step));
  }
  LiveSweepOptions options;
  options.history = {history};
  CHECK_THROWS_WITH_AS(
      LiveSweep(dir, kLayout, options),
      doctest::Contains("networks of 3 segments (bias,kernel,bias); this sweep's have 2 (bias,kernel)"), ToolError);
  CHECK_FALSE(exists(dir));
  options.history = {tmp.path + "/missing"};
  CHECK_THROWS(LiveSweep(dir, kLayout, options));
  CHECK_FALSE(exists(dir));
  options.history = {};
  options.learner.percentile = 150;
  CHECK_THROWS_WITH_AS(LiveSweep(dir, kLayout, options), doctest::Contains("percentile"), UsageError);
  CHECK_FALSE(exists(dir));
}

TEST_CASE("live sweep: a repeated step is refused and written once; a swept width shares the zoo across handles") {
  TempDir tmp;
  const std::string dir = tmp.path + "/sweep";
  const std::vector<float> narrow = weights_of(kLayout.total_length, 0.2f),
                           wide = weights_of(kWider.total_length, 0.3f);
  {
    LiveSweep sweep(dir, kLayout, {});
    sweep.report("s/0", 1, 4, narrow.data(), narrow.size(), R"({"test_accuracy":0.5})", "{}", true);
    CHECK_THROWS_WITH_AS(
        sweep.report("s/0", 1, 4, narrow.data(), narrow.size(), R"({"test_accuracy":0.6})", "{}", true),
        doctest::Contains("reported step 1 already"), ToolError);
  }
  // Another process (or a resumed study) whose first network is wider.
  LiveSweep other(dir, kWider, {});
  other.report("s/1", 1, 4, wide.data(), wide.size(), R"({"test_accuracy":0.7})", "{}", true, &kWider);
  CHECK(other.scores_at(1).size() == 2);  // it read the first handle's trial
  const ZooDataset zoo(dir);
  CHECK(zoo.rows() == 2);
  CHECK(zoo.metrics().column("num_weights")->values[0] == 72.0f);
  CHECK(zoo.metrics().column("num_weights")->values[1] == 144.0f);
  // The writer itself refuses other segments, with the same check.
  CHECK_THROWS_WITH_AS(ZooWriter(dir, kThree, ZooStore::kStatistics),
                       doctest::Contains("networks of 3 segments (bias,kernel,bias); the zoo's have 2"), ToolError);
  CHECK_THROWS_WITH_AS(
      other.report("s/2", 1, 4, weights_of(80, 0.1f).data(), 80, R"({"test_accuracy":0.7})", "{}", true, &kThree),
      doctest::Contains("3 segments"), ToolError);
}

TEST_CASE("live sweep: reports from 4 threads into one sweep are all recorded and decided") {
  TempDir tmp;
  const std::string dir = tmp.path + "/sweep";
  LiveSweep sweep(dir, kLayout, {});
  std::vector<std::thread> threads;
  std::atomic<int> stopped{0}, rows{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&sweep, &stopped, &rows, t] {
      for (int trial = 0; trial < 10; ++trial) {
        const std::string name = "s/" + std::to_string(t * 100 + trial);
        for (std::uint32_t step = 0; step <= 2; ++step) {
          const std::vector<float> w = weights_of(kLayout.total_length, static_cast<float>(trial) / 10 + step);
          const std::string metrics = "{\"test_accuracy\":" + std::to_string(0.1 * trial + 0.01 * step) + "}";
          ++rows;
          if (sweep.report(name, step, 2, w.data(), w.size(), metrics, "{\"width\":" + std::to_string(t) + "}", true)
                  .stop) {
            ++stopped;
            break;
          }
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  sweep.wait();
  CHECK(ZooDataset(dir).rows() == static_cast<std::size_t>(rows.load()));
  CHECK(sweep.scores_at(0).size() == 40);
  CHECK(stopped.load() > 0);
  CHECK(sweep.state().finished + static_cast<std::uint32_t>(stopped.load()) == 40);
}
