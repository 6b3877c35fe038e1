/* dnn-predict-accuracy runtime: C API.
 *
 * Dependency-free and allocation-free: every function works on memory the
 * caller passes in, never allocates, never throws, never does I/O. Usable from
 * C, C++ and any FFI (Python ctypes, Rust, ...). */
#ifndef DPA_DPA_H
#define DPA_DPA_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum dpa_status {
  DPA_OK = 0,
  DPA_ERR_NULL_ARGUMENT = 1,
  DPA_ERR_BAD_LAYOUT = 2,    /* empty, too many segments, overlapping or out-of-range segments */
  DPA_ERR_SIZE_MISMATCH = 3, /* weight vector length differs from the layout's total length */
  DPA_ERR_OUTPUT_TOO_SMALL = 4,
  DPA_ERR_SCRATCH_TOO_SMALL = 5,
  DPA_ERR_NON_FINITE = 6, /* NaN or Inf in a segment (its features are NaN) or in a context value */
  DPA_ERR_UNKNOWN_STATS_SET = 7,
  DPA_ERR_KERNEL_UNAVAILABLE = 8, /* the requested instruction set is not compiled in or not supported by this CPU */
  DPA_ERR_CONTEXT_MISSING = 9,    /* the model reads context values and fewer or more were passed */
  DPA_ERR_CONTEXT_VALUE = 10,     /* a context value outside its domain: a categorical code not in
                                     0..num_categories, a log-scaled value <= 0 */
  DPA_ERR_WRONG_TARGET = 11,      /* early stopping with a model that does not predict the run's
                                     final accuracy (DPA_TARGET_FINAL_TEST_ACCURACY) */
  DPA_ERR_NON_FINITE_PREDICTION = 12, /* the predictor's output is NaN or Inf (prediction set to NaN) */
  DPA_ERR_NOT_FOUND = 13,             /* no context value of that name, or index out of range */
  /* Model loading: the bytes are not a valid model. */
  DPA_ERR_MODEL_TRUNCATED = 20,  /* fewer bytes than the header or total_bytes say */
  DPA_ERR_MODEL_MAGIC = 21,      /* not a dpa model */
  DPA_ERR_MODEL_VERSION = 22,    /* a format major version this runtime does not read */
  DPA_ERR_MODEL_CHECKSUM = 23,   /* bytes changed after writing */
  DPA_ERR_MODEL_ALIGNMENT = 24,  /* model bytes not 4-byte aligned in memory */
  DPA_ERR_MODEL_SECTIONS = 25,   /* section table or a section's bounds, alignment or overlap */
  DPA_ERR_MODEL_MISSING = 26,    /* a required section is missing or present twice */
  DPA_ERR_MODEL_FEATURES = 27,   /* feature specification invalid (layout, stats set, count) */
  DPA_ERR_MODEL_OUTPUT = 28,     /* unknown output transform or target */
  DPA_ERR_MODEL_TREES = 29,      /* tree ensemble: counts, depth, feature index, size */
  DPA_ERR_MODEL_LINEAR = 30,     /* linear model: feature count or size */
  DPA_ERR_MODEL_MLP = 31,        /* MLP: layer count, shapes, activation or size */
  DPA_ERR_MODEL_NON_FINITE = 32, /* NaN or Inf among thresholds, leaves or parameters */
  DPA_ERR_MODEL_METADATA = 33,   /* metadata section too small for its text */
  DPA_ERR_MODEL_INPUTS = 34      /* input blocks, context values or their names invalid */
} dpa_status;

/* A short, static, human-readable description of a status. Never NULL. */
const char* dpa_status_string(dpa_status status);

/* ---- Layout: the weight vector as named segments ------------------------------------------ */

typedef enum dpa_segment_kind { DPA_SEGMENT_BIAS = 0, DPA_SEGMENT_KERNEL = 1, DPA_SEGMENT_OTHER = 2 } dpa_segment_kind;

/* 16 bytes, little-endian on disk: the model format stores segments in exactly this shape. */
typedef struct dpa_segment {
  uint32_t offset;   /* first float of the segment in the weight vector */
  uint32_t length;   /* number of floats, >= 1 */
  uint32_t kind;     /* dpa_segment_kind */
  uint32_t reserved; /* 0 */
} dpa_segment;

