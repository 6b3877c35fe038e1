// Streaming CSV reader for metrics.csv(.gz) and layout.csv: gzip or plain text (zlib detects
// which), quoted fields with "" escapes and embedded newlines, a header row naming the columns;
// LF or CRLF line ends, an optional UTF-8 byte-order mark. NUL bytes and lone CRs are errors.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace dpa::tools {

// Records of text fields under a header naming the columns: what the metrics readers (CSV here,
// JSON lines in zoo/jsonl_reader) give the zoo reader alike.
class RecordReader {
 public:
  virtual ~RecordReader() = default;
  const std::vector<std::string>& header() const { return header_; }
  // Index of a header column, or throws ToolError "missing column NAME".
  std::size_t column(const std::string& name) const;
  // Reads the next record, one field per header column; false at the end. Throws ToolError
  // naming the file and line of what it cannot read.
  virtual bool next(std::vector<std::string>& fields) = 0;
  // 1-based line number of the last record read, for error messages.
  std::uint64_t line() const { return record_line_; }
  const std::string& path() const { return path_; }

 protected:
  explicit RecordReader(std::string path) : path_(std::move(path)) {}
  std::string path_;
  std::vector<std::string> header_;
  std::uint64_t record_line_ = 0;
};

class CsvReader : public RecordReader {
 public:
  static constexpr std::size_t kMaxRecordBytes = std::size_t{1} << 20;

  explicit CsvReader(const std::string& path);  // throws ToolError
  ~CsvReader() override;
  CsvReader(const CsvReader&) = delete;
  CsvReader& operator=(const CsvReader&) = delete;

  // Header = line 1. Throws ToolError on corrupt or truncated input (a gzip stream cut short is
  // not an end), a record longer than kMaxRecordBytes, or a record with fewer fields than the
  // header.
  bool next(std::vector<std::string>& fields) override;

 private:
  bool read_record(std::vector<std::string>& fields);
  void skip_byte_order_mark();
  int get();
  // get() for text: CRLF as one '\n'; a NUL byte or a lone CR is a ToolError naming the line.
  int get_text();

  void* gz_ = nullptr;
  std::vector<char> buffer_;
  std::size_t pos_ = 0, len_ = 0;
  std::uint64_t line_ = 1;
};

// Parses a finite decimal number or throws ToolError naming file, line and column.
double parse_csv_number(const std::string& text, const RecordReader& reader, const std::string& column);
// The same for a value kept as float: finite as a float too (1e300 is not).
float parse_csv_float(const std::string& text, const RecordReader& reader, const std::string& column);
// A metrics cell as a number: false for text, an empty cell, or a value beyond float's range.
bool parse_metric_number(const std::string& text, float* value);

}  // namespace dpa::tools
