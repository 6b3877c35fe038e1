#include "zoo/jsonl_reader.hpp"

#include <cstdio>
#include <nlohmann/json.hpp>
#include <unordered_map>

#include "common/errors.hpp"
#include "common/files.hpp"

namespace dpa::tools {

using Json = nlohmann::json;

std::string metrics_value_text(const void* json_value, const std::string& where, const std::string& name) {
  const Json& v = *static_cast<const Json*>(json_value);
  switch (v.type()) {
    case Json::value_t::string: return v.get<std::string>();
    case Json::value_t::number_integer: return std::to_string(v.get<std::int64_t>());
    case Json::value_t::number_unsigned: return std::to_string(v.get<std::uint64_t>());
    case Json::value_t::number_float: {
      char text[32];
      std::snprintf(text, sizeof text, "%.17g", v.get<double>());
      return text;
    }
    case Json::value_t::boolean: return v.get<bool>() ? "true" : "false";
    case Json::value_t::null: return "";
    default:
      throw ToolError(where + ": '" + name + "' holds a list or an object; a metrics value is a number or a text");
  }
}

JsonlReader::JsonlReader(const std::string& path, std::uint64_t committed) : RecordReader(path), committed_(committed) {
  check_input_file(path);
  in_.open(path, std::ios::binary);
  if (!in_) throw ToolError(path + ": cannot open");
  std::unordered_map<std::string, std::size_t> seen;
  std::string line;
  while (next_line(line)) {
    const Json j = Json::parse(line, nullptr, false);
    const std::string where = path + ":" + std::to_string(record_line_);
    if (j.is_discarded() || !j.is_object()) throw ToolError(where + ": not a JSON object (one per line)");
    for (const auto& [name, value] : j.items()) {
      if (seen.emplace(name, header_.size()).second) header_.push_back(name);
    }
  }
  in_.clear();
  in_.seekg(0);
  lines_read_ = 0;
  record_line_ = 0;
}

bool JsonlReader::next_line(std::string& line) {
  if (lines_read_ == committed_) return false;
  line.clear();
  // Read up to the line end, never more than the limit: a file of one endless line is an error,
  // not an allocation of its size.
  for (int c = in_.get(); c != '\n'; c = in_.get()) {
    if (c == std::char_traits<char>::eof()) return false;  // no line end: a line still being written
    if (line.size() == kMaxLineBytes) {
      throw ToolError(path_ + ":" + std::to_string(lines_read_ + 1) + ": a line longer than " +
                      std::to_string(kMaxLineBytes) + " bytes");
    }
    line += static_cast<char>(c);
  }
  ++lines_read_;
  record_line_ = lines_read_;
  return true;
}

bool JsonlReader::next(std::vector<std::string>& fields) {
  std::string line;
  if (!next_line(line)) return false;
  const Json j = Json::parse(line, nullptr, false);
  const std::string where = path_ + ":" + std::to_string(record_line_);
  if (j.is_discarded() || !j.is_object()) throw ToolError(where + ": not a JSON object (one per line)");
  fields.assign(header_.size(), std::string());
  for (std::size_t c = 0; c < header_.size(); ++c) {
    const auto it = j.find(header_[c]);
    if (it != j.end()) fields[c] = metrics_value_text(&*it, where, header_[c]);
  }
  return true;
}

}  // namespace dpa::tools
