// Predictions of many rows of a weights matrix through the runtime: on several threads, with the
// pages of rows done released behind (bounded memory on a zoo of any size) and progress on stderr.
// The one loop behind dpa predict and dpa eval.
#pragma once

#include <cstdint>
#include <vector>

#include "dpa/dpa.h"
#include "train/context.hpp"
#include "zoo/npy_file.hpp"
#include "zoo/zoo_dataset.hpp"

namespace dpa::tools {

struct RowPredictions {
  std::vector<float> values;         // one per row asked for; NaN where status is not DPA_OK
  std::vector<dpa_status> statuses;  // the runtime's status per row
};

// rows: the rows of `weights` to predict, in this order (nullptr: every row). A model that reads
// no weights gets none (weights then only numbers the rows). Context values come from `context`
// by row index.
RowPredictions predict_rows(const dpa_model& model, const NpyMatrix& weights, const ContextTable& context,
                            const std::vector<std::uint64_t>* rows, unsigned threads, bool show_progress);

// The same for rows of a zoo. A statistics zoo's rows are predicted from their stored statistics
// (zoo/feature_extraction) and context values, through the runtime's dpa_model_predict_features:
// the same predictions and statuses as from the weights.
RowPredictions predict_rows(const dpa_model& model, const ZooDataset& zoo, const ContextTable& context,
                            const std::vector<std::uint64_t>* rows, unsigned threads, bool show_progress);

}  // namespace dpa::tools
