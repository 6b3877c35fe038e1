#include "common/gzip.hpp"

#include <zlib.h>

#include "common/errors.hpp"

namespace dpa::tools {

std::string gzip_compress(const std::string& data) {
  z_stream z{};
  // windowBits 15 + 16: a gzip header and trailer, as gzopen/gzread expect.
  if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    throw ToolError("zlib: cannot start compression");
  }
  std::string out(deflateBound(&z, static_cast<uLong>(data.size())), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&z, Z_FINISH);
  const std::size_t written = out.size() - z.avail_out;
  deflateEnd(&z);
  if (rc != Z_STREAM_END) throw ToolError("zlib: compression failed");
  out.resize(written);
  return out;
}

}  // namespace dpa::tools
