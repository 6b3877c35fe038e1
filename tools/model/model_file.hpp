// A model read from a file or bytes, aligned and verified by the runtime: the one way the tools
// hold a model. Not copyable: the verified dpa_model points into its own storage.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "dpa/dpa.h"

namespace dpa::tools {

class ModelFile {
 public:
  explicit ModelFile(const std::string& path);                  // throws ToolError naming the file
  explicit ModelFile(const std::vector<unsigned char>& bytes);  // throws ToolError
  ModelFile(const ModelFile&) = delete;
  ModelFile& operator=(const ModelFile&) = delete;

  const dpa_model& model() const { return model_; }
  const unsigned char* bytes() const { return reinterpret_cast<const unsigned char*>(storage_.data()); }
  std::size_t size() const { return size_; }

 private:
  void verify(const std::string& what);

  std::vector<std::uint64_t> storage_;  // 8-byte elements: the bytes are 8-byte aligned, as the runtime needs 4
  std::size_t size_ = 0;
  dpa_model model_{};
};

// The value of a key=value provenance line of a model, or "" when absent.
std::string metadata_value(const dpa_model& model, const std::string& key);

}  // namespace dpa::tools
