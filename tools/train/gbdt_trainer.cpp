#include "train/gbdt_trainer.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <numeric>
#include <random>

#include "common/errors.hpp"
#include "common/parallel.hpp"

namespace dpa::tools {
namespace {

// Per-feature cut points: bin(x) = number of cuts <= x, so "bin <= b" is exactly x < cuts[b].
struct Bins {
  std::vector<std::vector<float>> cuts;  // per feature, ascending
  std::vector<std::uint8_t> codes;       // feature-major: codes[f * rows + r]
  // The same codes row-major, by_row[r * cols + f], for histograms: a node's rows lie scattered
  // over the matrix, and a row's codes side by side can be fetched ahead of use (build_histogram)
  // where the feature-major codes cost a miss per feature. Empty for wide matrices (raw weights),
  // where a second copy would not fit.
  std::vector<std::uint8_t> by_row;
  std::size_t rows = 0, cols = 0;
};

constexpr std::size_t kRowMajorMaxCols = 256;

void transpose_codes(Bins& b, ThreadPool& pool) {
  b.by_row.resize(b.codes.size());
  constexpr std::size_t kBlock = 4096;
  pool.parallel_for((b.rows + kBlock - 1) / kBlock, [&](std::size_t block) {
    const std::size_t first = block * kBlock, last = std::min(b.rows, first + kBlock);
    for (std::size_t f = 0; f < b.cols; ++f) {
      const std::uint8_t* column = &b.codes[f * b.rows];
      for (std::size_t r = first; r < last; ++r) b.by_row[r * b.cols + f] = column[r];
    }
  });
}

Bins make_bins(const MatrixView& x, int max_bins, ThreadPool& pool) {
  Bins b;
  b.rows = x.rows;
  b.cols = x.cols;
  b.cuts.resize(x.cols);
  b.codes.resize(x.cols * x.rows);
  pool.parallel_for(x.cols, [&](std::size_t f) {
    std::vector<float> values(x.rows);
    for (std::size_t r = 0; r < x.rows; ++r) values[r] = x.row(r)[f];
    std::vector<float> sorted = values;
    std::sort(sorted.begin(), sorted.end());
    std::vector<float> distinct;
    for (float v : sorted)
      if (distinct.empty() || v != distinct.back()) distinct.push_back(v);
    std::vector<float>& cuts = b.cuts[f];
    const std::size_t wanted = static_cast<std::size_t>(max_bins) - 1;
    if (distinct.size() <= wanted + 1) {
      // Few values: a cut between every pair of neighbours.
      for (std::size_t i = 1; i < distinct.size(); ++i)
        cuts.push_back(distinct[i - 1] + (distinct[i] - distinct[i - 1]) / 2);
    } else {
      // Quantile cuts over the rows (not the distinct values), midway between neighbours.
      for (std::size_t k = 1; k <= wanted; ++k) {
        const std::size_t at = k * sorted.size() / (wanted + 1);
        const float hi = sorted[at];
        const auto below = std::lower_bound(sorted.begin(), sorted.end(), hi);
        if (below == sorted.begin()) continue;
        const float lo = *(below - 1);
        const float cut = lo + (hi - lo) / 2;
        if (cuts.empty() || cut > cuts.back()) cuts.push_back(cut);
      }
    }
    std::uint8_t* codes = &b.codes[f * x.rows];
    for (std::size_t r = 0; r < x.rows; ++r) {
      codes[r] = static_cast<std::uint8_t>(std::upper_bound(cuts.begin(), cuts.end(), values[r]) - cuts.begin());
    }
  });
  if (b.cols <= kRowMajorMaxCols) transpose_codes(b, pool);
  return b;
}

// A histogram bin's gradient and hessian sums, or a row's own pair. Deliberately uninitialised:
// histograms zero only the features they use.
struct HistBin {
  double gradient, hessian;
};

struct Split {
  double gain = 0;
  std::uint32_t feature = 0;
  std::uint32_t bin = 0;  // rows with code <= bin go left
  bool valid = false;
};

struct NodeState {
  std::size_t begin = 0, end = 0;            // its rows: order[begin, end) of the tree's row order
  std::size_t rest_begin = 0, rest_end = 0;  // its rows left out of the sample: rest[rest_begin, rest_end)
  std::unique_ptr<HistBin[]> hist;           // the tree's features, each with the bins it uses (HistLayout)
  double gradient = 0, hessian = 0;
  std::int32_t tree_index = 0;  // position in Tree::nodes
};

// Where a tree's features keep their bins in its histograms: one after the other, each only the
// bins it uses, so a histogram's size follows the features sampled for the tree and their
// distinct values (thousands of raw weights, few rows) rather than all features x 256.
struct HistLayout {
  std::vector<std::size_t> offset;  // per position in the tree's feature list
  std::size_t total = 0;
  HistLayout(const Bins& bins, const std::vector<std::uint32_t>& features) {
    for (const std::uint32_t f : features) {
      offset.push_back(total);
      total += bins.cuts[f].size() + 1;
    }
  }
};

// Histogram buffers are needed per node: recycle them instead of returning them to the
// allocator (which would hand fresh, page-faulting memory back). Buffers are as large as the
// largest histogram asked for so far.
class HistogramPool {
 public:
  std::unique_ptr<HistBin[]> acquire(std::size_t size) {
    if (size > size_) {
      free_.clear();
      size_ = size;
    }
    if (free_.empty()) return std::unique_ptr<HistBin[]>(new HistBin[size_]);
    auto h = std::move(free_.back());
    free_.pop_back();
    return h;
  }
  void release(std::unique_ptr<HistBin[]> h) {
    if (h) free_.push_back(std::move(h));
  }

