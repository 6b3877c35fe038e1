/* The flat binary model format, version 2 (the runtime also reads version 1): on-disk structures
 * shared by the writer (tools/) and the verifier (runtime/). Everything little-endian; see
 * docs/model-format.md for the spec. */
#ifndef DPA_MODEL_FORMAT_H
#define DPA_MODEL_FORMAT_H

#include <stdint.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

#define DPA_MODEL_MAGIC "DPAMODEL"     /* 8 bytes, no terminator stored */
#define DPA_MODEL_VERSION_MAJOR 2u     /* what the writer writes; readers reject majors they do not know */
#define DPA_MODEL_VERSION_MAJOR_MIN 1u /* the oldest major this runtime still reads */
#define DPA_MODEL_VERSION_MINOR                                                                      \
  1u                            /* a reader accepts any minor: minors only append (2.1: SPARSE_GBDT, \
                                   more output transforms) */
#define DPA_MODEL_ALIGNMENT 16u /* every section starts at a multiple of this */
#define DPA_MODEL_MAX_SECTIONS 64u
#define DPA_MODEL_MAX_TREE_DEPTH 12u
#define DPA_MODEL_MAX_TREES (1u << 20)
#define DPA_MODEL_MAX_SPARSE_DEPTH 64u      /* longest root-to-leaf path of a sparse tree */
#define DPA_MODEL_MAX_THRESHOLDS 65535u     /* distinct split thresholds of a sparse ensemble */
#define DPA_MODEL_MAX_RIGHT_DISTANCE 16383u /* units from a sparse node to its right child */
#define DPA_MODEL_MAX_MLP_LAYERS 8u
#define DPA_MODEL_MAX_MLP_WIDTH 1024u
/* Bounds on context values keep the verifier's distinct-name checks (quadratic) fast. */
#define DPA_MODEL_MAX_CONTEXT 256u          /* context values of one model */
#define DPA_MODEL_MAX_CATEGORIES 1024u      /* category names of all its categorical values */
#define DPA_MODEL_MAX_VALUE_CATEGORIES 256u /* category names of one value */
#define DPA_MODEL_MAX_NAME_BYTES 128u       /* one name, without its NUL */

/* File header at offset 0 (32 bytes). checksum = CRC-32 (the zlib / IEEE 802.3 polynomial) of
 * bytes [12, total_bytes): everything after the checksum field. */
typedef struct dpa_model_header {
  char magic[8];
  uint32_t checksum;
  uint16_t version_major;
  uint16_t version_minor;
  uint32_t total_bytes;
  uint32_t section_count;
  uint32_t section_table_offset; /* multiple of 16; section_count entries */
  uint32_t reserved;             /* 0 */
} dpa_model_header;

typedef struct dpa_section_entry {
  uint32_t type;   /* dpa_section_type; readers skip types they do not know */
  uint32_t offset; /* multiple of 16 */
  uint32_t size;   /* bytes */
  uint32_t reserved;
} dpa_section_entry;

typedef enum dpa_section_type {
  DPA_SECTION_FEATURES = 1, /* format 1: required, once; format 2: not allowed */
  DPA_SECTION_OUTPUT = 2,   /* required, once */
  DPA_SECTION_METADATA = 3, /* optional, at most once */
  DPA_SECTION_INPUTS = 4,   /* format 2: required, once (format 1 readers skip it) */
  DPA_SECTION_GBDT = 16,    /* exactly one predictor section */
  DPA_SECTION_LINEAR = 17,
  DPA_SECTION_MLP = 18,
  DPA_SECTION_SPARSE_GBDT = 19 /* format 2.1 */
} dpa_section_type;

/* Format 1's feature kinds: the same numbers as the dpa_input_kind of the weights block. */
typedef enum dpa_feature_kind {
  DPA_FEATURES_STATISTICS = 0, /* per-segment statistics of the layout (stats_set) */
  DPA_FEATURES_RAW_WEIGHTS = 1 /* the weight vector itself */
} dpa_feature_kind;

