// Zoo files on the host: tiny zoos built here, good and malformed; every fault gives a clear
// error naming the file, and no output file is left behind.
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "common/atomic_file.hpp"
#include "common/errors.hpp"
#include "dpa/dpa.hpp"
#include "support/reference_stats.hpp"
#include "zoo/csv_reader.hpp"
#include "zoo/feature_extraction.hpp"
#include "zoo/npy_file.hpp"
#include "zoo/zoo_dataset.hpp"

namespace fs = std::filesystem;
using dpa::tools::ToolError;

namespace {

struct TempDir {
  fs::path path;
  TempDir() {
    path = fs::temp_directory_path() / ("dpa-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter()++));
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
  std::string operator/(const std::string& name) const { return (path / name).string(); }
  static int& counter() {
    static int c = 0;
    return c;
  }
};

void write_text(const std::string& path, const std::string& text) { std::ofstream(path, std::ios::binary) << text; }

void write_gz(const std::string& path, const std::string& text) {
  gzFile f = gzopen(path.c_str(), "wb");
  gzwrite(f, text.data(), static_cast<unsigned>(text.size()));
  gzclose(f);
}

std::string npy_bytes(const std::string& descr, const std::string& shape, const std::string& payload,
                      bool fortran = false, int version = 1) {
  std::string dict =
      "{'descr': '" + descr + "', 'fortran_order': " + (fortran ? "True" : "False") + ", 'shape': " + shape + ", }";
  const std::size_t prefix = version == 1 ? 10 : 12;
  const std::size_t total = (prefix + dict.size() + 1 + 63) / 64 * 64;
  dict.append(total - prefix - dict.size() - 1, ' ');
  dict += '\n';
  std::string out = std::string("\x93NUMPY", 6) + static_cast<char>(version) + '\0';
  const std::size_t n = dict.size();
  out += static_cast<char>(n & 0xff);
  out += static_cast<char>((n >> 8) & 0xff);
  if (version != 1) out += std::string(2, '\0');
  return out + dict + payload;
}

std::string floats(const std::vector<float>& v) {
  return std::string(reinterpret_cast<const char*>(v.data()), v.size() * 4);
}

const char* kLayout =
    "varname,start_idx,end_idx,shape\n"
    "net/conv/bias:0,0,2,\"(2,)\"\n"
    "net/conv/kernel:0,2,8,\"(3, 2)\"\n";

// A good tiny zoo: 2 runs x 2 checkpoints, 8 weights per row.
void make_zoo(const TempDir& d, const std::vector<float>& weights) {
  write_text(d / "weights.npy", npy_bytes("<f4", "(4, 8)", floats(weights)));
  write_gz(d / "metrics.csv.gz",
           ",modeldir,step,test_accuracy,config.epochs,config.activation,extra\n"
           "ck0,run0,0,0.1,2,relu,x\n"
           "ck1,run0,2,\"0.5\",2,relu,x\n"
           "ck2,\"run,1\",0,0.2,2,tanh,x\n"
           "ck3,\"run,1\",2,0.7,2,tanh,x\n");
  write_text(d / "layout.csv", kLayout);
}

std::vector<float> some_weights() {
  std::vector<float> w(32);
  for (std::size_t i = 0; i < w.size(); ++i) w[i] = std::sin(static_cast<float>(i)) * 0.3f;
  return w;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const ToolError& e) { return e.what(); }
  return "";
}

}  // namespace

TEST_CASE("a tiny zoo reads back: rows, columns by name, quoted fields, layout kinds") {
  TempDir d;
  make_zoo(d, some_weights());
  const dpa::tools::ZooDataset zoo(d.path.string());
  CHECK(zoo.rows() == 4);
  CHECK(zoo.weights().cols() == 8);
  CHECK(zoo.metrics().modeldir[2] == "run,1");
  CHECK(zoo.metrics().test_accuracy[1] == 0.5f);
  CHECK(zoo.metrics().step[3] == 2);
  REQUIRE(zoo.layout_segments().size() == 2);
  CHECK(zoo.layout_segments()[0].segment.kind == DPA_SEGMENT_BIAS);
  CHECK(zoo.layout_segments()[1].segment.length == 6);
  // Plain .csv works as well as .csv.gz.
  TempDir plain;
  make_zoo(plain, some_weights());
  fs::remove(plain / "metrics.csv.gz");
  write_text(plain / "metrics.csv",
             "modeldir,step,test_accuracy,config.epochs\nr,0,0.1,1\nr,1,0.2,1\ns,0,0.3,1\ns,1,0.4,1\n");
  CHECK(dpa::tools::ZooDataset(plain.path.string()).metrics().test_accuracy[3] == 0.4f);
}

TEST_CASE("CSV text as spreadsheets save it: a UTF-8 byte-order mark and CRLF line ends") {
  TempDir d;
  make_zoo(d, some_weights());
  write_text(d / "layout.csv",
             "\xef\xbb\xbfvarname,start_idx,end_idx,shape\r\n"
             "net/conv/bias:0,0,2,\"(2,)\"\r\n\r\n"
             "net/conv/kernel:0,2,8,\"(3, 2)\"\r\n");
  write_gz(d / "metrics.csv.gz",
           "\xef\xbb\xbfmodeldir,step,test_accuracy,config.epochs\r\n"
           "r,0,0.1,2\r\nr,2,0.5,2\r\ns,0,0.2,2\r\ns,2,\"0.7\",2\r\n");
  const dpa::tools::ZooDataset zoo(d.path.string());
  CHECK(zoo.layout().num_segments == 2);
  CHECK(zoo.metrics().modeldir[0] == "r");  // the first column, found by its name
  CHECK(zoo.metrics().test_accuracy[3] == 0.7f);
}

TEST_CASE("metrics columns: numbers, categories, and a column that turns categorical late") {
  TempDir d;
  write_text(d / "metrics.csv",
             "modeldir,step,test_accuracy,config.epochs,lr,mixed,name\n"
             "r,0,0.1,1,0.5,1.0,b\n"
             "r,1,0.2,1,,2,a\n"
             "s,0,0.3,1,1e-3,1.0,b\n"
             "s,1,0.4,1,2,high,c\n");
  const dpa::tools::ZooMetrics m = dpa::tools::read_metrics_csv(d / "metrics.csv");
  const dpa::tools::MetricsColumn* lr = m.column("lr");
  REQUIRE(lr != nullptr);
  CHECK(!lr->categorical);
  CHECK(lr->values[0] == 0.5f);
  CHECK(std::isnan(lr->values[1]));  // empty: missing
  CHECK(lr->values[2] == 1e-3f);
  // Numbers first, then a text: categories of the texts as written ("1.0" stays "1.0").
  const dpa::tools::MetricsColumn* mixed = m.column("mixed");
  REQUIRE(mixed != nullptr);
  CHECK(mixed->categorical);
  CHECK(mixed->categories == std::vector<std::string>{"1.0", "2", "high"});
  CHECK(mixed->values == std::vector<float>{0, 1, 0, 2});
  const dpa::tools::MetricsColumn* name = m.column("name");
  REQUIRE(name != nullptr);
  CHECK(name->categories == std::vector<std::string>{"a", "b", "c"});
  CHECK(name->values == std::vector<float>{1, 0, 1, 2});
}

TEST_CASE("a layout of 100000 segments is refused at its 1025th row") {
  TempDir d;
  std::string rows = "varname,start_idx,end_idx,shape\n";
  for (int i = 0; i < 100000; ++i)
    rows += "s" + std::to_string(i) + "/bias," + std::to_string(i) + "," + std::to_string(i + 1) + ",\"(1,)\"\n";
  write_text(d / "layout.csv", rows);
  const std::string err = error_of([&] { dpa::tools::read_layout_csv(d / "layout.csv", 100000); });
  CHECK(err.find("layout.csv:1026: more than 1024 segments") != std::string::npos);
}

TEST_CASE("npy: versions 1-3, float16/32/64 rows convert to float32") {
  TempDir d;
  const std::vector<double> values = {0.5, -1.25, 3.0, 1e-3};
  std::string f8(reinterpret_cast<const char*>(values.data()), 32);
  write_text(d / "a.npy", npy_bytes("<f8", "(2, 2)", f8, false, 2));
  dpa::tools::NpyMatrix m(d / "a.npy");
  float buf[2];
  const float* row = m.row(1, buf);
  CHECK(row[0] == 3.0f);
  CHECK(row[1] == 1e-3f);
  const std::uint16_t halves[2] = {0x3c00, 0xc000};  // 1.0, -2.0
  write_text(d / "h.npy", npy_bytes("<f2", "(1, 2)", std::string(reinterpret_cast<const char*>(halves), 4), false, 3));
  dpa::tools::NpyMatrix h(d / "h.npy");
  row = h.row(0, buf);
  CHECK(row[0] == 1.0f);
  CHECK(row[1] == -2.0f);
  CHECK(dpa::tools::half_to_float(0x0001) == std::ldexp(1.0f, -24));  // smallest subnormal
  CHECK(std::isinf(dpa::tools::half_to_float(0x7c00)));
}

TEST_CASE("malformed zoo files: each gives the right error and names the file") {
  const std::vector<float> w = some_weights();
  struct Case {
    const char* name;
    std::function<void(const TempDir&)> damage;
    const char* expected;
  };
  // A damage that writes one file of the zoo anew.
  auto text = [](const char* file, std::string content) {
    return [=](const TempDir& d) { write_text(d / file, content); };
  };
  auto gz = [](const char* file, std::string content) {
    return [=](const TempDir& d) { write_gz(d / file, content); };
  };
  const std::vector<Case> cases = {
      {"truncated npy", text("weights.npy", npy_bytes("<f4", "(4, 8)", floats(w)).substr(0, 100)), "truncated"},
      {"header claims more rows", text("weights.npy", npy_bytes("<f4", "(5, 8)", floats(w))), "truncated"},
      {"wrong dtype", text("weights.npy", npy_bytes("<i4", "(4, 8)", floats(w))), "unsupported dtype"},
      {"big-endian dtype", text("weights.npy", npy_bytes(">f4", "(4, 8)", floats(w))), "unsupported dtype"},
      {"Fortran order", text("weights.npy", npy_bytes("<f4", "(4, 8)", floats(w), true)), "Fortran"},
      {"3-D array", text("weights.npy", npy_bytes("<f4", "(4, 2, 4)", floats(w))), "2-D"},
      {"not npy", text("weights.npy", "hello"), "not an npy file"},
      {"repeated header key", text("weights.npy", npy_bytes("<f4", "(4, 8), 'shape': (2, 16)", floats(w))),
       "'shape' appears twice"},
      {"shape overflow", text("weights.npy", npy_bytes("<f4", "(4611686018427387904, 8)", floats(w))), "overflows"},
      {"missing column", gz("metrics.csv.gz", "modeldir,step,config.epochs\nr,0,1\n"),
       "missing column 'test_accuracy'"},
      {"unparseable number",
       gz("metrics.csv.gz", "modeldir,step,test_accuracy,config.epochs\nr,0,0.1,1\nr,1,abc,1\ns,0,0.1,1\ns,1,0.1,1\n"),
       "metrics.csv.gz:3: column 'test_accuracy': 'abc'"},
      {"row count differs", gz("metrics.csv.gz", "modeldir,step,test_accuracy,config.epochs\nr,0,0.1,1\n"),
       "1 rows but weights.npy has 4"},
      {"corrupt gzip",
       [&](const TempDir& d) {
         std::ifstream in(d / "metrics.csv.gz", std::ios::binary);
         std::string bytes((std::istreambuf_iterator<char>(in)), {});
         bytes.resize(bytes.size() / 2);
         bytes[bytes.size() - 3] ^= 0x55;
         write_text(d / "metrics.csv.gz", bytes);
       },
       "metrics.csv.gz"},
      {"overlapping layout",
       text("layout.csv", "varname,start_idx,end_idx,shape\na/bias,0,4,\"(4,)\"\nb/kernel,3,8,\"(5,)\"\n"), "overlaps"},
      {"layout past the row", text("layout.csv", "varname,start_idx,end_idx,shape\na/bias,0,9,\"(9,)\"\n"),
       "hold 8 weights"},
      {"layout shape mismatch", text("layout.csv", "varname,start_idx,end_idx,shape\na/kernel,0,8,\"(3, 3)\"\n"),
       "does not hold"},
      {"missing file", [&](const TempDir& d) { fs::remove(d / "layout.csv"); }, "layout.csv"},
      // Found by fuzz_csv: the reader leaked its zlib stream when the header was missing.
      // Found by fuzz_csv: a huge index used to be converted to an integer before its range check.
      {"huge step", gz("metrics.csv.gz", "modeldir,step,test_accuracy,config.epochs\nr,1e30,0.1,1\n"),
       "is not a valid index"},
      {"empty metrics", gz("metrics.csv.gz", ""), "empty file"},
      // A gzip stream cut short ends inside a record or between records: either way not a clean end.
      {"truncated gzip",
       [&](const TempDir& d) {
         std::string rows = "modeldir,step,test_accuracy,config.epochs\n";
         for (int i = 0; i < 4; ++i) rows += "r,0,0.1,1\n";
         write_gz(d / "metrics.csv.gz", rows);
         std::ifstream in(d / "metrics.csv.gz", std::ios::binary);
         std::string bytes((std::istreambuf_iterator<char>(in)), {});
         write_text(d / "metrics.csv.gz", bytes.substr(0, bytes.size() - 8));  // the CRC and size trailer gone
       },
       "truncated"},
      // A decompression bomb: far more rows than weights, stopped at the first extra one.
      {"more metrics rows than weights",
       [&](const TempDir& d) {
         std::string rows = "modeldir,step,test_accuracy,config.epochs\n";
         for (int i = 0; i < 100000; ++i) rows += "r,0,0.1,1\n";
         write_gz(d / "metrics.csv.gz", rows);
       },
       "more than 4 rows"},
      {"a record of megabytes",
       gz("metrics.csv.gz", "modeldir,step,test_accuracy,config.epochs\nr,0,0.1," + std::string(3 << 20, '1') + "\n"),
       "a record longer than 1 MB"},
      {"a NUL byte", gz("metrics.csv.gz", std::string("modeldir,step,test_accuracy,config.epochs\nr,0,0.1\0,1\n", 52)),
       "metrics.csv.gz:2: a NUL byte"},
      {"UTF-16 text", text("layout.csv", std::string("\xff\xfev\0a\0r\0", 8)), "layout.csv:1: a NUL byte"},
      {"CR-only line ends", gz("metrics.csv.gz", "modeldir,step,test_accuracy,config.epochs\rr,0,0.1,1\r"),
       "metrics.csv.gz:1: a carriage return without a line feed"},
      // Finite as a double, infinite as the float every accuracy is kept in.
      {"accuracy beyond float",
       gz("metrics.csv.gz",
          "modeldir,step,test_accuracy,config.epochs\nr,0,1e300,1\nr,1,0.1,1\ns,0,0.1,1\ns,1,0.1,1\n"),
       "metrics.csv.gz:2: column 'test_accuracy': '1e300' is not a finite number"},
  };
  for (const Case& c : cases) {
    CAPTURE(std::string(c.name));
    TempDir d;
    make_zoo(d, w);
    c.damage(d);
    const std::string err = error_of([&] { dpa::tools::ZooDataset zoo(d.path.string()); });
    CHECK(err.find(c.expected) != std::string::npos);
    CHECK(!err.empty());
  }
}

TEST_CASE("features of a zoo equal the runtime's per row, NaN rows give NaN features") {
  TempDir d;
  std::vector<float> w = some_weights();
  w[12] = NAN;  // row 1 (weights 8..15), offset 4: inside the kernel segment
  make_zoo(d, w);
  const dpa::tools::ZooDataset zoo(d.path.string());
  const dpa_layout layout = zoo.layout();
  for (unsigned threads : {1u, 3u}) {
    std::vector<float> all;
    const auto run = dpa::tools::extract_features(
        zoo.weights(), layout, DPA_STATS_PAPER, threads,
        [&](std::uint64_t, std::uint64_t n, const float* f) { all.insert(all.end(), f, f + n * 14); });
    CHECK(run.rows == 4);
    CHECK(run.non_finite_rows == 1);
    REQUIRE(all.size() == 4 * 14);
    dpa::FeatureExtractor fx(layout);
    float expect[14];
    fx.compute(w.data(), 8, expect, 14);
    for (int i = 0; i < 14; ++i) CHECK(dpa_test::bits_of(all[i]) == dpa_test::bits_of(expect[i]));
    CHECK(std::isnan(all[14 + 7]));   // row 1, kernel segment
    CHECK(!std::isnan(all[14 + 0]));  // row 1, bias segment is fine
  }
}

TEST_CASE("chosen rows: scattered ones read with pread equal mapped ones, a shrunk file is an error") {
  TempDir d;
  make_zoo(d, some_weights());
  const dpa::tools::ZooDataset zoo(d.path.string());
  const dpa_layout layout = zoo.layout();
  std::vector<float> all, chosen;
  dpa::tools::extract_features(
      zoo.weights(), layout, DPA_STATS_PAPER, 1,
      [&](std::uint64_t, std::uint64_t n, const float* f) { all.insert(all.end(), f, f + n * 14); });
  const std::vector<std::uint64_t> rows = {0, 3};  // span 4 >= 2 x 2: scattered
  REQUIRE(dpa::tools::NpyMatrix::scattered(rows.data(), rows.size()));
  for (const dpa_input_kind kind : {DPA_INPUT_STATISTICS, DPA_INPUT_RAW_WEIGHTS}) {
    chosen.clear();
    const dpa::tools::WeightBlock block{kind, DPA_STATS_PAPER};
    const std::size_t per_row = block.per_row(layout);
    dpa::tools::extract_features(
        zoo.weights(), layout, block, 2, &rows,
        [&](std::uint64_t, std::uint64_t n, const float* f) { chosen.insert(chosen.end(), f, f + n * per_row); });
    REQUIRE(chosen.size() == 2 * per_row);
    for (std::size_t i = 0; i < per_row; ++i) {
      const float row0 = kind == DPA_INPUT_STATISTICS ? all[i] : some_weights()[i];
      const float row3 = kind == DPA_INPUT_STATISTICS ? all[3 * 14 + i] : some_weights()[3 * 8 + i];
      CHECK(dpa_test::bits_of(chosen[i]) == dpa_test::bits_of(row0));
      CHECK(dpa_test::bits_of(chosen[per_row + i]) == dpa_test::bits_of(row3));
    }
  }
  // Another process truncates the weights while they are read: an error naming the file.
  fs::resize_file(d / "weights.npy", fs::file_size(d / "weights.npy") - 40);
  std::vector<float> out(8);
  CHECK(error_of([&] { zoo.weights().read_row(3, out.data()); }).find("shrank while being read") != std::string::npos);
}

TEST_CASE("npy writer: atomic, valid, and nothing left behind on failure") {
  TempDir d;
  const std::vector<float> v = {1, 2, 3, 4, 5, 6};
  dpa::tools::write_npy_f32(d / "out.npy", v.data(), 2, 3);
  dpa::tools::NpyMatrix m(d / "out.npy");
  CHECK(m.rows() == 2);
  CHECK(m.cols() == 3);
  float buf[3];
  CHECK(m.row(1, buf)[2] == 6.0f);
  {
    dpa::tools::NpyWriter partial(d / "partial.npy", 10, 3);
    partial.append(v.data(), 2);
    CHECK_THROWS_AS(partial.commit(), ToolError);
  }
  CHECK(!fs::exists(d / "partial.npy"));
  for (const auto& entry : fs::directory_iterator(d.path)) {
    CHECK(entry.path().filename().string().find(".tmp-") == std::string::npos);
  }
  CHECK_THROWS_AS(dpa::tools::write_npy_f32("/nonexistent-dir/x.npy", v.data(), 2, 3), ToolError);
}

#include "zoo/row_selection.hpp"

TEST_CASE("special files as inputs are refused before any open, no output replaces an input") {
  TempDir d;
  const std::string fifo = d / "weights.npy";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);  // opening it for reading would block forever
  CHECK_THROWS_WITH_AS(dpa::tools::NpyMatrix{fifo}, doctest::Contains("a FIFO, not a regular file"), ToolError);
  CHECK_THROWS_WITH_AS(dpa::tools::CsvReader{"/dev/zero"}, doctest::Contains("/dev/zero: a character device"),
                       ToolError);
  CHECK_THROWS_WITH_AS(dpa::tools::CsvReader{d.path.string()}, doctest::Contains("a directory"), ToolError);
  // A file read as an input, then named as an output under another spelling of its path.
  const std::vector<float> v = {1, 2, 3, 4};
  dpa::tools::write_npy_f32(d / "in.npy", v.data(), 2, 2);
  const dpa::tools::NpyMatrix in(d / "in.npy");
  const std::string other_spelling = d.path.string() + "/./in.npy";
  CHECK_THROWS_WITH_AS(dpa::tools::write_npy_f32(other_spelling, v.data(), 1, 2),
                       doctest::Contains("is an input of this command"), ToolError);
  CHECK(in.rows() == 2);
  CHECK(fs::file_size(d / "in.npy") > 0);
}