typedef struct dpa_layout {
  const dpa_segment* segments;
  uint32_t num_segments;
  uint32_t total_length; /* length of the whole weight vector */
} dpa_layout;

#define DPA_MAX_SEGMENTS 1024u
#define DPA_MAX_TOTAL_LENGTH (1u << 30)

/* The Small CNN Zoo layout: 8 segments, bias before kernel per layer, 4970 floats. The one
 * definition of the architecture's parameters, expanded by the runtime, the CNN trainer and zoo
 * train: X(offset, length, kind, TensorFlow variable name, shape as layout.csv writes it). */
#define DPA_ZOO_SEGMENT_TABLE(X)                                                      \
  X(0, 16, DPA_SEGMENT_BIAS, "sequential/conv2d/bias:0", "(16,)")                     \
  X(16, 144, DPA_SEGMENT_KERNEL, "sequential/conv2d/kernel:0", "(3, 3, 1, 16)")       \
  X(160, 16, DPA_SEGMENT_BIAS, "sequential/conv2d_1/bias:0", "(16,)")                 \
  X(176, 2304, DPA_SEGMENT_KERNEL, "sequential/conv2d_1/kernel:0", "(3, 3, 16, 16)")  \
  X(2480, 16, DPA_SEGMENT_BIAS, "sequential/conv2d_2/bias:0", "(16,)")                \
  X(2496, 2304, DPA_SEGMENT_KERNEL, "sequential/conv2d_2/kernel:0", "(3, 3, 16, 16)") \
  X(4800, 10, DPA_SEGMENT_BIAS, "sequential/dense/bias:0", "(10,)")                   \
  X(4810, 160, DPA_SEGMENT_KERNEL, "sequential/dense/kernel:0", "(16, 10)")
#define DPA_ZOO_TOTAL_LENGTH 4970u
#define DPA_ZOO_NUM_SEGMENTS 8u
const dpa_layout* dpa_zoo_layout(void);
/* Name of zoo segment i ("sequential/conv2d/bias:0", ...), or NULL when out of range. */
const char* dpa_zoo_segment_name(uint32_t index);

/* DPA_OK when 1 <= num_segments <= DPA_MAX_SEGMENTS, total_length <= DPA_MAX_TOTAL_LENGTH,
 * every segment has length >= 1, lies inside total_length, has a known kind, and no two overlap. */
dpa_status dpa_layout_check(const dpa_layout* layout);

/* ---- Statistics ---------------------------------------------------------------------------- */

/* Stable ids: a model file names the set of features it consumes by this number. */
typedef enum dpa_stats_set {
  /* Per segment: q0, q25, q50, q75, q100, std, mean (the paper's 7; 56 for the zoo). */
  DPA_STATS_PAPER = 1,
  /* Per segment: q0, q5, q25, q50, q75, q95, q100, std, mean, mean_abs, l2_norm, skewness,
   * excess_kurtosis, near_zero_share (share of |w| < 0.01 * max|w|). 14 per segment. */
  DPA_STATS_EXTENDED = 2
} dpa_stats_set;

/* Instruction-set kernels behind one interface. AUTO picks the best this CPU supports. */
typedef enum dpa_kernel {
  DPA_KERNEL_AUTO = 0,
  DPA_KERNEL_SCALAR = 1,
  DPA_KERNEL_SSE2 = 2,
  DPA_KERNEL_AVX2 = 3,
  DPA_KERNEL_NEON = 4,
  DPA_KERNEL_AVX512 = 5
} dpa_kernel;

/* The sets this build knows (DPA_EXTENDED_STATS=OFF leaves the extended set out): the id of set i
 * for i in 0..dpa_stats_set_count()-1 (0 past the end), and a set's name ("paper", "extended"; NULL
 * for an unknown set). Iterate these rather than the enum. */
uint32_t dpa_stats_set_count(void);
uint32_t dpa_stats_set_at(uint32_t index);
const char* dpa_stats_set_name(dpa_stats_set set);
/* Number of statistics per segment for a set, or 0 for an unknown set. */
uint32_t dpa_stats_per_segment(dpa_stats_set set);
/* Name of statistic i of a set ("q25", "std", ...), or NULL when out of range. */
const char* dpa_stats_name(dpa_stats_set set, uint32_t index);
/* Bytes of scratch memory dpa_stats_compute needs; independent of the layout. 0 for unknown sets.
 * No set needs more than DPA_STATS_SCRATCH_MAX_BYTES (for static buffers in firmware). */
