#include "model/model_file.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "common/errors.hpp"
#include "common/files.hpp"

namespace dpa::tools {

ModelFile::ModelFile(const std::vector<unsigned char>& bytes) : storage_(bytes.size() / 8 + 1), size_(bytes.size()) {
  std::memcpy(storage_.data(), bytes.data(), bytes.size());
  verify("model bytes");
}

ModelFile::ModelFile(const std::string& path) {
  check_input_file(path);
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) throw ToolError(path + ": cannot open: " + std::strerror(errno));
  const std::streamoff size = in.tellg();
  if (size < 0 || size > (1ll << 32)) throw ToolError(path + ": unreadable size");
  size_ = static_cast<std::size_t>(size);
  storage_.assign(size_ / 8 + 1, 0);
  in.seekg(0);
  if (!in.read(reinterpret_cast<char*>(storage_.data()), size)) throw ToolError(path + ": read error");
  verify(path);
}

void ModelFile::verify(const std::string& what) {
  const dpa_status s = dpa_model_load(storage_.data(), size_, &model_);
  if (s != DPA_OK) throw ToolError(what + ": " + dpa_status_string(s));
}

std::string metadata_value(const dpa_model& model, const std::string& key) {
  if (model.metadata_text == nullptr) return "";
  std::istringstream lines(std::string(model.metadata_text, model.metadata_text_bytes));
  std::string line;
  while (std::getline(lines, line)) {
    if (line.compare(0, key.size() + 1, key + "=") == 0) return line.substr(key.size() + 1);
  }
  return "";
}

}  // namespace dpa::tools