TEST_CASE("atomic outputs: never written through a link at the temporary's name") {
  TempDir d;
  write_text(d / "victim", "precious");
  const std::string out = d / "out.bin";
  const std::string temporary = out + ".tmp-" + std::to_string(::getpid());
  fs::create_symlink(d / "victim", temporary);  // planted, or left by a killed run with this pid
  dpa::tools::write_file_atomically(out, "new", 3);
  std::ifstream victim(d / "victim"), written(out);
  CHECK(std::string(std::istreambuf_iterator<char>(victim), {}) == "precious");
  CHECK(std::string(std::istreambuf_iterator<char>(written), {}) == "new");
  CHECK(!fs::exists(fs::symlink_status(temporary)));
}

TEST_CASE("atomic outputs: a signal the parent ignores stays ignored (nohup), others clean up") {
  // In a child process, whose dispositions the test may change: as a shell leaves them for
  // `nohup dpa ... &`, then as the first output installs the handlers.
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    std::signal(SIGHUP, SIG_IGN);
    std::signal(SIGTERM, SIG_DFL);
    dpa::tools::install_cleanup_handlers();
    struct sigaction hup {
    }, term{};
    ::sigaction(SIGHUP, nullptr, &hup);
    ::sigaction(SIGTERM, nullptr, &term);
    ::_exit(hup.sa_handler == SIG_IGN && term.sa_handler != SIG_DFL && term.sa_handler != SIG_IGN ? 0 : 1);
  }
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}