#define DPA_STATS_SCRATCH_MAX_BYTES 3200u
size_t dpa_stats_scratch_size(dpa_stats_set set);
/* Every kernel the runtime knows, compiled in or not, best first: dpa_kernel_at(i) for i in
 * 0..dpa_kernel_count()-1 (DPA_KERNEL_AUTO past the end). Iterate these rather than the enum. */
uint32_t dpa_kernel_count(void);
dpa_kernel dpa_kernel_at(uint32_t index);
/* Is this kernel compiled in and supported by the running CPU? */
int dpa_kernel_available(dpa_kernel kernel);
/* The kernel DPA_KERNEL_AUTO resolves to on this CPU. */
dpa_kernel dpa_kernel_best(void);
const char* dpa_kernel_name(dpa_kernel kernel);

/* Computes the statistics of every segment in layout order into out
 * (num_segments * dpa_stats_per_segment(set) floats).
 *
 * Quantiles equal numpy.percentile(x.astype(float64), q) (method "linear") rounded to float32;
 * mean and std (ddof = 0) are computed in double. A segment holding NaN or Inf gets NaN for all
 * its statistics, the other segments are still computed, and the call returns DPA_ERR_NON_FINITE.
 * scratch: any alignment, at least dpa_stats_scratch_size(set) bytes. */
dpa_status dpa_stats_compute(const dpa_layout* layout, dpa_stats_set set, const float* weights, size_t num_weights,
                             float* out, size_t out_len, void* scratch, size_t scratch_bytes);

/* Same, with an explicit kernel (tests and benchmarks compare kernels with it). */
dpa_status dpa_stats_compute_with_kernel(const dpa_layout* layout, dpa_stats_set set, const float* weights,
                                         size_t num_weights, float* out, size_t out_len, void* scratch,
                                         size_t scratch_bytes, dpa_kernel kernel);

/* ---- Models: verify once, then predict without checks ---------------------------------------- */

/* What a model reads, as blocks whose features follow each other in the model's block order. */
typedef enum dpa_input_kind {
  DPA_INPUT_STATISTICS = 0,  /* per-segment statistics of the weight vector (the model's stats set) */
  DPA_INPUT_RAW_WEIGHTS = 1, /* the weight vector itself */
  DPA_INPUT_CONTEXT = 2      /* named values the caller passes: epoch, training metrics, hyperparameters */
} dpa_input_kind;
#define DPA_MAX_INPUT_BLOCKS 3u
/* "statistics", "raw_weights", "context", or NULL for an unknown kind. */
const char* dpa_input_kind_name(uint32_t kind);

typedef enum dpa_context_kind {
  DPA_CONTEXT_NUMERIC = 0,    /* a number, used as it is (or its log, see the transform) */
  DPA_CONTEXT_CATEGORICAL = 1 /* a category, passed as its code (dpa_model_context_code) */
} dpa_context_kind;

typedef enum dpa_context_transform {
  DPA_CONTEXT_AS_IS = 0,
  DPA_CONTEXT_LOG = 1 /* the feature is the natural log of the value, which must be > 0 */
} dpa_context_transform;

/* A verified model: pointers into the caller's bytes (zero copy). The bytes must stay alive and
 * unchanged while the model is used. Fill it with dpa_model_load; fields are read-only. */
typedef struct dpa_model {
  const unsigned char* bytes;
  uint32_t total_bytes;
  uint16_t version_major, version_minor;
  dpa_layout layout;       /* segments point into the bytes; 0 segments when no weights are read */
  uint32_t feature_kind;   /* dpa_input_kind of the weights block, DPA_INPUT_CONTEXT when none */
  dpa_stats_set stats_set; /* when feature_kind is statistics */
  uint32_t num_features;   /* all blocks' features */
  uint32_t predictor;      /* dpa_section_type of the predictor: GBDT, LINEAR, MLP or SPARSE_GBDT */
  const void* predictor_section;
  uint32_t output_transform; /* dpa_output_transform */
  uint32_t target;           /* dpa_target */
  uint32_t work_floats;      /* scratch the predictor needs: 2 x widest MLP layer, a byte per sparse
                                tree threshold (in floats), else 0 */
  const void* metadata;      /* dpa_metadata_section or NULL */
  const char* metadata_text; /* not NUL-terminated; metadata_text_bytes long */
  uint32_t metadata_text_bytes;
  /* Format 2 inputs (a format 1 file reads as one weights block and no context). */
  uint32_t num_input_blocks;
  uint32_t input_blocks[DPA_MAX_INPUT_BLOCKS]; /* dpa_input_kind of each block, in feature order */
  uint32_t num_context;                        /* context values the model reads */
  const void* context;                         /* dpa_context_input[num_context] (model_format.h) */
  const uint32_t* category_names;              /* offsets into strings */
  const char* strings;                         /* NUL-terminated names */
  uint32_t strings_bytes;
} dpa_model;

