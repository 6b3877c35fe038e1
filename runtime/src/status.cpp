#include "dpa/dpa.h"

extern "C" const char* dpa_status_string(dpa_status status) {
  switch (status) {
    case DPA_OK: return "ok";
    case DPA_ERR_NULL_ARGUMENT: return "a required pointer argument is NULL";
    case DPA_ERR_BAD_LAYOUT:
      return "invalid layout: empty, too many segments, a segment out of range or overlapping";
    case DPA_ERR_SIZE_MISMATCH: return "weight vector length differs from the layout's length";
    case DPA_ERR_OUTPUT_TOO_SMALL: return "output buffer too small";
    case DPA_ERR_SCRATCH_TOO_SMALL: return "scratch buffer too small";
    case DPA_ERR_NON_FINITE: return "weights contain NaN or Inf (affected features are NaN)";
    case DPA_ERR_UNKNOWN_STATS_SET: return "unknown statistics set id";
    case DPA_ERR_KERNEL_UNAVAILABLE: return "instruction-set kernel not available on this CPU";
  }
  return "unknown status";
}