/* FEATURES (format 1 only): 32 bytes, then num_segments dpa_segment (16 bytes each). */
typedef struct dpa_features_section {
  uint32_t kind;         /* dpa_feature_kind */
  uint32_t stats_set;    /* dpa_stats_set id when kind is statistics, else 0 */
  uint32_t total_length; /* length of the weight vector */
  uint32_t num_segments;
  uint32_t num_features; /* segments * stats per segment, or total_length for raw weights */
  uint32_t reserved[3];
} dpa_features_section;

/* INPUTS (format 2): what the model reads, as an ordered list of blocks whose features follow each
 * other in block order. 32 bytes, then num_blocks dpa_input_block, num_segments dpa_segment,
 * num_context dpa_context_input, num_categories u32 offsets of category names, and strings_bytes
 * of NUL-terminated UTF-8 names. Every offset of a name is into that string table. */
typedef struct dpa_inputs_section {
  uint32_t num_blocks;     /* 1..DPA_MAX_INPUT_BLOCKS, each dpa_input_kind at most once */
  uint32_t num_features;   /* the blocks' features added up */
  uint32_t total_length;   /* length of the weight vector; 0 when no block reads weights */
  uint32_t num_segments;   /* 1..1024 with a weights block, else 0 */
  uint32_t num_context;    /* context values (0..DPA_MODEL_MAX_CONTEXT), 0 without a context block */
  uint32_t num_categories; /* category names of all categorical context values */
  uint32_t strings_bytes;  /* size of the string table */
  uint32_t reserved;       /* 0 */
} dpa_inputs_section;

/* One block. Statistics and raw weights both read the weight vector: at most one of them. */
typedef struct dpa_input_block {
  uint32_t kind;         /* dpa_input_kind (dpa.h) */
  uint32_t stats_set;    /* statistics: dpa_stats_set id; else 0 */
  uint32_t num_features; /* statistics: segments x per segment; raw: total_length; context: num_context */
  uint32_t reserved;     /* 0 */
} dpa_input_block;

/* One context value: a number the caller passes with the weights (epoch, training loss, a
 * hyperparameter). Its feature is the value itself, its natural log (transform LOG: linear and MLP
 * models on wide-ranging positive columns), or, for a categorical value, the category's code: the
 * index of its name in the model's list, and num_categories for any name the model never saw. */
typedef struct dpa_context_input {
  uint32_t name;           /* offset of its NUL-terminated name: a metrics column, "config.optimizer" */
  uint16_t kind;           /* dpa_context_kind (dpa.h) */
  uint16_t transform;      /* dpa_context_transform (dpa.h); AS_IS for categorical values */
  uint32_t num_categories; /* categorical: 1..DPA_MODEL_MAX_VALUE_CATEGORIES, else 0 */
  uint32_t first_category; /* categorical: index of its first name in the category table, else 0 */
} dpa_context_input;

typedef enum dpa_output_transform {
  DPA_OUTPUT_IDENTITY = 0,
  DPA_OUTPUT_SIGMOID = 1,
  DPA_OUTPUT_CLAMP01 = 2,
  DPA_OUTPUT_EXP = 3,           /* 2.1: log-link objectives (Poisson, gamma, Tweedie) */
  DPA_OUTPUT_SIGNED_SQUARE = 4, /* 2.1: s * |s| (LightGBM reg_sqrt) */
  DPA_OUTPUT_SOFTPLUS = 5       /* 2.1: log(1 + e^s) (LightGBM cross_entropy_lambda) */
} dpa_output_transform;

typedef enum dpa_target {
  DPA_TARGET_TEST_ACCURACY = 0,       /* test accuracy of the checkpoint given */
  DPA_TARGET_FINAL_TEST_ACCURACY = 1, /* test accuracy the run reaches at its last checkpoint */
  DPA_TARGET_OTHER = 2
} dpa_target;

/* OUTPUT: 16 bytes. */
typedef struct dpa_output_section {
  uint32_t transform; /* dpa_output_transform, applied to the predictor's raw score */
  uint32_t target;    /* dpa_target: what the score means */
  uint32_t reserved[2];
} dpa_output_section;

/* GBDT: 32 bytes, then num_trees * (2^depth - 1) nodes, then num_trees * 2^depth leaf values.
 * Every tree is complete to `depth`: node i has children 2i+1 (x < threshold) and 2i+2
 * (otherwise); the leaf reached is node index - (2^depth - 1). Shallower trees are padded with
 * nodes whose two subtrees carry identical leaves. raw score = base_score + sum of leaves
 * (accumulated in double in tree order, rounded to float once). */