TEST_CASE("a mapped weights file that shrinks while read: one line naming it, exit 1, no temporary left") {
  TempDir d;
  // Many pages, so that the rows past the cut lie on pages beyond the file's new end.
  std::vector<float> big(64 * 1024, 0.25f);
  dpa::tools::write_npy_f32(d / "w.npy", big.data(), 64, 1024);
  const std::string err = d / "stderr.txt", out = d / "out.bin";
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    std::freopen(err.c_str(), "w", stderr);
    const dpa::tools::NpyMatrix m(d / "w.npy");
    dpa::tools::AtomicFile pending(out);  // in flight when the fault comes: must be removed
    pending.write("x", 1);
    ::truncate((d / "w.npy").c_str(), 4096);  // another process cuts the file
    float sum = 0;
    for (std::uint64_t r = 0; r < m.rows(); ++r) sum += m.row(r, nullptr)[1023];
    ::_exit(sum > 0 ? 3 : 4);  // not reached: the map past 4096 bytes faults
  }
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 1);
  std::ifstream in(err);
  const std::string message(std::istreambuf_iterator<char>(in), {});
  CHECK(message.find(d / "w.npy") != std::string::npos);
  CHECK(message.find("shrank") != std::string::npos);
  CHECK(std::count(message.begin(), message.end(), '\n') == 1);
  for (const auto& entry : fs::directory_iterator(d.path)) {
    CHECK(entry.path().filename().string().find(".tmp-") == std::string::npos);
  }
}