 private:
  std::size_t size_ = 0;
  std::vector<std::unique_ptr<HistBin[]>> free_;
};

// Small nodes are not worth waking the other threads for: the trainer builds many of them at
// once instead, one per thread.
bool histogram_is_large(std::size_t rows, std::size_t features) { return rows * features >= 65536; }

// Each feature's histogram sums its rows in row order, whatever the grouping below: the result
// does not depend on the thread count. Large nodes: features go to the threads in groups (pool);
// small ones are built whole on one thread (nullptr), many at once. A group walks its rows once,
// reading each row's gradient pair once for all the group's features.

// Adds rows[0, count) to cells[i] for features columns[0, width), row by row, each row adding to
// every feature: consecutive additions go to different features' cells, so they do not wait on
// each other as a run of rows in one bin of one feature would.
void add_rows(const Bins& bins, const std::uint32_t* columns, HistBin* const* cells, std::size_t width,
              const std::uint32_t* rows, std::size_t count, const std::vector<HistBin>& pairs) {
  if (bins.by_row.empty()) {
    std::vector<const std::uint8_t*> codes(width);
    for (std::size_t i = 0; i < width; ++i) codes[i] = &bins.codes[columns[i] * bins.rows];
    for (std::size_t k = 0; k < count; ++k) {
      const std::uint32_t r = rows[k];
      const HistBin pair = pairs[r];
      for (std::size_t i = 0; i < width; ++i) {
        HistBin& cell = cells[i][codes[i][r]];
        cell.gradient += pair.gradient;
        cell.hessian += pair.hessian;
      }
    }
    return;
  }
  // A node's rows lie scattered over the matrix: fetching a row's codes and pair this many rows
  // ahead measured 1.2x faster at 216k rows.
  constexpr std::size_t kAhead = 16;
  for (std::size_t k = 0; k < count; ++k) {
    if (k + kAhead < count) {
      __builtin_prefetch(&bins.by_row[rows[k + kAhead] * bins.cols]);
      __builtin_prefetch(&pairs[rows[k + kAhead]]);
    }
    const std::uint32_t r = rows[k];
    const HistBin pair = pairs[r];
    const std::uint8_t* codes = &bins.by_row[r * bins.cols];
    for (std::size_t i = 0; i < width; ++i) {
      HistBin& cell = cells[i][codes[columns[i]]];
      cell.gradient += pair.gradient;
      cell.hessian += pair.hessian;
    }
  }
}

void build_histogram(const Bins& bins, const std::vector<std::uint32_t>& features, const HistLayout& layout,
                     const std::uint32_t* rows, std::size_t count, const std::vector<HistBin>& pairs, HistBin* hist,
                     ThreadPool* pool) {
  const std::size_t groups = pool ? std::min<std::size_t>(features.size(), 2 * pool->size()) : 1;
  const std::size_t per_group = (features.size() + groups - 1) / groups;
  auto fill = [&](std::size_t g) {
    const std::size_t first = g * per_group, last = std::min(features.size(), first + per_group);
    std::vector<HistBin*> cells(last - first);
    for (std::size_t i = first; i < last; ++i) {
      HistBin* h = cells[i - first] = &hist[layout.offset[i]];
      const std::size_t used = bins.cuts[features[i]].size() + 1;
      for (std::size_t b = 0; b < used; ++b) h[b] = HistBin{0.0, 0.0};
    }
    add_rows(bins, &features[first], cells.data(), last - first, rows, count, pairs);
  };
  if (groups > 1) {
    pool->parallel_for(groups, fill);
  } else {
    fill(0);
  }
}

// Stably partitions rows[0, count) in place by the split's codes: rows going left first, then the
// others (held in scratch meanwhile). went(row, left) sees every row in order. Returns how many
// went left.
template <class Went>
std::size_t split_in_place(const Bins& bins, const Split& split, std::uint32_t* rows, std::size_t count,
                           std::uint32_t* scratch, Went went) {
  const std::uint8_t* codes = &bins.codes[split.feature * bins.rows];
  std::size_t to_left = 0, to_right = 0;
  for (std::size_t i = 0; i < count; ++i) {
    const std::uint32_t r = rows[i];
    const bool left = codes[r] <= split.bin;
    if (left) rows[to_left++] = r;  // to_left <= i: never overwrites a row still to read
    else scratch[to_right++] = r;
    went(r, left);
  }
  std::copy(scratch, scratch + to_right, rows + to_left);
  return to_left;
}

// Splits node's sampled rows (order[begin, end); scratch: the same range of another array),
// summing each side's gradients in row order, and its rows left out of the sample
// (rest[rest_begin, rest_end)), which only need their leaf.
void partition_rows(const Bins& bins, const Split& split, const NodeState& node, std::vector<std::uint32_t>& order,
                    std::vector<std::uint32_t>& scratch, std::vector<std::uint32_t>& rest,
                    std::vector<std::uint32_t>& rest_scratch, const std::vector<HistBin>& pairs, NodeState& left,
                    NodeState& right) {
  const std::size_t to_left = split_in_place(bins, split, &order[node.begin], node.end - node.begin,
                                             &scratch[node.begin], [&](std::uint32_t r, bool went_left) {
                                               NodeState& side = went_left ? left : right;
                                               side.gradient += pairs[r].gradient;
                                               side.hessian += pairs[r].hessian;
                                             });
  left.begin = node.begin;
  left.end = right.begin = node.begin + to_left;
  right.end = node.end;
  const std::size_t rest_left = split_in_place(bins, split, &rest[node.rest_begin], node.rest_end - node.rest_begin,
                                               &rest_scratch[node.rest_begin], [](std::uint32_t, bool) {});
  left.rest_begin = node.rest_begin;
  left.rest_end = right.rest_begin = node.rest_begin + rest_left;
  right.rest_end = node.rest_end;
}

// The best split of features[first, last) by the rule: a candidate replaces the best so far when
// its gain exceeds it by more than 1e-12.
Split best_split_of(const Bins& bins, const std::vector<std::uint32_t>& features, const HistLayout& layout,
                    const NodeState& node, const GbdtParams& p, std::size_t first, std::size_t last) {
  Split best;
  const double parent = node.gradient * node.gradient / (node.hessian + p.lambda);
  for (std::size_t i = first; i < last; ++i) {
    const std::uint32_t f = features[i];
    const HistBin* h = &node.hist[layout.offset[i]];
    const std::size_t used = bins.cuts[f].size() + 1;
    double gl = 0, hl = 0;
    for (std::size_t b = 0; b + 1 < used; ++b) {
      gl += h[b].gradient;
      hl += h[b].hessian;
      const double gr = node.gradient - gl, hr = node.hessian - hl;
      if (hl < p.min_child_weight || hr < p.min_child_weight) continue;
      const double gain = gl * gl / (hl + p.lambda) + gr * gr / (hr + p.lambda) - parent;
      if (gain > best.gain + 1e-12 && gain > p.min_split_gain) {
        best = {gain, f, static_cast<std::uint32_t>(b), true};
      }
    }
  }
  return best;
}

// Many features (raw weights): fixed chunks of features on the pool, their bests combined in
// chunk order by the same rule, so the split does not depend on the number of threads.
Split best_split(const Bins& bins, const std::vector<std::uint32_t>& features, const HistLayout& layout,
                 const NodeState& node, const GbdtParams& p, ThreadPool& pool) {
  constexpr std::size_t kChunkBins = 1 << 15;
  if (layout.total <= kChunkBins) return best_split_of(bins, features, layout, node, p, 0, features.size());
  std::vector<std::size_t> bounds = {0};  // chunk boundaries, about kChunkBins bins each
  for (std::size_t i = 0; i < features.size(); ++i) {
    if (layout.offset[i] - layout.offset[bounds.back()] >= kChunkBins) bounds.push_back(i);
  }
  bounds.push_back(features.size());
  std::vector<Split> chunk_best(bounds.size() - 1);
  pool.parallel_for(chunk_best.size(), [&](std::size_t c) {
    chunk_best[c] = best_split_of(bins, features, layout, node, p, bounds[c], bounds[c + 1]);
  });
  Split best;
  for (const Split& s : chunk_best) {
    if (s.valid && s.gain > best.gain + 1e-12) best = s;
  }
  return best;
}

float tree_value(const Tree& t, const float* x) { return reference_tree_value(t, x); }

// fn(first, last) over [0, n) in fixed blocks of rows on the pool: for per-row work whose results
// do not depend on how rows are shared out.
void for_row_blocks(ThreadPool& pool, std::size_t n, const std::function<void(std::size_t, std::size_t)>& fn) {
  constexpr std::size_t kBlock = 8192;
  if (n <= kBlock || pool.size() == 1) return fn(0, n);
  pool.parallel_for((n + kBlock - 1) / kBlock, [&](std::size_t b) { fn(b * kBlock, std::min(n, (b + 1) * kBlock)); });
}

double identity(double s) { return s; }
void l2_derivatives(double s, double y, double* g, double* h) {
  *g = s - y;
  *h = 1.0;
}
double logit(double mean) {
  const double p = std::min(1.0 - 1e-6, std::max(1e-6, mean));
  return std::log(p / (1.0 - p));
}
double sigmoid(double s) { return 1.0 / (1.0 + std::exp(-s)); }
void logistic_derivatives(double s, double y, double* g, double* h) {
  const double p = sigmoid(s);
  *g = p - y;
  *h = std::max(p * (1.0 - p), 1e-16);
}

constexpr GbdtLoss kLosses[] = {
    {"l2", identity, l2_derivatives, identity, DPA_OUTPUT_CLAMP01},
    {"logistic", logit, logistic_derivatives, sigmoid, DPA_OUTPUT_SIGMOID},
};

// The rows of one tree's sample and the rows left out of it (a Bernoulli draw per row, as the
// rng has always been consumed), and its features (all, or a sorted random share).
struct TreeSample {
  std::vector<std::uint32_t> rows, rest, features;
};

TreeSample sample_tree(std::size_t n, const std::vector<std::uint32_t>& all_features, const GbdtParams& p,
                       std::mt19937_64& rng) {
  TreeSample s;
  s.rows.reserve(n);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  for (std::uint32_t r = 0; r < n; ++r) (p.subsample >= 1.0 || unit(rng) < p.subsample ? s.rows : s.rest).push_back(r);
  if (s.rows.empty()) {
    const auto r = static_cast<std::uint32_t>(rng() % n);
    s.rows.push_back(r);
    s.rest.erase(s.rest.begin() + r);
  }
  s.features = all_features;
  if (p.colsample < 1.0) {
    std::shuffle(s.features.begin(), s.features.end(), rng);
    s.features.resize(std::max<std::size_t>(
        1, static_cast<std::size_t>(std::lround(p.colsample * static_cast<double>(all_features.size())))));
    std::sort(s.features.begin(), s.features.end());
  }
  return s;
}

// Grows one tree level by level. Each node's rows are a range of `order`, partitioned in place
// (stably: rows keep their order, so sums do not depend on the partitioning). The rows left out
// of the sample go down the tree the same way (no histograms): their leaf gives their new score
// without a traversal.
class TreeGrower {
 public:
  TreeGrower(const Bins& bins, const std::vector<HistBin>& pairs, const GbdtParams& p, ThreadPool& pool,
             HistogramPool& histograms, TreeSample sample)
      : bins_(bins),
        pairs_(pairs),
        p_(p),
        pool_(pool),
        histograms_(histograms),
        features_(std::move(sample.features)),
        layout_(bins, features_),
        order_(std::move(sample.rows)),
        rest_(std::move(sample.rest)),
        right_rows_(order_.size()),
        rest_right_(rest_.size()),
        leaf_of_row_(pairs.size(), -1) {}