typedef struct dpa_gbdt_section {
  uint32_t num_trees;
  uint32_t depth;        /* 1..DPA_MODEL_MAX_TREE_DEPTH */
  uint32_t num_features; /* equals the model's feature count (INPUTS or FEATURES) */
  uint32_t reserved0;
  float base_score;
  uint32_t reserved[3];
} dpa_gbdt_section;

/* Bytes of a GBDT section of num_trees complete trees of that depth (the section is exactly this). */
static inline uint64_t dpa_gbdt_section_bytes(uint64_t num_trees, uint32_t depth) {
  return 32u + num_trees * ((((uint64_t)1 << depth) - 1) * 8u + ((uint64_t)4 << depth));
}

typedef struct dpa_tree_node {
  float threshold;  /* finite */
  uint32_t feature; /* < num_features */
} dpa_tree_node;

/* SPARSE_GBDT (format 2.1): trees of any shape, unpadded. 32 bytes, then num_split_features
 * dpa_split_feature, thresholds[num_thresholds] (float), tree_start[num_trees] (u32) and
 * units[num_units]: u32 with float32 leaves, u16 with float16 leaves (leaf_format); the section
 * is exactly that long.
 * Thresholds: split feature i owns the next num_thresholds of them, strictly ascending, not NaN;
 * a node names its threshold by its index g in the whole table and sends its split feature's
 * value x left when x < thresholds[g], except that with zero_mode LEFT / RIGHT a value with
 * |x| <= 1e-35f goes left / right whatever the threshold (LightGBM's zero-as-missing).
 * Tree t is units[tree_start[t], tree_start[t + 1]) (the last ends at num_units); tree_start[0] = 0.
 * Its nodes are in preorder: a tree of one unit is a leaf; otherwise its first unit is the root.
 * A leaf is one unit: its value (finite), float32 or float16 bits. An internal node is a 32-bit
 * word, one u32 unit or two u16 units (low half first):
 *   bits 0-15 g, bit 16: its left child is a leaf, bit 17: its right child is a leaf,
 *   bits 18-31: distance in units to its right child (node units + 1 .. 16383); the left child
 *   follows the node.
 * Every unit belongs to exactly one node of its tree; no node is deeper than
 * DPA_MODEL_MAX_SPARSE_DEPTH. raw score = base_score + sum of leaves, as for GBDT. */
typedef struct dpa_sparse_gbdt_section {
  uint32_t num_trees;          /* 1..DPA_MODEL_MAX_TREES */
  uint32_t num_features;       /* equals the model's feature count, at most 65535 */
  uint32_t num_split_features; /* 1..3 * num_features */
  uint32_t num_thresholds;     /* 1..DPA_MODEL_MAX_THRESHOLDS: the split features' counts added up */
  uint32_t num_units;          /* all trees' nodes */
  float base_score;
  uint32_t max_depth;   /* the deepest leaf's depth (verified) */
  uint32_t leaf_format; /* dpa_leaf_format */
} dpa_sparse_gbdt_section;

typedef enum dpa_leaf_format {
  DPA_LEAF_FLOAT32 = 0, /* u32 units: a leaf is a float32 */
  DPA_LEAF_FLOAT16 = 1  /* u16 units: a leaf is an IEEE binary16 (opt-in: 2 bytes less per leaf) */
} dpa_leaf_format;

/* An internal node's 32-bit word. */
#define DPA_SPARSE_INDEX_MASK 0xFFFFu   /* bits 0-15: the threshold's index g */
#define DPA_SPARSE_LEAF_FLAGS_SHIFT 16u /* bit 16: left child a leaf, bit 17: right child a leaf */
#define DPA_SPARSE_LEFT_LEAF (1u << 16)
#define DPA_SPARSE_RIGHT_LEAF (1u << 17)
#define DPA_SPARSE_DISTANCE_SHIFT 18u /* bits 18-31: distance in units to the right child */
/* A value this close to zero is "zero" for the zero modes (LightGBM's kZeroThreshold). */
#define DPA_ZERO_THRESHOLD 1e-35f