/* "gbdt", "linear", "mlp", "sparse-gbdt" for a predictor section type (dpa_model.predictor), else NULL. */
const char* dpa_predictor_name(uint32_t section_type);
/* "identity", "sigmoid", ... for a dpa_output_transform, or NULL for a value the runtime lacks. */
const char* dpa_output_transform_name(uint32_t transform);

/* Size of dpa_model in this build, for FFI callers that allocate it (Python ctypes). */
size_t dpa_model_struct_size(void);

/* Checks every offset, size, count, alignment, index and value of the bytes and their checksum;
 * on success fills *model with pointers into bytes. bytes must be 4-byte aligned (16 is best). */
dpa_status dpa_model_load(const void* bytes, size_t size, dpa_model* model);

/* Scratch bytes dpa_model_predict needs for this model. */
size_t dpa_model_scratch_size(const dpa_model* model);

/* Everything a prediction reads. weights: the model's layout.total_length floats (NULL and 0 when
 * the model reads no weights). context: the model's num_context values in its order (NULL and 0
 * when it has none): numbers as they are, categories as their codes (dpa_model_context_code). */
typedef struct dpa_inputs {
  const float* weights;
  size_t num_weights;
  const float* context;
  size_t num_context;
} dpa_inputs;

/* Inputs in, prediction out: features (the runtime's statistics, raw weights, context values) in
 * block order, then the predictor, then the output transform. On any error the prediction is NaN:
 * DPA_ERR_NON_FINITE when weights or context hold NaN/Inf, DPA_ERR_CONTEXT_MISSING when the
 * context count differs from the model's, DPA_ERR_CONTEXT_VALUE, DPA_ERR_SIZE_MISMATCH,
 * DPA_ERR_NON_FINITE_PREDICTION when the predictor's output is not finite. */
dpa_status dpa_model_predict_inputs(const dpa_model* model, const dpa_inputs* inputs, float* prediction, void* scratch,
                                    size_t scratch_bytes);

/* The model's features of its inputs (num_features floats, in block order). */
dpa_status dpa_model_features_inputs(const dpa_model* model, const dpa_inputs* inputs, float* features,
                                     size_t features_len, void* scratch, size_t scratch_bytes);

/* Weights only: dpa_model_predict_inputs without context (a model that reads context returns
 * DPA_ERR_CONTEXT_MISSING, never a prediction from made-up values). */
dpa_status dpa_model_predict(const dpa_model* model, const float* weights, size_t num_weights, float* prediction,
                             void* scratch, size_t scratch_bytes);

/* Weights only: dpa_model_features_inputs without context. */
dpa_status dpa_model_features(const dpa_model* model, const float* weights, size_t num_weights, float* features,
                              size_t features_len, void* scratch, size_t scratch_bytes);

/* Many rows in one call (FFI callers: one crossing for a whole matrix). Row r reads
 * weights + r * num_weights and context + r * num_context (either may be NULL when its count is
 * 0) and writes predictions[r]. Every row is predicted; a row that fails gets NaN. Returns DPA_OK
 * when every row succeeded, else the first failing row's status, with *failed (may be NULL) set
 * to the number of rows that failed. */
dpa_status dpa_model_predict_batch(const dpa_model* model, const float* weights, size_t num_weights,
                                   const float* context, size_t num_context, size_t rows, float* predictions,
                                   void* scratch, size_t scratch_bytes, size_t* failed);

/* The context block's features (num_context floats, after the model's transforms) of context
 * values, for trainers that assemble feature matrices from precomputed statistics. */
