#include "dpa/dpa.h"

extern "C" const char* dpa_status_string(dpa_status status) {
  switch (status) {
    case DPA_OK: return "ok";
    case DPA_ERR_NULL_ARGUMENT: return "a required pointer argument is NULL";
    case DPA_ERR_BAD_LAYOUT: return "invalid layout: empty, too many segments, a segment out of range or overlapping";
    case DPA_ERR_SIZE_MISMATCH: return "weight vector length differs from the layout's length";
    case DPA_ERR_OUTPUT_TOO_SMALL: return "output buffer too small";
    case DPA_ERR_SCRATCH_TOO_SMALL: return "scratch buffer too small";
    case DPA_ERR_NON_FINITE: return "weights or context values contain NaN or Inf (affected features are NaN)";
    case DPA_ERR_UNKNOWN_STATS_SET: return "unknown statistics set id";
    case DPA_ERR_KERNEL_UNAVAILABLE: return "instruction-set kernel not available on this CPU";
    case DPA_ERR_CONTEXT_MISSING:
      return "the model reads context values (epoch, training metrics, hyperparameters) and their count differs";
    case DPA_ERR_CONTEXT_VALUE:
      return "a context value is outside its domain (categorical code not 0..n, log-scaled value <= 0)";
    case DPA_ERR_WRONG_TARGET:
      return "early stopping needs a model of the run's final test accuracy (--target final_test_accuracy)";
    case DPA_ERR_NON_FINITE_PREDICTION: return "the predictor's output is NaN or Inf";
    case DPA_ERR_NOT_FOUND: return "no such context value or category";
    case DPA_ERR_MODEL_TRUNCATED: return "model truncated: fewer bytes than its header says";
    case DPA_ERR_MODEL_MAGIC: return "not a dpa model (bad magic bytes)";
    case DPA_ERR_MODEL_VERSION: return "unsupported model format major version";
    case DPA_ERR_MODEL_CHECKSUM: return "model checksum mismatch: the bytes were changed or damaged";
    case DPA_ERR_MODEL_ALIGNMENT: return "model bytes must be 4-byte aligned in memory";
    case DPA_ERR_MODEL_SECTIONS: return "model section table invalid (bounds, alignment or overlap)";
    case DPA_ERR_MODEL_MISSING: return "model lacks a required section or repeats one";
    case DPA_ERR_MODEL_FEATURES: return "model feature specification invalid";
    case DPA_ERR_MODEL_OUTPUT: return "model output transform or target unknown";
    case DPA_ERR_MODEL_TREES: return "model tree ensemble invalid (counts, depth, feature index, size)";
    case DPA_ERR_MODEL_LINEAR: return "model linear predictor invalid (feature count or size)";
    case DPA_ERR_MODEL_MLP: return "model MLP invalid (layers, shapes, activation or size)";
    case DPA_ERR_MODEL_NON_FINITE: return "model holds NaN or Inf parameters";
    case DPA_ERR_MODEL_METADATA: return "model metadata section invalid";
    case DPA_ERR_MODEL_INPUTS: return "model inputs invalid (blocks, layout, context values or their names)";
  }
  return "unknown status";
}
