// CSV from outside (gzip or plain): the streaming reader, the metrics reader and the layout reader.
#include <cstdint>
#include <string>
#include <vector>

#include "common/errors.hpp"
#include "memory_file.hpp"
#include "zoo/csv_reader.hpp"
#include "zoo/zoo_dataset.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  MemoryFile file(data, size);
  if (!file.ok()) return 0;
  try {
    dpa::tools::CsvReader reader(file.path());
    std::vector<std::string> fields;
    for (int i = 0; i < 10000 && reader.next(fields); ++i) {}
  } catch (const dpa::tools::ToolError&) {}
  try {
    dpa::tools::read_metrics_csv(file.path());
  } catch (const dpa::tools::ToolError&) {}
  try {
    dpa::tools::read_layout_csv(file.path(), 4970);
  } catch (const dpa::tools::ToolError&) {}
  return 0;
}
