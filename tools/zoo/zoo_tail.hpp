// Follows a zoo the zoo writer appends to (zoo/zoo_writer): each call reads the rows committed
// since the last one, with their metrics lines. Several processes recording one sweep each follow
// what the others added.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

namespace dpa::tools {

class ZooTail {
 public:
  // data_file: weights.npy or statistics.npy of `dir`; row_floats: values per row.
  ZooTail(const std::string& dir, const std::string& data_file, std::uint64_t row_floats);
  // Calls row(index, values, metrics line) for each row committed since the last call, in order;
  // returns how many. Throws ToolError naming a file that is not as the writer leaves it.
  std::uint64_t read_new(const std::function<void(std::uint64_t, const float*, const std::string&)>& row);

 private:
  std::string data_path_, metrics_path_;
  std::uint64_t row_floats_, rows_ = 0, metrics_offset_ = 0;
};

}  // namespace dpa::tools
