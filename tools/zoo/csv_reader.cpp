#include "zoo/csv_reader.hpp"

#include <zlib.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>

#include "common/errors.hpp"
#include "common/files.hpp"

namespace dpa::tools {
CsvReader::CsvReader(const std::string& path) : RecordReader(path), buffer_(1 << 16) {
  check_input_file(path);
  gz_ = gzopen(path.c_str(), "rb");
  if (gz_ == nullptr) throw ToolError(path + ": cannot open: " + std::strerror(errno));
  // The destructor does not run when the constructor throws: close the file here then.
  try {
    skip_byte_order_mark();
    if (!read_record(header_)) throw ToolError(path + ": empty file (no header row)");
  } catch (...) {
    gzclose(static_cast<gzFile>(gz_));
    gz_ = nullptr;
    throw;
  }
}

CsvReader::~CsvReader() {
  if (gz_ != nullptr) gzclose(static_cast<gzFile>(gz_));
}

int CsvReader::get() {
  if (pos_ == len_) {
    const int n = gzread(static_cast<gzFile>(gz_), buffer_.data(), static_cast<unsigned>(buffer_.size()));
    if (n < 0) {
      int code = 0;
      const char* message = gzerror(static_cast<gzFile>(gz_), &code);
      throw ToolError(path_ + ": corrupt or unreadable near line " + std::to_string(line_) + ": " +
                      (code == Z_ERRNO ? std::strerror(errno) : message));
    }
    if (n == 0) {
      // The end of the input: a clean one only if the last gzip stream was complete (plain text
      // always is). Z_BUF_ERROR: the file ends inside a stream (truncated, or still being written).
      int code = 0;
      const char* message = gzerror(static_cast<gzFile>(gz_), &code);
      if (code == Z_BUF_ERROR) {
        throw ToolError(path_ + ": truncated: the gzip stream ends inside line " + std::to_string(line_));
      }
      if (code != Z_OK) throw ToolError(path_ + ": corrupt near line " + std::to_string(line_) + ": " + message);
      return -1;
    }
    pos_ = 0;
    len_ = static_cast<std::size_t>(n);
  }
  return static_cast<unsigned char>(buffer_[pos_++]);
}

void CsvReader::skip_byte_order_mark() {
  // Spreadsheet programs start UTF-8 files with EF BB BF; without this the first column's name
  // would carry those bytes and "missing column" errors would name a column the file shows.
  if (get() == -1) return;
  --pos_;  // the first buffer is loaded; nothing consumed
  if (len_ - pos_ >= 3 && std::memcmp(buffer_.data() + pos_, "\xef\xbb\xbf", 3) == 0) pos_ += 3;
}

int CsvReader::get_text() {
  const int c = get();
  if (c == 0) {
    throw ToolError(path_ + ":" + std::to_string(line_) + ": a NUL byte: not a text file (binary data, or UTF-16?)");
  }
  if (c == '\r') {
    const int d = get();
    if (d != '\n') {
      throw ToolError(
          path_ + ":" + std::to_string(line_) +
          ": a carriage return without a line feed (old Mac line ends?): save the file with LF or CRLF line ends");
    }
    return '\n';  // CRLF: one line end
  }
  return c;
}

bool CsvReader::read_record(std::vector<std::string>& fields) {
  fields.clear();
  int c = get_text();
  while (c == '\n') {  // blank lines between records
    ++line_;
    c = get_text();
  }
  if (c == -1) return false;
  record_line_ = line_;
  std::string field;
  bool quoted = false, was_quoted = false;
  std::size_t record_bytes = 0;
  for (;; c = get_text()) {
    // A record longer than any metrics row: a corrupt file or a decompression bomb, not data.
    if (++record_bytes > kMaxRecordBytes) {
      throw ToolError(path_ + ":" + std::to_string(record_line_) + ": a record longer than " +
                      std::to_string(kMaxRecordBytes >> 20) + " MB: not a metrics or layout file");
    }
    if (quoted) {
      if (c == -1) throw ToolError(path_ + ":" + std::to_string(record_line_) + ": unterminated quoted field");
      if (c == '"') {
        const int d = get_text();
        if (d == '"') {
          field += '"';
          continue;
        }
        quoted = false;
        c = d;  // fall through to handle the character after the closing quote
      } else {
        if (c == '\n') ++line_;
        field += static_cast<char>(c);
        continue;
      }
    }
    if (c == '"' && field.empty() && !was_quoted) {
      quoted = was_quoted = true;
      continue;
    }
    if (c == ',') {
      fields.push_back(std::move(field));
      field.clear();
      was_quoted = false;
      continue;
    }
    if (c == '\n' || c == -1) {
      if (c == '\n') ++line_;
      fields.push_back(std::move(field));
      return true;
    }
    field += static_cast<char>(c);
  }
}

bool CsvReader::next(std::vector<std::string>& fields) {
  if (!read_record(fields)) return false;
  if (fields.size() < header_.size()) {
    throw ToolError(path_ + ":" + std::to_string(record_line_) + ": " + std::to_string(fields.size()) +
                    " fields, the header has " + std::to_string(header_.size()));
  }
  return true;
}

std::size_t RecordReader::column(const std::string& name) const {
  for (std::size_t i = 0; i < header_.size(); ++i) {
    if (header_[i] == name) return i;
  }
  throw ToolError(path_ + ": missing column '" + name + "'");
}

namespace {

[[noreturn]] void not_a_number(const std::string& text, const RecordReader& reader, const std::string& column) {
  throw ToolError(reader.path() + ":" + std::to_string(reader.line()) + ": column '" + column + "': '" + text +
                  "' is not a finite number");
}

}  // namespace

// strtod's ERANGE is an overflow (±HUGE_VAL) or an underflow (a value near 0): only the first
// is not a number.
static bool overflowed(double v) { return errno == ERANGE && std::fabs(v) > 1; }

bool parse_metric_number(const std::string& text, float* value) {
  errno = 0;
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  // A finite double beyond float's range is not a usable number either; one too small for a
  // double (1e-320) is as usable as one too small for a float (1e-50): both read as (nearly) 0.
  *value = static_cast<float>(v);
  return !text.empty() && *end == '\0' && !overflowed(v) && std::isfinite(*value);
}

double parse_csv_number(const std::string& text, const RecordReader& reader, const std::string& column) {
  errno = 0;
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0' || overflowed(v) || !std::isfinite(v)) not_a_number(text, reader, column);
  return v;
}

float parse_csv_float(const std::string& text, const RecordReader& reader, const std::string& column) {
  float v;
  if (!parse_metric_number(text, &v)) not_a_number(text, reader, column);
  return v;
}

}  // namespace dpa::tools