TEST_CASE("atomic outputs: temporaries of killed runs are removed, a live process's kept") {
  TempDir d;
  const std::string out = d / "out.bin";
  // A pid that is gone: a child that has exited and been reaped.
  const pid_t gone = ::fork();
  REQUIRE(gone >= 0);
  if (gone == 0) ::_exit(0);
  REQUIRE(::waitpid(gone, nullptr, 0) == gone);
  const std::string stale = out + ".tmp-" + std::to_string(gone);
  const std::string live = out + ".tmp-1";                                // init: always alive
  const std::string other = d / "other.bin.tmp-" + std::to_string(gone);  // another output's
  write_text(stale, "left by SIGKILL");
  write_text(live, "being written");
  write_text(other, "not ours");
  dpa::tools::write_file_atomically(out, "new", 3);
  CHECK(!fs::exists(stale));
  CHECK(fs::exists(live));
  CHECK(fs::exists(other));
}

TEST_CASE("chunks of float32 rows need no row buffer, other dtypes and scattered rows fill one") {
  TempDir d;
  const std::vector<float> v = {1, 2, 3, 4, 5, 6, 7, 8};
  dpa::tools::write_npy_f32(d / "f4.npy", v.data(), 4, 2);
  const dpa::tools::NpyMatrix m(d / "f4.npy");
  std::vector<float> buffer;
  {
    const dpa::tools::NpyRowChunk dense(m, nullptr, 0, 4);
    CHECK(dense.row(3, buffer)[1] == 8.0f);
    CHECK(buffer.empty());
  }
  const std::vector<std::uint64_t> rows = {0, 3};
  const dpa::tools::NpyRowChunk scattered(m, rows.data(), 0, rows.size());
  CHECK(scattered.row(1, buffer)[0] == 7.0f);
  CHECK(buffer.size() == 2);
}

