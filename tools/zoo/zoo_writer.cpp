#include "zoo/zoo_writer.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>

#include "common/atomic_file.hpp"
#include "common/errors.hpp"
#include "common/files.hpp"
#include "dpa/dpa.hpp"
#include "zoo/csv_reader.hpp"
#include "zoo/jsonl_reader.hpp"
#include "zoo/npy_file.hpp"
#include "zoo/release_metrics.hpp"
#include "zoo/stored_statistics.hpp"
#include "zoo/zoo_dataset.hpp"

namespace dpa::tools {

using Json = nlohmann::json;

const char* zoo_store_name(ZooStore store) { return store == ZooStore::kWeights ? "weights" : "statistics"; }

ZooStore parse_zoo_store(const std::string& name) {
  if (name == "weights") return ZooStore::kWeights;
  if (name == "statistics" || name == "stats") return ZooStore::kStatistics;
  throw UsageError("store must be 'weights' or 'statistics', got '" + name + "'");
}

namespace {

constexpr const char* kMetrics = "metrics.jsonl";
constexpr const char* kLayout = "layout.csv";
// The writer's own record: committed rows and the byte length of their metrics lines. Only writers
// read it; readers need the npy header alone.
constexpr const char* kWriterState = ".dpa-writer";
// A fixed header, so that raising the row count rewrites it in place.
constexpr std::size_t kHeaderBytes = 128;

[[noreturn]] void fail(const std::string& what) { throw ToolError(what); }
[[noreturn]] void fail_errno(const std::string& path, const char* doing) {
  throw ToolError(path + ": cannot " + doing + ": " + std::strerror(errno));
}

// layout.csv as the zoo reader reads it back: each name holds its kind.
std::string layout_text(const dpa_layout& layout, const ZooWriterOptions& options) {
  std::string text = "varname,start_idx,end_idx,shape\n";
  for (std::uint32_t i = 0; i < layout.num_segments; ++i) {
    const dpa_segment& s = layout.segments[i];
    const bool named = i < options.segment_names.size() && i < options.segment_shapes.size();
    text +=
        (named ? options.segment_names[i] : "segment" + std::to_string(i) + "/" + segment_kind_name(s.kind) + ":0") +
        "," + std::to_string(s.offset) + "," + std::to_string(s.offset + s.length) + ",\"" +
        (named ? options.segment_shapes[i] : "(" + std::to_string(s.length) + ",)") + "\"\n";
  }
  return text;
}

void write_all_at(int fd, const void* data, std::size_t size, std::uint64_t offset, const std::string& path) {
  const auto* bytes = static_cast<const unsigned char*>(data);
  while (size > 0) {
    const ssize_t put = ::pwrite(fd, bytes, size, static_cast<off_t>(offset));
    if (put < 0 && errno == EINTR) continue;
    if (put <= 0) fail_errno(path, "write");
    bytes += put;
    size -= static_cast<std::size_t>(put);
    offset += static_cast<std::uint64_t>(put);
  }
}

// A whole number >= 0 that fits 32 bits, as the zoo reader's parse_index takes it.
bool whole_number_text(const std::string& text) {
  float unused;
  if (!parse_metric_number(text, &unused)) return false;
  const double v = std::strtod(text.c_str(), nullptr);
  return v >= 0 && v <= 4294967295.0 && v == std::floor(v);
}

}  // namespace

std::string checked_metrics_line(const std::string& metrics_json) {
  const Json j = Json::parse(metrics_json, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    fail("metrics: not a JSON object of names and values (NaN and Infinity are not numbers JSON has)");
  }
  for (const char* required : {"modeldir", "step", "test_accuracy", "config.epochs"}) {
    if (!j.contains(required) || j[required].is_null()) {
      fail(std::string("metrics: '") + required + "' is missing; every checkpoint needs modeldir (the run), step, " +
           "test_accuracy and config.epochs (the run's planned last step)");
    }
  }
  for (const auto& [name, value] : j.items()) {
    if (name.empty()) fail("metrics: a value without a name");
    const std::string text = metrics_value_text(&value, "metrics", name);
    const std::string shown = "metrics: '" + name + "' = " + value.dump();
    if (name == "modeldir") {
      if (!value.is_string() || text.empty()) fail(shown + ": the run's name must be a non-empty text");
    } else if (name == "step" || name == "config.epochs") {
      if (!value.is_number() || !whole_number_text(text)) fail(shown + ": must be a whole number >= 0");
    } else if (value.is_number()) {
      float unused;
      if (!parse_metric_number(text, &unused)) fail(shown + ": not a finite float32 number");
    } else if (name == "test_accuracy") {
      fail(shown + ": must be a finite number");
    }
  }
  return j.dump();
}

struct ZooWriter::Impl {
  std::string dir, data_path, metrics_path, state_path;
  dpa_layout layout{};
  std::vector<dpa_segment> segments;
  std::vector<dpa_segment> recorded;  // a statistics zoo's layout.csv (its first network's)
  std::uint32_t recorded_total = 0;
  ZooStore store = ZooStore::kWeights;
  std::uint64_t row_floats = 0;
  std::atomic<std::uint64_t> rows{0};
  // A handle's adds from several threads, one at a time: flock() is per open file description, so
  // it does not order this handle's own threads, and `row` is shared by them.
  std::mutex adding;
  bool export_removed = false;
  int dir_fd = -1, data_fd = -1, metrics_fd = -1, state_fd = -1;
  std::unique_ptr<dpa::FeatureExtractor> statistics;
  std::vector<float> row;  // a statistics zoo's row
  ZooWriterOptions options;

