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
/* One checkpoint whose row is already made: a statistics zoo's row is the stored statistics of its
 * weights (`count` floats, as `dpa zoo stats` writes them), a weights zoo's the weights. */
int dpa_host_zoo_writer_add_row(dpa_host_zoo_writer* writer, const float* row, size_t count,
                                const char* metrics_json);
/* Rows in the zoo as of this writer's last add or open. */
uint64_t dpa_host_zoo_writer_rows(const dpa_host_zoo_writer* writer);
int dpa_host_zoo_writer_sync(dpa_host_zoo_writer* writer);
/* Writes the release format's metrics.csv.gz of the rows committed now (the next add removes it). */
int dpa_host_zoo_writer_release_metrics(dpa_host_zoo_writer* writer);
void dpa_host_zoo_writer_close(dpa_host_zoo_writer* writer);

/* ---- Sweep learner (tools/sweep/live_sweep.hpp): prunes a sweep, learning as trials finish ------ */
typedef struct dpa_host_sweep dpa_host_sweep;

typedef struct dpa_host_sweep_decision {
  int32_t stop;      /* 1: stop the trial */
  int32_t decided;   /* 1: a check was made (0: an audit trial, its last step, or not asked) */
  int32_t predicted; /* 1: the score is the learner's predictor's, 0: the observed metric */
  float score;       /* what the rule compared */
  double threshold;  /* the percentile of earlier trials' scores at the step (NaN: none yet) */
  int32_t audit;     /* 1: an audit trial, never stopped (chosen by a hash of its number and the seed) */
} dpa_host_sweep_decision;

/* options_json: {"percentile": 50, "startup": 5, "audit": 0, "seed": 0, "history": ["DIR", ...],
 * "background": true, "partial_curves": true}; any may be left out. Records into the statistics zoo in dir (made when
 * absent or empty), shared with other processes' sweeps of the same dir; "" records nowhere (the
 * study's storage holds the records, dpa.optuna.SweepPruner(None, ...)). */
int dpa_host_sweep_open(const char* dir, const dpa_layout* layout, const char* options_json, dpa_host_sweep** out);
/* A checkpoint of a trial. metrics_json: {"test_accuracy": ..., other numbers}, the same names at
 * every report; hyper_json: the trial's hyperparameters; epochs: its planned last step. layout:
 * this network's (NULL: the sweep's); it may differ from the sweep's in segment lengths alone. */
int dpa_host_sweep_report(dpa_host_sweep* sweep, const char* trial, uint32_t step, uint32_t epochs,
                          const float* weights, size_t num_weights, const char* metrics_json, const char* hyper_json,
                          int32_t decide, const dpa_layout* layout, dpa_host_sweep_decision* out);
/* The same with the checkpoint's statistics already computed: `count` floats, a row of the stored
 * statistics (a statistics zoo's row, `dpa zoo stats`) of a network of num_weights weights. */
int dpa_host_sweep_report_statistics(dpa_host_sweep* sweep, const char* trial, uint32_t step, uint32_t epochs,
                                     const float* statistics, size_t count, uint64_t num_weights,
                                     const char* metrics_json, const char* hyper_json, int32_t decide,
                                     dpa_host_sweep_decision* out);
/* Another worker's checkpoint, read from the study's storage: learnt, not recorded in this sweep's
 * directory, never decided; *fed is 0 when the learner had it already. */
int dpa_host_sweep_observe_statistics(dpa_host_sweep* sweep, const char* trial, uint32_t step, uint32_t epochs,
                                      const float* statistics, size_t count, uint64_t num_weights,
                                      const char* metrics_json, const char* hyper_json, int32_t* fed);
/* The trial was stopped (pruned, by any worker): the learner learns from its partial curve. */
int dpa_host_sweep_stopped(dpa_host_sweep* sweep, const char* trial);
/* The learner's state as JSON into buffer (NUL-terminated); *needed: the bytes it takes. */
int dpa_host_sweep_state(const dpa_host_sweep* sweep, char* buffer, size_t size, size_t* needed);
/* The score every trial that reached `step` has there now, as JSON {"trial": score, ...} into
 * buffer (NUL-terminated): what the rule compares a new trial's score with. A diverged trial's is
 * null (it ranks last). */
int dpa_host_sweep_scores(const dpa_host_sweep* sweep, uint32_t step, char* buffer, size_t size, size_t* needed);
/* One trial's score at `step` (NaN: it did not report that step; -inf: diverged) and the number
 * of the fit it comes from (0: the observed metric): a trial's score at a step changes only when
 * *fit does. */
int dpa_host_sweep_score(const dpa_host_sweep* sweep, const char* trial, uint32_t step, float* score,
                         uint32_t* fit);
/* The learner's current predictor as a model file (0 bytes before its first fit). */
int dpa_host_sweep_model(const dpa_host_sweep* sweep, unsigned char* buffer, size_t size, size_t* needed);
/* Waits for a background refit to end. */
int dpa_host_sweep_wait(dpa_host_sweep* sweep);
void dpa_host_sweep_close(dpa_host_sweep* sweep);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* DPA_HOST_H */