TEST_CASE("row selection, targets and run-level splits") {
  dpa::tools::ZooMetrics m;
  // 300 runs with steps 0,1,2,10 (config.epochs 10); every 7th run stops at step 2.
  for (int run = 0; run < 300; ++run) {
    for (std::uint32_t step : {0u, 1u, 2u, 10u}) {
      if (run % 7 == 0 && step == 10) continue;
      m.modeldir.push_back("run" + std::to_string(run));
      m.step.push_back(step);
      m.test_accuracy.push_back(static_cast<float>(run) / 1000.0f + static_cast<float>(step) / 100.0f);
      m.epochs.push_back(10);
    }
  }
  m.num_rows = m.step.size();
  using dpa::tools::parse_checkpoints;
  std::vector<bool> finite(m.rows(), true);
  finite[1] = false;  // run0 step 1
  const auto final_rows =
      dpa::tools::select_rows(m, parse_checkpoints("final"), dpa::tools::Target::kTestAccuracy, finite);
  CHECK(final_rows.rows.size() == 300 - 43);  // 43 runs (0, 7, ..., 294) never reached step 10
  const auto early =
      dpa::tools::select_rows(m, parse_checkpoints("1,2"), dpa::tools::Target::kFinalTestAccuracy, finite);
  CHECK(early.dropped_non_finite == 1);           // run0 step 1: non-finite is checked first
  CHECK(early.dropped_unfinished == 43 * 2 - 1);  // steps 1, 2 of unfinished runs, less that row
  // The first kept row is run1 step 1 (row 4); its target is run1's accuracy at step 10 (row 6).
  CHECK(early.rows[0] == 4);
  CHECK(early.targets[0] == m.test_accuracy[6]);
  const auto all = dpa::tools::select_rows(m, parse_checkpoints("all"), dpa::tools::Target::kTestAccuracy, finite);
  CHECK(all.rows.size() == m.rows() - 1);
  CHECK(all.dropped_non_finite == 1);
  CHECK_THROWS_AS(parse_checkpoints("1,x"), dpa::tools::UsageError);
  CHECK_THROWS_AS(dpa::tools::parse_target("accuracy"), dpa::tools::UsageError);

  const auto split = dpa::tools::split_by_run(all, m, 0.2, 0.3, 42);
  CHECK(split.train.size() + split.validation.size() + split.test.size() == all.rows.size());
  std::map<std::uint32_t, int> side;
  auto mark = [&](const std::vector<std::size_t>& part, int s) {
    for (std::size_t i : part) {
      auto [it, inserted] = side.emplace(all.run[i], s);
      CHECK(it->second == s);  // no run on two sides
    }
  };
  mark(split.train, 0);
  mark(split.validation, 1);
  mark(split.test, 2);
  CHECK(split.test.size() > all.rows.size() / 5);
  CHECK(split.test.size() < all.rows.size() * 2 / 5);
  const auto again = dpa::tools::split_by_run(all, m, 0.2, 0.3, 42);
  CHECK(again.test == split.test);
  const auto other = dpa::tools::split_by_run(all, m, 0.2, 0.3, 43);
  CHECK(other.test != split.test);
}