  // The tree; leaf_of_row() then holds every row's leaf, sampled or not.
  Tree grow() {
    Tree tree;
    tree.nodes.emplace_back();
    std::vector<NodeState> level = root();
    for (int depth = 0; !level.empty(); ++depth) {
      // The level's splits; then the splitting nodes' rows partitioned, nodes in parallel (their
      // ranges are disjoint); then the smaller children's histograms. Every sum is the
      // one-node-at-a-time sum.
      std::vector<Split> splits(level.size());
      if (depth < p_.max_depth) {
        for (std::size_t i = 0; i < level.size(); ++i)
          splits[i] = best_split(bins_, features_, layout_, level[i], p_, pool_);
      }
      std::vector<NodeState> children(2 * level.size());
      pool_.parallel_for(level.size(), [&](std::size_t i) {
        if (splits[i].valid) {
          partition_rows(bins_, splits[i], level[i], order_, right_rows_, rest_, rest_right_, pairs_, children[2 * i],
                         children[2 * i + 1]);
        }
      });
      const bool children_split = depth + 1 < p_.max_depth;  // children at the maximum depth are leaves
      if (children_split) build_smaller_histograms(level, splits, children);
      level = next_level(level, splits, children, children_split, tree);
    }
    return tree;
  }
  const std::vector<std::int32_t>& leaf_of_row() const { return leaf_of_row_; }