dpa_status dpa_model_context_features(const dpa_model* model, const float* context, size_t num_context, float* features,
                                      size_t features_len);

/* ---- Context values: resolve names once at setup, then pass plain floats ---------------------- */

typedef struct dpa_context_info {
  const char* name;        /* NUL-terminated, inside the model bytes */
  uint32_t kind;           /* dpa_context_kind */
  uint32_t transform;      /* dpa_context_transform */
  uint32_t num_categories; /* categorical: codes 0..num_categories-1 name categories, num_categories
                              stands for any other; numeric: 0 */
} dpa_context_info;

/* DPA_ERR_NOT_FOUND when index >= num_context. */
dpa_status dpa_model_context_info(const dpa_model* model, uint32_t index, dpa_context_info* info);
/* Name of category `code` of context value `index`, or NULL when either is out of range. */
const char* dpa_model_context_category(const dpa_model* model, uint32_t index, uint32_t code);
/* Index of the context value of that name, or -1. */
int32_t dpa_model_context_index(const dpa_model* model, const char* name);
/* The code of a category name for categorical value `index`: its position in the model's list, or
 * num_categories for a name the model never saw. DPA_ERR_NOT_FOUND when index is out of range or
 * the value is numeric. */
dpa_status dpa_model_context_code(const dpa_model* model, uint32_t index, const char* category, float* code);

/* The predictor and output transform alone, on precomputed features. scratch may be NULL only when
 * the model's work_floats is 0 (complete-tree GBDT, linear); dpa_model_scratch_size bytes always do. */
dpa_status dpa_model_predict_features(const dpa_model* model, const float* features, size_t num_features,
                                      float* prediction, void* scratch, size_t scratch_bytes);

/* ---- Early stopping: stop training runs that will end badly ---------------------------------- */

typedef enum dpa_decision {
  DPA_CONTINUE = 0,
  DPA_STOP_BELOW_THRESHOLD = 1, /* predicted final accuracy below stop_below */
  DPA_STOP_FAR_BELOW_BEST = 2   /* more than max_gap below the best prediction seen so far */
} dpa_decision;

/* State shared by the runs of one search; plain data, no heap. Fill the two rules, zero the rest
 * (dpa_early_stop_init does). A rule is off when its value is NaN (stop_below) or <= 0 (max_gap). */
typedef struct dpa_early_stop {
  float stop_below;     /* absolute threshold on the predicted final accuracy */
  float max_gap;        /* relative rule: stop when predicted < best_predicted - max_gap */
  float best_predicted; /* best prediction seen so far (-Inf before the first) */
  uint32_t checks;      /* predictions made */
  uint32_t stops;       /* of which said stop */
} dpa_early_stop;

void dpa_early_stop_init(dpa_early_stop* state, float stop_below, float max_gap);

/* Predicts the run's final accuracy from its current inputs (weights and context: the epoch, its
 * training metrics, its hyperparameters) with a model trained for DPA_TARGET_FINAL_TEST_ACCURACY
 * (any other target: DPA_ERR_WRONG_TARGET), decides whether to continue, and updates the state.
 * NaN/Inf weights or context give DPA_STOP_BELOW_THRESHOLD with status DPA_ERR_NON_FINITE (a
 * diverged run). On any other error the state is unchanged. */
dpa_status dpa_early_stop_check_inputs(const dpa_model* model, dpa_early_stop* state, const dpa_inputs* inputs,
                                       void* scratch, size_t scratch_bytes, float* predicted, dpa_decision* decision);

/* The decision alone, for a prediction already made (dpa_model_predict_inputs, a batch): the
 * rules and state updates of dpa_early_stop_check_inputs. A NaN or infinite prediction (a
 * diverged run) stops, as DPA_STOP_BELOW_THRESHOLD. A NULL state: DPA_CONTINUE, nothing recorded. */
dpa_decision dpa_early_stop_decide(dpa_early_stop* state, float predicted);

/* Weights only: dpa_early_stop_check_inputs without context. */
dpa_status dpa_early_stop_check(const dpa_model* model, dpa_early_stop* state, const float* weights, size_t num_weights,
                                void* scratch, size_t scratch_bytes, float* predicted, dpa_decision* decision);

/* CRC-32 (zlib polynomial) as the format uses it; exposed for writers. */
uint32_t dpa_crc32(const void* bytes, size_t size);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* DPA_DPA_H */
