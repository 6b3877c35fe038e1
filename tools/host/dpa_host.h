/* The host side's C ABI (libdpa_host.so): what Python and other FFI callers reach of the host
 * library, so that they reuse its writers and learners instead of writing them again. Unlike the
 * runtime (dpa.h) it allocates, does I/O and uses threads. Every call returns 0 on success, or
 * non-zero with dpa_host_last_error() (this thread's) saying why in one line. */
#ifndef DPA_HOST_H
#define DPA_HOST_H

#include <stddef.h>
#include <stdint.h>

#include "dpa/dpa.h"

#ifdef __cplusplus
extern "C" {
#endif

/* This thread's message of its last failed call ("" before any). */
const char* dpa_host_last_error(void);

/* ---- Zoo writer (docs/zoo-format.md): appends checkpoints to a zoo directory ---------------- */
typedef struct dpa_host_zoo_writer dpa_host_zoo_writer;

/* store: "weights" or "statistics". Creates dir (and its files) when absent or empty; appends to
 * a zoo it made (of the same layout and store); refuses anything else. */
int dpa_host_zoo_writer_open(const char* dir, const dpa_layout* layout, const char* store, dpa_host_zoo_writer** out);
/* One checkpoint: weights (the layout's total_length floats) and its metrics as a JSON object
 * (modeldir, step, test_accuracy, config.epochs, other metrics and config.* values). */
int dpa_host_zoo_writer_add(dpa_host_zoo_writer* writer, const float* weights, size_t num_weights,
                            const char* metrics_json);
/* Rows in the zoo as of this writer's last add or open. */
uint64_t dpa_host_zoo_writer_rows(const dpa_host_zoo_writer* writer);
int dpa_host_zoo_writer_sync(dpa_host_zoo_writer* writer);
void dpa_host_zoo_writer_close(dpa_host_zoo_writer* writer);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* DPA_HOST_H */