  ~Impl() {
    for (const int fd : {data_fd, metrics_fd, state_fd, dir_fd})
      if (fd >= 0) ::close(fd);
  }

  // The directory's lock: held by each add and by opening.
  struct Lock {
    int fd;
    Lock(int fd_, const std::string& dir) : fd(fd_) {
      while (::flock(fd, LOCK_EX) != 0) {
        if (errno != EINTR) fail_errno(dir, "lock");
      }
    }
    ~Lock() { ::flock(fd, LOCK_UN); }
  };

  std::uint64_t committed_rows() const {
    char header[kHeaderBytes + 1] = {};
    if (::pread(data_fd, header, kHeaderBytes, 0) != static_cast<ssize_t>(kHeaderBytes))
      fail(data_path + ": shorter than its header (damaged)");
    const NpyHeader h = parse_npy_header(std::string(header + 10, kHeaderBytes - 10));
    if (h.descr != "<f4" || h.fortran_order || h.shape.size() != 2 || h.shape[1] != row_floats)
      fail(data_path + ": not this writer's float32 rows of " + std::to_string(row_floats) + " values");
    return h.shape[0];
  }

  // The end of the first `lines` complete lines of metrics.jsonl (after a crash between commits).
  std::uint64_t metrics_end_of(std::uint64_t lines) const {
    std::uint64_t offset = 0, seen = 0;
    char buffer[1 << 16];
    while (seen < lines) {
      const ssize_t got = ::pread(metrics_fd, buffer, sizeof buffer, static_cast<off_t>(offset));
      if (got < 0) fail_errno(metrics_path, "read");
      if (got == 0) {
        fail(metrics_path + ": " + std::to_string(seen) + " lines, but " + data_path + " commits " +
             std::to_string(lines) + " rows (damaged)");
      }
      for (ssize_t i = 0; i < got && seen < lines; ++i) {
        ++offset;
        seen += buffer[i] == '\n';
      }
    }
    return offset;
  }

  // Committed rows and where their metrics end; cuts whatever an interrupted add left beyond.
  std::pair<std::uint64_t, std::uint64_t> committed() const {
    const std::uint64_t n = committed_rows();
    std::uint64_t state[2] = {0, 0};
    const bool known = ::pread(state_fd, state, sizeof state, 0) == static_cast<ssize_t>(sizeof state) && state[0] == n;
    const std::uint64_t end = known ? state[1] : metrics_end_of(n);
    struct stat st {};
    if (::fstat(data_fd, &st) != 0) fail_errno(data_path, "stat");
    const std::uint64_t data_end = kHeaderBytes + n * row_floats * sizeof(float);
    if (static_cast<std::uint64_t>(st.st_size) < data_end)
      fail(data_path + ": holds fewer rows than it commits (damaged)");
    return {n, end};
  }

  void write_state(std::uint64_t n, std::uint64_t end) {
    const std::uint64_t state[2] = {n, end};
    write_all_at(state_fd, state, sizeof state, 0, state_path);
  }

  void create_files() {
    const std::string layout_csv = layout_text(layout, options);
    write_file_atomically(dir + "/" + kLayout, layout_csv.data(), layout_csv.size());
    if (store == ZooStore::kStatistics) {
      const std::string description = statistics_description_json(layout.total_length);
      write_file_atomically(dir + "/" + kStatisticsDescriptionFile, description.data(), description.size());
    }
    const std::string header = npy_f32_header(0, row_floats, kHeaderBytes);
    write_file_atomically(data_path, header.data(), header.size());
    write_file_atomically(metrics_path, "", 0);
    const std::uint64_t state[2] = {0, 0};
    write_file_atomically(state_path, state, sizeof state);  // last: the zoo is this writer's
  }

