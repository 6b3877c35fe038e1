// The C ABI of libdpa_host.so over the host library: exceptions become a status and this
// thread's message.
#include <exception>
#include <memory>
#include <string>

#include "dpa_host.h"
#include "zoo/zoo_writer.hpp"

using dpa::tools::ZooWriter;

struct dpa_host_zoo_writer {
  std::unique_ptr<ZooWriter> writer;
};

namespace {

thread_local std::string last_error;

template <typename F>
int guarded(F&& f) {
  try {
    f();
    last_error.clear();
    return 0;
  } catch (const std::exception& e) { last_error = e.what(); } catch (...) {
    last_error = "unknown error";
  }
  return 1;
}

int null_argument(const char* which) {
  last_error = std::string(which) + " is NULL";
  return 1;
}

}  // namespace

extern "C" {

const char* dpa_host_last_error(void) { return last_error.c_str(); }

int dpa_host_zoo_writer_open(const char* dir, const dpa_layout* layout, const char* store, dpa_host_zoo_writer** out) {
  if (dir == nullptr || layout == nullptr || store == nullptr || out == nullptr) return null_argument("an argument");
  *out = nullptr;
  return guarded([&] {
    auto handle = std::make_unique<dpa_host_zoo_writer>();
    handle->writer = std::make_unique<ZooWriter>(dir, *layout, dpa::tools::parse_zoo_store(store));
    *out = handle.release();
  });
}

int dpa_host_zoo_writer_add(dpa_host_zoo_writer* writer, const float* weights, size_t num_weights,
                            const char* metrics_json) {
  if (writer == nullptr || weights == nullptr || metrics_json == nullptr) return null_argument("an argument");
  return guarded([&] { writer->writer->add(weights, num_weights, metrics_json); });
}

uint64_t dpa_host_zoo_writer_rows(const dpa_host_zoo_writer* writer) {
  return writer == nullptr ? 0 : writer->writer->rows();
}

int dpa_host_zoo_writer_sync(dpa_host_zoo_writer* writer) {
  if (writer == nullptr) return null_argument("writer");
  return guarded([&] { writer->writer->sync(); });
}

void dpa_host_zoo_writer_close(dpa_host_zoo_writer* writer) { delete writer; }

}  // extern "C"
