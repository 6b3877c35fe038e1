// CRC-32 with a 16-entry table (64 bytes of flash): models are verified once, so a compact
// table beats a fast 1 KB one on microcontrollers.
#include <cstddef>
#include <cstdint>

#include "dpa/dpa.h"

namespace {

struct NibbleTable {
  std::uint32_t entries[16];
  constexpr NibbleTable() : entries() {
    for (std::uint32_t n = 0; n < 16; ++n) {
      std::uint32_t c = n;
      for (int k = 0; k < 4; ++k) c = (c & 1u) ? (c >> 1) ^ 0xEDB88320u : c >> 1;
      entries[n] = c;
    }
  }
};
constexpr NibbleTable kTable{};

}  // namespace

extern "C" uint32_t dpa_crc32(const void* bytes, size_t size) {
  const auto* p = static_cast<const unsigned char*>(bytes);
  std::uint32_t crc = 0xFFFFFFFFu;
  for (size_t i = 0; i < size; ++i) {
    crc = kTable.entries[(crc ^ p[i]) & 15u] ^ (crc >> 4);
    crc = kTable.entries[(crc ^ (p[i] >> 4)) & 15u] ^ (crc >> 4);
  }
  return ~crc;
}