  // Opens a directory this writer made, or makes one of an empty (or half-made) directory.
  void claim() {
    const std::string data_name = data_path.substr(dir.size() + 1);
    std::set<std::string> ours = {kLayout, kMetrics, kWriterState, data_name, kReleaseMetricsFile};
    ours.insert(options.companions.begin(), options.companions.end());
    if (store == ZooStore::kStatistics) ours.insert(kStatisticsDescriptionFile);
    const std::vector<std::string> present = directory_entries(dir);
    std::string foreign;
    bool has_state = false;
    for (const std::string& name : present) {
      // A temporary of ours that a killed writer left while making the directory is ours too:
      // making it again replaces it.
      const std::size_t temporary = name.rfind(".tmp-");
      if (!ours.count(name.substr(0, temporary))) foreign += (foreign.empty() ? "" : ", ") + name;
      has_state |= name == kWriterState;
    }
    if (!foreign.empty()) {
      fail(dir + ": holds " + foreign +
           (has_state ? ", not a zoo of " + std::string(zoo_store_name(store)) + " (opened with the other store?)"
                      : ", which this writer did not write") +
           "; the zoo writer appends only to zoos it made: record into a new or empty directory");
    }
    struct stat st {};
    const bool half_made = !has_state && (::stat(metrics_path.c_str(), &st) != 0 || st.st_size == 0);
    if (!has_state && !present.empty() && !half_made)
      fail(dir + ": holds a zoo this writer did not make; record into a new or empty directory");
    if (!has_state) create_files();
    const std::string expected = layout_text(layout, options), found = read_file(dir + "/" + kLayout);
    if (store == ZooStore::kStatistics) {
      adopt_recorded_layout(found != expected);
    } else if (found != expected) {
      fail(dir + "/" + kLayout + ": the zoo has another layout than this writer's");
    }
  }

  // A statistics zoo's rows are per segment: networks of the same segments (count and kinds) but
  // other lengths (a swept width) share one. layout.csv stays its first network's.
  void adopt_recorded_layout(bool differs) {
    const StatisticsDescription d = read_statistics_description(dir + "/" + kStatisticsDescriptionFile);
    recorded.clear();
    recorded_total = static_cast<std::uint32_t>(d.weights_per_row);
    for (const LayoutSegment& s : read_layout_csv(dir + "/" + kLayout, d.weights_per_row,
                                                  std::string(kStatisticsDescriptionFile) + "'s weights_per_row is"))
      recorded.push_back(s.segment);
    if (differs) {
      check_same_segments({recorded.data(), static_cast<std::uint32_t>(recorded.size()), recorded_total}, layout,
                          dir + "/" + kLayout, "the zoo's");
    }
  }

  void open_files() {
    auto open_rw = [](const std::string& path) {
      const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
      if (fd < 0) fail_errno(path, "open");
      return fd;
    };
    data_fd = open_rw(data_path);
    metrics_fd = open_rw(metrics_path);
    state_fd = open_rw(state_path);
  }

  // Cuts an interrupted add's row and line, so that the files hold exactly the committed rows.
  void cut_uncommitted() {
    const auto [n, end] = committed();
    if (::ftruncate(data_fd, static_cast<off_t>(kHeaderBytes + n * row_floats * sizeof(float))) != 0)
      fail_errno(data_path, "truncate");
    if (::ftruncate(metrics_fd, static_cast<off_t>(end)) != 0) fail_errno(metrics_path, "truncate");
    write_state(n, end);
    rows = n;
  }