 private:
  std::vector<NodeState> root() {
    std::vector<NodeState> level(1);
    level[0].end = order_.size();
    level[0].rest_end = rest_.size();
    level[0].hist = histograms_.acquire(layout_.total);
    build_histogram(bins_, features_, layout_, order_.data(), order_.size(), pairs_, level[0].hist.get(),
                    histogram_is_large(order_.size(), features_.size()) ? &pool_ : nullptr);
    for (std::uint32_t r : order_) {
      level[0].gradient += pairs_[r].gradient;
      level[0].hessian += pairs_[r].hessian;
    }
    return level;
  }

  // Histogram of the smaller child; the larger one's is the parent's minus it (next_level). Large
  // ones are split over the threads by feature, small ones built one per thread.
  void build_smaller_histograms(const std::vector<NodeState>& level, const std::vector<Split>& splits,
                                std::vector<NodeState>& children) {
    std::vector<std::size_t> large, small;  // the children whose histograms are built, by size
    for (std::size_t i = 0; i < level.size(); ++i) {
      if (!splits[i].valid) continue;
      const NodeState& l = children[2 * i];
      const NodeState& r = children[2 * i + 1];
      const std::size_t k = l.end - l.begin <= r.end - r.begin ? 2 * i : 2 * i + 1;
      children[k].hist = histograms_.acquire(layout_.total);
      (histogram_is_large(children[k].end - children[k].begin, features_.size()) ? large : small).push_back(k);
    }
    for (const std::size_t k : large) {
      build_histogram(bins_, features_, layout_, &order_[children[k].begin], children[k].end - children[k].begin,
                      pairs_, children[k].hist.get(), &pool_);
    }
    pool_.parallel_for(small.size(), [&](std::size_t j) {
      const NodeState& c = children[small[j]];
      build_histogram(bins_, features_, layout_, &order_[c.begin], c.end - c.begin, pairs_, c.hist.get(), nullptr);
    });
  }