/* Bytes of a SPARSE_GBDT section with this header (the section is exactly this). */
static inline uint64_t dpa_sparse_gbdt_section_bytes(const dpa_sparse_gbdt_section* s) {
  const uint64_t unit_bytes = s->leaf_format == DPA_LEAF_FLOAT16 ? 2u : 4u;
  return 32u + (uint64_t)s->num_split_features * 8u + 4u * ((uint64_t)s->num_thresholds + s->num_trees) +
         unit_bytes * s->num_units;
}

typedef enum dpa_zero_mode {
  DPA_ZERO_AS_IS = 0, /* the value compares as it is */
  DPA_ZERO_LEFT = 1,  /* |x| <= 1e-35f goes left whatever the threshold */
  DPA_ZERO_RIGHT = 2  /* |x| <= 1e-35f goes right whatever the threshold */
} dpa_zero_mode;

/* A float16 leaf's value: IEEE binary16 to float32, exactly (every half is a float). Writers round
 * with the same definition (round to nearest, ties to even) and predict from the rounded values. */
static inline float dpa_half_to_float(uint16_t h) {
  const uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
  const uint32_t exponent = (h >> 10) & 0x1Fu, mantissa = h & 0x3FFu;
  uint32_t bits;
  float f;
  if (exponent == 0) { /* zero or subnormal: mantissa x 2^-24, exact in float */
    f = (float)mantissa * (1.0f / 16777216.0f);
    memcpy(&bits, &f, sizeof bits);
    bits |= sign;
  } else if (exponent == 31) {
    bits = sign | 0x7F800000u | (mantissa << 13);
  } else {
    bits = sign | ((exponent + 112u) << 23) | (mantissa << 13);
  }
  memcpy(&f, &bits, sizeof f);
  return f;
}

typedef struct dpa_split_feature {
  uint16_t feature;        /* < num_features */
  uint16_t zero_mode;      /* dpa_zero_mode */
  uint32_t num_thresholds; /* >= 1 */
} dpa_split_feature;

/* LINEAR: 32 bytes, then mean[F], inv_scale[F], weight[F] (F = num_features floats each).
 * raw score = intercept + sum_i weight[i] * (x[i] - mean[i]) * inv_scale[i] (double sum). */
typedef struct dpa_linear_section {
  uint32_t num_features;
  uint32_t reserved0[3];
  float intercept;
  uint32_t reserved1[3];
} dpa_linear_section;

typedef enum dpa_activation {
  DPA_ACTIVATION_NONE = 0,
  DPA_ACTIVATION_RELU = 1,
  DPA_ACTIVATION_TANH = 2
} dpa_activation;

/* MLP: 16 bytes, then input mean[F], input inv_scale[F], then num_layers layers, each a
 * dpa_mlp_layer followed by weight[outputs][inputs] (row-major) and bias[outputs]. The first
 * layer has F inputs, each next layer as many inputs as the previous has outputs, the last layer
 * one output. raw score = the last layer's output. */
typedef struct dpa_mlp_section {
  uint32_t num_layers; /* 1..DPA_MODEL_MAX_MLP_LAYERS */
  uint32_t num_inputs; /* equals the model's feature count */
  uint32_t reserved[2];
} dpa_mlp_section;

typedef struct dpa_mlp_layer {
  uint32_t inputs;
  uint32_t outputs;    /* 1..DPA_MODEL_MAX_MLP_WIDTH */
  uint32_t activation; /* dpa_activation, applied after weight * x + bias */
  uint32_t reserved;
} dpa_mlp_layer;

/* METADATA: training provenance, 48 bytes then text_bytes of UTF-8 "key=value\n" lines. */
typedef struct dpa_metadata_section {
  uint32_t train_rows;
  uint32_t validation_rows;
  uint32_t test_rows;
  uint32_t split_seed;
  float validation_r2;
  float validation_kendall_tau;
  float test_r2;
  float test_kendall_tau;
  float test_mae;
  float test_rmse;
  uint32_t text_bytes;
  uint32_t reserved;
} dpa_metadata_section;

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* DPA_MODEL_FORMAT_H */