  // Rows and their lines appended and committed under the directory's lock; `adding` held.
  std::uint64_t append(const float* data, std::size_t values_per_row, const std::vector<std::string>& metrics_json) {
    if (values_per_row != row_floats) {
      fail(dir + ": a row of " + std::to_string(values_per_row) + " values; this zoo's rows hold " +
           std::to_string(row_floats));
    }
    std::string lines;
    for (const std::string& metrics : metrics_json) lines += checked_metrics_line(metrics) + "\n";
    const std::uint64_t added = metrics_json.size();
    const Lock lock(dir_fd, dir);
    if (!export_removed) {  // an export of fewer rows than the zoo will hold: gone, not stale
      ::unlink((dir + "/" + kReleaseMetricsFile).c_str());
      export_removed = true;
    }
    const auto [n, end] = committed();  // other writers may have added rows since
    write_all_at(data_fd, data, added * row_floats * sizeof(float), kHeaderBytes + n * row_floats * sizeof(float),
                 data_path);
    write_all_at(metrics_fd, lines.data(), lines.size(), end, metrics_path);
    if (::ftruncate(metrics_fd, static_cast<off_t>(end + lines.size())) != 0) fail_errno(metrics_path, "truncate");
    const std::string header = npy_f32_header(n + added, row_floats, kHeaderBytes);
    write_all_at(data_fd, header.data(), header.size(), 0, data_path);  // the commit
    write_state(n + added, end + lines.size());
    rows = n + added;
    return n;
  }
};

ZooWriter::ZooWriter(const std::string& dir, const dpa_layout& layout, ZooStore store, ZooWriterOptions options)
    : impl_(new Impl) {
  Impl& w = *impl_;
  w.options = std::move(options);
  if (dpa_layout_check(&layout) != DPA_OK) fail(dir + ": invalid layout");
  w.dir = dir;
  while (w.dir.size() > 1 && w.dir.back() == '/') w.dir.pop_back();
  w.segments.assign(layout.segments, layout.segments + layout.num_segments);
  w.layout = {w.segments.data(), layout.num_segments, layout.total_length};
  w.store = store;
  w.data_path = w.dir + "/" + (store == ZooStore::kWeights ? "weights.npy" : kStatisticsFile);
  w.metrics_path = w.dir + "/" + kMetrics;
  w.state_path = w.dir + "/" + kWriterState;
  w.row_floats = store == ZooStore::kWeights ? layout.total_length : feature_count(w.layout, kStoredStatsSet);
  if (store == ZooStore::kStatistics) {
    w.statistics = std::make_unique<dpa::FeatureExtractor>(w.layout, kStoredStatsSet);
    w.row.resize(w.row_floats);
  }
  if (::mkdir(w.dir.c_str(), 0755) != 0 && errno != EEXIST) fail_errno(w.dir, "create");
  w.dir_fd = ::open(w.dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (w.dir_fd < 0) fail_errno(w.dir, "open the directory");
  const Impl::Lock lock(w.dir_fd, w.dir);
  w.claim();
  w.open_files();
  w.cut_uncommitted();
}

ZooWriter::~ZooWriter() = default;

void ZooWriter::add(const float* weights, std::size_t num_weights, const std::string& metrics_json) {
  Impl& w = *impl_;
  if (num_weights != w.layout.total_length) {
    fail(w.dir + ": a checkpoint of " + std::to_string(num_weights) + " weights; the layout has " +
         std::to_string(w.layout.total_length));
  }
  if (!w.statistics) {
    add_row(weights, num_weights, metrics_json);
    return;
  }
  checked_metrics_line(metrics_json);  // before the statistics are computed
  const std::lock_guard<std::mutex> serial(w.adding);
  const dpa_status s = w.statistics->compute(weights, num_weights, w.row.data(), w.row.size());
  if (s != DPA_OK && s != DPA_ERR_NON_FINITE) fail(w.dir + ": statistics: " + dpa_status_string(s));
  w.append(w.row.data(), w.row.size(), {metrics_json});  // NaN/Inf weights: that segment's statistics are NaN
}

std::uint64_t ZooWriter::add_row(const float* row, std::size_t count, const std::string& metrics_json) {
  return add_rows(row, count, {metrics_json});
}

std::uint64_t ZooWriter::add_rows(const float* rows, std::size_t values_per_row,
                                  const std::vector<std::string>& metrics_json) {
  const std::lock_guard<std::mutex> serial(impl_->adding);
  return impl_->append(rows, values_per_row, metrics_json);
}

std::uint64_t ZooWriter::rows() const { return impl_->rows; }

void ZooWriter::write_release_metrics() {
  Impl& w = *impl_;
  const std::lock_guard<std::mutex> serial(w.adding);
  const Impl::Lock lock(w.dir_fd, w.dir);
  dpa::tools::write_release_metrics(w.dir, w.committed().first);
  w.export_removed = false;
}

void ZooWriter::sync() {
  for (const int fd : {impl_->data_fd, impl_->metrics_fd, impl_->state_fd}) {
    if (::fdatasync(fd) != 0) fail_errno(impl_->dir, "sync");
  }
}

const std::string& ZooWriter::dir() const { return impl_->dir; }

dpa_layout ZooWriter::recorded_layout() const {
  const Impl& w = *impl_;
  if (w.recorded.empty()) return w.layout;
  return {w.recorded.data(), static_cast<std::uint32_t>(w.recorded.size()), w.recorded_total};
}

}  // namespace dpa::tools