  // Leaves for the nodes that do not split; the split nodes' children, to grow next.
  std::vector<NodeState> next_level(std::vector<NodeState>& level, const std::vector<Split>& splits,
                                    std::vector<NodeState>& children, bool children_split, Tree& tree) {
    std::vector<NodeState> next;
    for (std::size_t i = 0; i < level.size(); ++i) {
      NodeState& node = level[i];
      TreeNode& t = tree.nodes[static_cast<std::size_t>(node.tree_index)];
      if (!splits[i].valid) {
        t.is_leaf = true;
        t.value = static_cast<float>(-node.gradient / (node.hessian + p_.lambda) * p_.learning_rate);
        for (std::size_t k = node.begin; k < node.end; ++k) leaf_of_row_[order_[k]] = node.tree_index;
        for (std::size_t k = node.rest_begin; k < node.rest_end; ++k) leaf_of_row_[rest_[k]] = node.tree_index;
        histograms_.release(std::move(node.hist));
        continue;
      }
      NodeState& left = children[2 * i];
      NodeState& right = children[2 * i + 1];
      if (children_split) {
        NodeState& with = left.hist ? left : right;  // the one built by build_smaller_histograms
        NodeState& without = &with == &left ? right : left;
        without.hist = std::move(node.hist);
        for (std::size_t b = 0; b < layout_.total; ++b) {
          without.hist[b].gradient -= with.hist[b].gradient;
          without.hist[b].hessian -= with.hist[b].hessian;
        }
      } else {
        histograms_.release(std::move(node.hist));
      }
      t.is_leaf = false;
      t.feature = splits[i].feature;
      t.threshold = bins_.cuts[splits[i].feature][splits[i].bin];
      t.left = static_cast<std::int32_t>(tree.nodes.size());
      t.right = t.left + 1;
      left.tree_index = t.left;
      right.tree_index = t.right;
      tree.nodes.emplace_back();
      tree.nodes.emplace_back();
      next.push_back(std::move(left));
      next.push_back(std::move(right));
    }
    return next;
  }

