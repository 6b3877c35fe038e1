// metrics.jsonl, the metrics file the appending zoo writer keeps (zoo/zoo_writer): one JSON
// object per line, its names the columns (a name missing from a line is a missing value), read
// as text records like a CSV's. Only the first `committed` complete lines are records: lines
// after them are an append in progress (or cut by a crash) and are not read.
#pragma once

#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

#include "zoo/csv_reader.hpp"

namespace dpa::tools {

class JsonlReader : public RecordReader {
 public:
  static constexpr std::size_t kMaxLineBytes = std::size_t{1} << 20;

  // Reads the names of every committed line; throws ToolError naming the file and line of a line
  // that is not a JSON object of names and plain values.
  JsonlReader(const std::string& path, std::uint64_t committed);
  bool next(std::vector<std::string>& fields) override;

 private:
  bool next_line(std::string& line);  // the next complete line among the committed ones

  std::ifstream in_;
  std::uint64_t committed_, lines_read_ = 0;
};

// A JSON value of a metrics line as the text a CSV cell would hold: strings as they are, numbers
// in a form that reads back to the same double, true/false, null as "" (missing). Throws
// ToolError(where + ...) for arrays and objects.
std::string metrics_value_text(const void* json_value, const std::string& where, const std::string& name);

}  // namespace dpa::tools
