#include "zoo/release_metrics.hpp"

#include <zlib.h>

#include <map>
#include <vector>

#include "common/atomic_file.hpp"
#include "common/errors.hpp"
#include "zoo/jsonl_reader.hpp"

namespace dpa::tools {

namespace {

// A CSV cell: quoted when it holds a comma, a quote or a line end.
std::string cell(const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string out = "\"";
  for (const char c : text) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

// gzip (RFC 1952) through zlib's deflate, streamed into an atomic file.
class GzipFile {
 public:
  explicit GzipFile(const std::string& path) : out_(path) {
    if (deflateInit2(&z_, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
      throw ToolError(path + ": cannot start gzip compression");
  }
  ~GzipFile() { deflateEnd(&z_); }
  GzipFile(const GzipFile&) = delete;
  GzipFile& operator=(const GzipFile&) = delete;

  void write(const std::string& text) { pump(text.data(), text.size(), Z_NO_FLUSH); }
  void commit() {
    pump(nullptr, 0, Z_FINISH);
    out_.commit();
  }

 private:
  void pump(const char* data, std::size_t size, int flush) {
    z_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data));
    z_.avail_in = static_cast<uInt>(size);
    int status = Z_OK;
    do {
      unsigned char buffer[1 << 16];
      z_.next_out = buffer;
      z_.avail_out = sizeof buffer;
      status = deflate(&z_, flush);
      if (status == Z_STREAM_ERROR) throw ToolError(out_.path() + ": gzip compression failed");
      out_.write(buffer, sizeof buffer - z_.avail_out);
    } while (z_.avail_out == 0 || (flush == Z_FINISH && status != Z_STREAM_END));
  }

  AtomicFile out_;
  z_stream z_{};
};

}  // namespace

void write_release_metrics(const std::string& dir, std::uint64_t rows) {
  const std::string source = dir + "/metrics.jsonl";
  JsonlReader reader(source, rows);
  std::map<std::string, std::size_t> sorted;  // name -> the reader's field
  for (std::size_t i = 0; i < reader.header().size(); ++i) sorted[reader.header()[i]] = i;
  const std::size_t modeldir = reader.column("modeldir"), step = reader.column("step");
  GzipFile out(dir + "/" + kReleaseMetricsFile);
  std::string line;
  for (const auto& [name, field] : sorted) line += "," + cell(name);
  out.write(line + "\n");
  std::vector<std::string> f;
  while (reader.next(f)) {
    line = cell(f[modeldir] + "/permanent_ckpt-" + f[step]);
    for (const auto& [name, field] : sorted) line += "," + cell(f[field]);
    out.write(line + "\n");
  }
  out.commit();
}

}  // namespace dpa::tools