  const Bins& bins_;
  const std::vector<HistBin>& pairs_;
  const GbdtParams& p_;
  ThreadPool& pool_;
  HistogramPool& histograms_;
  const std::vector<std::uint32_t> features_;
  const HistLayout layout_;
  std::vector<std::uint32_t> order_, rest_, right_rows_, rest_right_;
  std::vector<std::int32_t> leaf_of_row_;
};

// Validation predictions after the newest tree, and their RMSE (summed in row order: the same for
// any thread count).
double validation_rmse(ThreadPool& pool, const GbdtLoss& loss, const Tree& tree, const MatrixView& x,
                       const std::vector<float>& y, std::vector<double>& prediction) {
  for_row_blocks(pool, x.rows, [&](std::size_t first, std::size_t last) {
    for (std::size_t r = first; r < last; ++r) prediction[r] += tree_value(tree, x.row(r));
  });
  double sq = 0;
  for (std::size_t r = 0; r < x.rows; ++r) {
    const double d = loss.prediction(prediction[r]) - y[r];
    sq += d * d;
  }
  return std::sqrt(sq / static_cast<double>(x.rows));
}

}  // namespace

const GbdtLoss& find_gbdt_loss(const std::string& name) {
  std::string names;
  for (const GbdtLoss& l : kLosses) {
    if (name == l.name) return l;
    names += (names.empty() ? "" : " or ") + std::string(l.name);
  }
  throw UsageError("--loss must be " + names + ", got '" + name + "'");
}

GbdtTraining train_gbdt(const MatrixView& x, const std::vector<float>& y, const MatrixView* x_valid,
                        const std::vector<float>* y_valid, const GbdtParams& p,
                        const std::function<void(int, double)>& progress) {
  if (x.rows == 0 || x.rows != y.size()) throw ToolError("gbdt: no training rows or size mismatch");
  if (x.rows > std::numeric_limits<std::uint32_t>::max())
    throw ToolError("gbdt: " + std::to_string(x.rows) + " rows, more than the trainer's limit of 4294967295");
  if (p.max_depth < 1 || p.max_depth > static_cast<int>(DPA_MODEL_MAX_TREE_DEPTH)) {
    throw ToolError("gbdt: depth must be 1.." + std::to_string(DPA_MODEL_MAX_TREE_DEPTH));
  }
  ThreadPool pool(std::max(1u, p.threads));
  const Bins bins = make_bins(x, std::min(256, std::max(2, p.max_bins)), pool);
  const std::size_t n = x.rows;
  HistogramPool histograms;
  GbdtTraining out;
  const GbdtLoss& loss = *p.loss;
  double mean = 0;
  for (float v : y) mean += v;
  mean /= static_cast<double>(n);
  out.model.base_score = static_cast<float>(loss.initial_score(mean));
  std::vector<double> prediction(n, out.model.base_score);
  std::vector<HistBin> pairs(n);  // each row's gradient and hessian, side by side
  const bool has_valid = x_valid != nullptr && y_valid != nullptr && x_valid->rows > 0;
  std::vector<double> valid_prediction(has_valid ? x_valid->rows : 0, out.model.base_score);
  std::mt19937_64 rng(p.seed);
  double best_rmse = std::numeric_limits<double>::infinity();
  int best_round = 0;
  std::vector<std::uint32_t> all_features(x.cols);
  std::iota(all_features.begin(), all_features.end(), 0u);
  for (int round = 0; round < p.num_trees; ++round) {
    for_row_blocks(pool, n, [&](std::size_t first, std::size_t last) {
      for (std::size_t r = first; r < last; ++r)
        loss.derivatives(prediction[r], y[r], &pairs[r].gradient, &pairs[r].hessian);
    });
    TreeGrower grower(bins, pairs, p, pool, histograms, sample_tree(n, all_features, p, rng));
    Tree tree = grower.grow();
    // Training predictions: every row through its leaf.
    const std::vector<std::int32_t>& leaf_of_row = grower.leaf_of_row();
    for_row_blocks(pool, n, [&](std::size_t first, std::size_t last) {
      for (std::size_t r = first; r < last; ++r)
        prediction[r] += tree.nodes[static_cast<std::size_t>(leaf_of_row[r])].value;
    });
    out.model.trees.push_back(std::move(tree));
    double rmse = std::numeric_limits<double>::quiet_NaN();
    if (has_valid) {
      rmse = validation_rmse(pool, loss, out.model.trees.back(), *x_valid, *y_valid, valid_prediction);
      out.validation_rmse.push_back(rmse);
      if (rmse < best_rmse) {
        best_rmse = rmse;
        best_round = round + 1;
      } else if (p.early_stopping_rounds > 0 && round + 1 - best_round >= p.early_stopping_rounds) {
        if (progress) progress(round + 1, rmse);
        break;
      }
    }
    if (progress) progress(round + 1, rmse);
  }
  out.best_iteration = has_valid && p.early_stopping_rounds > 0 ? best_round : static_cast<int>(out.model.trees.size());
  out.model.trees.resize(static_cast<std::size_t>(std::max(1, out.best_iteration)));
  return out;
}

}  // namespace dpa::tools
