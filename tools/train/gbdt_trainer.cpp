#include "train/gbdt_trainer.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <numeric>
#include <random>

#include <boost/sort/spreadsort/float_sort.hpp>

#include "common/errors.hpp"
#include "common/parallel.hpp"
#include "train/split_search.hpp"

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

// Cut points for values (one feature's column), from `sorted`, the same values in ascending order.
std::vector<float> cuts_of(const std::vector<float>& sorted, std::vector<float>& distinct, int max_bins) {
  distinct.clear();
  for (float v : sorted)
    if (distinct.empty() || v != distinct.back()) distinct.push_back(v);
  std::vector<float> cuts;
  const std::size_t wanted = static_cast<std::size_t>(max_bins) - 1;
  if (distinct.size() <= wanted + 1) {
    // Few values: a cut between every pair of neighbours.
    for (std::size_t i = 1; i < distinct.size(); ++i)
      cuts.push_back(distinct[i - 1] + (distinct[i] - distinct[i - 1]) / 2);
    return cuts;
  }
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
  return cuts;
}

// The number of cuts <= v, as std::upper_bound counts them (NaN: all), with a conditional move
// per step instead of a branch that mispredicts half the time.
std::uint8_t bin_of(const std::vector<float>& cuts, float v) {
  if (cuts.empty() || std::isnan(v)) return static_cast<std::uint8_t>(cuts.size());
  const float* base = cuts.data();
  for (std::size_t n = cuts.size(); n > 1;) {
    const std::size_t half = n / 2;
    base = base[half] <= v ? base + half : base;
    n -= half;
  }
  return static_cast<std::uint8_t>(base - cuts.data() + (*base <= v));
}

Bins make_bins(const MatrixView& x, int max_bins, ThreadPool& pool) {
  Bins b;
  b.rows = x.rows;
  b.cols = x.cols;
  b.cuts.resize(x.cols);
  b.codes.resize(x.cols * x.rows);
  // Each thread takes every size()-th feature with buffers of its own, reused from feature to
  // feature: fresh buffers of a column's length cost a page fault per 4 KB, as much as sorting.
  const std::size_t lanes = std::min<std::size_t>(pool.size(), x.cols);
  pool.parallel_for(lanes, [&](std::size_t lane) {
    std::vector<float> values(x.rows), sorted(x.rows), distinct;
    for (std::size_t f = lane; f < x.cols; f += lanes) {
      for (std::size_t r = 0; r < x.rows; ++r) values[r] = x.row(r)[f];
      sorted = values;
      // A radix sort: 2x faster than std::sort here, and the same order (cuts compare -0 and +0 equal).
      boost::sort::spreadsort::float_sort(sorted.begin(), sorted.end());
      const std::vector<float>& cuts = b.cuts[f] = cuts_of(sorted, distinct, max_bins);
      std::uint8_t* codes = &b.codes[f * x.rows];
      for (std::size_t r = 0; r < x.rows; ++r) codes[r] = bin_of(cuts, values[r]);
    }
  });
  if (b.cols <= kRowMajorMaxCols) transpose_codes(b, pool);
  return b;
}

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
  std::vector<std::size_t> offset, boundaries;  // per position in the tree's feature list
  std::size_t total = 0;
  HistLayout(const Bins& bins, const std::vector<std::uint32_t>& features) {
    for (const std::uint32_t f : features) {
      offset.push_back(total);
      boundaries.push_back(bins.cuts[f].size());
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

// Each feature's histogram sums its rows in row order, whatever the grouping below or the order
// of the loops: the result does not depend on the thread count, nor on whether it was built by
// row or by column. Large nodes: features go to the threads in groups (pool); small ones are
// built whole on one thread (nullptr), many at once.

inline void add_to(HistBin& cell, const HistBin& pair) {
  cell.gradient += pair.gradient;
  cell.hessian += pair.hessian;
}

// Adds rows[0, count) to cells[i] for features columns[0, width), row by row, each row adding to
// every feature: consecutive additions go to different features' cells, so they do not wait on
// each other as a run of rows in one bin of one feature would. A group walks its rows once,
// reading each row's gradient pair once for all the group's features.
void add_rows(const Bins& bins, const std::uint32_t* columns, HistBin* const* cells, std::size_t width,
              const std::uint32_t* rows, std::size_t count, const std::vector<HistBin>& pairs) {
  if (bins.by_row.empty()) {
    std::vector<const std::uint8_t*> codes(width);
    for (std::size_t i = 0; i < width; ++i) codes[i] = &bins.codes[columns[i] * bins.rows];
    for (std::size_t k = 0; k < count; ++k) {
      const std::uint32_t r = rows[k];
      const HistBin pair = pairs[r];
      for (std::size_t i = 0; i < width; ++i) add_to(cells[i][codes[i][r]], pair);
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
    for (std::size_t i = 0; i < width; ++i) add_to(cells[i][codes[columns[i]]], pair);
  }
}

// Adds rows[0, count) to cells[i] for features columns[0, width), feature by feature, four at a
// time, each row adding to the four features' cells: for nodes holding a large share of all rows
// (is_dense), whose feature-major codes and pairs are read nearly in sequence, with four
// features' cells in the first level cache (a group's, by row, are not).
void add_columns(const Bins& bins, const std::uint32_t* columns, HistBin* const* cells, std::size_t width,
                 const std::uint32_t* rows, std::size_t count, const std::vector<HistBin>& pairs) {
  const auto codes_of = [&](std::size_t i) { return &bins.codes[columns[i] * bins.rows]; };
  std::size_t i = 0;
  for (; i + 4 <= width; i += 4) {
    const std::uint8_t *c0 = codes_of(i), *c1 = codes_of(i + 1), *c2 = codes_of(i + 2), *c3 = codes_of(i + 3);
    HistBin *h0 = cells[i], *h1 = cells[i + 1], *h2 = cells[i + 2], *h3 = cells[i + 3];
    for (std::size_t k = 0; k < count; ++k) {
      const std::uint32_t r = rows[k];
      const HistBin pair = pairs[r];
      add_to(h0[c0[r]], pair);
      add_to(h1[c1[r]], pair);
      add_to(h2[c2[r]], pair);
      add_to(h3[c3[r]], pair);
    }
  }
  for (; i < width; ++i) {
    const std::uint8_t* c0 = codes_of(i);
    HistBin* h0 = cells[i];
    for (std::size_t k = 0; k < count; ++k) add_to(h0[c0[rows[k]]], pairs[rows[k]]);
  }
}

// A node holding at least this share of all rows is dense: its histograms are built by column.
// An eighth, a 32nd and a 128th measured alike.
bool is_dense(std::size_t rows, std::size_t all_rows) { return rows * 8 >= all_rows; }

// Large nodes: features in groups, spread over the threads.
std::size_t histogram_groups(std::size_t rows, const std::vector<std::uint32_t>& features, const ThreadPool& pool) {
  return histogram_is_large(rows, features.size()) ? std::min<std::size_t>(features.size(), 2 * pool.size()) : 1;
}

// The histogram of rows[0, count), in `groups` groups of features on the pool, after the items
// of `alongside` (work of the caller's that does not touch it); without a pool, all on this
// thread. By column (add_columns) or by row (add_rows).
void build_histogram(const Bins& bins, const std::vector<std::uint32_t>& features, const HistLayout& layout,
                     const std::uint32_t* rows, std::size_t count, const std::vector<HistBin>& pairs, HistBin* hist,
                     ThreadPool* pool, std::size_t groups = 1, const std::vector<std::function<void()>>& alongside = {},
                     bool by_column = false) {
  const std::size_t per_group = (features.size() + groups - 1) / groups;
  auto fill = [&](std::size_t g) {
    const std::size_t first = g * per_group, last = std::min(features.size(), first + per_group);
    std::vector<HistBin*> cells(last - first);
    for (std::size_t i = first; i < last; ++i) {
      HistBin* h = cells[i - first] = &hist[layout.offset[i]];
      const std::size_t used = layout.boundaries[i] + 1;
      std::memset(h, 0, used * sizeof(HistBin));  // +0.0 is all zero bits; memset is wider than the loop was
    }
    if (by_column) {
      add_columns(bins, &features[first], cells.data(), last - first, rows, count, pairs);
    } else {
      add_rows(bins, &features[first], cells.data(), last - first, rows, count, pairs);
    }
  };
  if (pool) {
    pool->parallel_for(alongside.size() + groups, [&](std::size_t item) {
      if (item < alongside.size()) return alongside[item]();
      fill(item - alongside.size());
    });
  } else {
    for (const auto& work : alongside) work();
    for (std::size_t g = 0; g < groups; ++g) fill(g);
  }
}

// One tree's rows and features, kept from tree to tree: lists this long, allocated afresh per
// tree, cost a page fault per 4 KB, which measured as much time as drawing the sample.
struct TreeRows {
  std::vector<std::uint32_t> sampled, rest;                  // the tree's sample and the rows left out of it
  std::vector<std::uint32_t> sampled_scratch, rest_scratch;  // partitioning space, as long
  std::vector<std::int32_t> leaf_of_row;                     // every row's leaf, after growing
  std::vector<std::uint32_t> features;                       // the tree's features, ascending
};

// Stably partitions rows[0, count) in place by the split's codes: rows going left first, then the
// others (held in scratch meanwhile). Returns how many went left. Every row is written to both
// sides and one count raised: no branch to mispredict on a split's random sides.
std::size_t split_in_place(const Bins& bins, const Split& split, std::uint32_t* rows, std::size_t count,
                           std::uint32_t* scratch) {
  const std::uint8_t* codes = &bins.codes[split.feature * bins.rows];
  std::size_t to_left = 0, to_right = 0;
  for (std::size_t i = 0; i < count; ++i) {
    const std::uint32_t r = rows[i];
    const bool left = codes[r] <= split.bin;
    rows[to_left] = r;  // to_left <= i: never overwrites a row still to read
    scratch[to_right] = r;
    to_left += left;
    to_right += !left;
  }
  std::copy(scratch, scratch + to_right, rows + to_left);
  return to_left;
}

// The gradient and hessian sums of rows[0, count), in row order.
HistBin sum_pairs(const std::uint32_t* rows, std::size_t count, const std::vector<HistBin>& pairs) {
  HistBin sum{0.0, 0.0};
  for (std::size_t i = 0; i < count; ++i) {
    sum.gradient += pairs[rows[i]].gradient;
    sum.hessian += pairs[rows[i]].hessian;
  }
  return sum;
}

// Splits a level's nodes into their children, rows and sums; every sum is the one-node-at-a-time
// sum. Each node's sampled rows (sampled[begin, end)) and rows left out of the sample
// (rest[rest_begin, rest_end), which only need their leaf) are partitioned as separate items on
// the pool, then each child's gradients are summed over its rows in row order, children in
// parallel: even the root's level, one node, keeps two threads busy.
void partition_level(const Bins& bins, const std::vector<Split>& splits, const std::vector<NodeState>& level,
                     TreeRows& t, const std::vector<HistBin>& pairs, std::vector<NodeState>& children,
                     ThreadPool& pool) {
  pool.parallel_for(2 * level.size(), [&](std::size_t item) {
    const std::size_t i = item / 2;
    if (!splits[i].valid) return;
    const NodeState& node = level[i];
    NodeState& left = children[2 * i];
    NodeState& right = children[2 * i + 1];
    if (item % 2 == 0) {
      const std::size_t to_left = split_in_place(bins, splits[i], &t.sampled[node.begin], node.end - node.begin,
                                                 &t.sampled_scratch[node.begin]);
      left.begin = node.begin;
      left.end = right.begin = node.begin + to_left;
      right.end = node.end;
    } else {
      const std::size_t to_left = split_in_place(bins, splits[i], &t.rest[node.rest_begin],
                                                 node.rest_end - node.rest_begin, &t.rest_scratch[node.rest_begin]);
      left.rest_begin = node.rest_begin;
      left.rest_end = right.rest_begin = node.rest_begin + to_left;
      right.rest_end = node.rest_end;
    }
  });
  pool.parallel_for(children.size(), [&](std::size_t k) {
    if (!splits[k / 2].valid) return;
    NodeState& child = children[k];
    const HistBin sum = sum_pairs(&t.sampled[child.begin], child.end - child.begin, pairs);
    child.gradient = sum.gradient;
    child.hessian = sum.hessian;
  });
}

// The best split of the tree's features at positions [first, last) (train/split_search).
Split best_split_of(const std::vector<std::uint32_t>& features, const HistLayout& layout, const NodeState& node,
                    const GbdtParams& p, std::size_t first, std::size_t last) {
  const NodeHistograms h{node.hist.get(),          layout.offset.data(), features.data(),
                         layout.boundaries.data(), node.gradient,        node.hessian};
  return find_best_split(h, p, first, last);
}

// hist -= smaller, bin by bin: the larger child's histogram from its parent's. A sixth of a small
// fit's time, so built for AVX-512 and AVX2 beside the default.
#if defined(__x86_64__) && defined(__linux__)
__attribute__((target_clones("avx512f", "avx2", "default")))
#endif
void subtract_histogram(HistBin* hist, const HistBin* smaller, std::size_t bins) {
  for (std::size_t b = 0; b < bins; ++b) {
    hist[b].gradient -= smaller[b].gradient;
    hist[b].hessian -= smaller[b].hessian;
  }
}

constexpr std::size_t kChunkBins = 1 << 15;
bool split_search_is_chunked(const HistLayout& layout) { return layout.total > kChunkBins; }

// Many features (raw weights): fixed chunks of features on the pool, their bests combined in
// chunk order by the same rule, so the split does not depend on the number of threads.
Split best_split(const std::vector<std::uint32_t>& features, const HistLayout& layout, const NodeState& node,
                 const GbdtParams& p, ThreadPool& pool) {
  if (!split_search_is_chunked(layout)) return best_split_of(features, layout, node, p, 0, features.size());
  std::vector<std::size_t> bounds = {0};  // chunk boundaries, about kChunkBins bins each
  for (std::size_t i = 0; i < features.size(); ++i) {
    if (layout.offset[i] - layout.offset[bounds.back()] >= kChunkBins) bounds.push_back(i);
  }
  bounds.push_back(features.size());
  std::vector<Split> chunk_best(bounds.size() - 1);
  pool.parallel_for(chunk_best.size(), [&](std::size_t c) {
    chunk_best[c] = best_split_of(features, layout, node, p, bounds[c], bounds[c + 1]);
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

// Draws the tree's sample (a Bernoulli draw per row, as the rng has always been consumed) and its
// features (all, or a sorted random share) into t.
void sample_tree(std::size_t n, const std::vector<std::uint32_t>& all_features, const GbdtParams& p,
                 std::mt19937_64& rng, TreeRows& t) {
  t.sampled.resize(n);
  t.rest.resize(n);
  if (p.subsample >= 1.0) {
    std::iota(t.sampled.begin(), t.sampled.end(), 0u);
    t.rest.clear();
  } else {
    // Every row written to both lists and one count raised: no branch to mispredict.
    const std::uint64_t bound = sample_draw_bound(p.subsample);
    std::size_t kept = 0, left_out = 0;
    for (std::uint32_t r = 0; r < n; ++r) {
      const bool keep = rng() < bound;
      t.sampled[kept] = r;
      t.rest[left_out] = r;
      kept += keep;
      left_out += !keep;
    }
    t.sampled.resize(kept);
    t.rest.resize(left_out);
  }
  if (t.sampled.empty()) {
    const auto r = static_cast<std::uint32_t>(rng() % n);
    t.sampled.push_back(r);
    t.rest.erase(t.rest.begin() + r);
  }
  t.sampled_scratch.resize(t.sampled.size());
  t.rest_scratch.resize(t.rest.size());
  t.leaf_of_row.resize(n);
  t.features = all_features;
  if (p.colsample < 1.0) {
    std::shuffle(t.features.begin(), t.features.end(), rng);
    t.features.resize(std::max<std::size_t>(
        1, static_cast<std::size_t>(std::lround(p.colsample * static_cast<double>(all_features.size())))));
    std::sort(t.features.begin(), t.features.end());
  }
}

// Grows one tree level by level. Each node's rows are a range of `order`, partitioned in place
// (stably: rows keep their order, so sums do not depend on the partitioning). The rows left out
// of the sample go down the tree the same way (no histograms): their leaf gives their new score
// without a traversal.
class TreeGrower {
 public:
  TreeGrower(const Bins& bins, const std::vector<HistBin>& pairs, const GbdtParams& p, ThreadPool& pool,
             HistogramPool& histograms, TreeRows& rows)
      : bins_(bins),
        pairs_(pairs),
        p_(p),
        pool_(pool),
        histograms_(histograms),
        rows_(rows),
        features_(rows.features),
        layout_(bins, features_),
        order_(rows.sampled),
        rest_(rows.rest),
        leaf_of_row_(rows.leaf_of_row) {}

  // The tree; the rows' leaf_of_row then holds every row's leaf, sampled or not. `alongside`
  // runs on the pool while the root's histogram is built.
  Tree grow(const std::function<void()>& alongside) {
    Tree tree;
    tree.nodes.emplace_back();
    std::vector<NodeState> level = root(alongside);
    for (int depth = 0; !level.empty(); ++depth) {
      // The level's splits; then the splitting nodes' rows partitioned, nodes in parallel (their
      // ranges are disjoint); then the smaller children's histograms. Every sum is the
      // one-node-at-a-time sum.
      std::vector<Split> splits(level.size());
      if (depth < p_.max_depth) find_splits(level, splits);
      std::vector<NodeState> children(2 * level.size());
      partition_level(bins_, splits, level, rows_, pairs_, children, pool_);
      const bool children_split = depth + 1 < p_.max_depth;  // children at the maximum depth are leaves
      if (children_split) build_smaller_histograms(level, splits, children);
      level = next_level(level, splits, children, children_split, tree);
    }
    return tree;
  }

 private:
  // The root: its histogram, its sums and the caller's work alongside, all as items on the pool.
  std::vector<NodeState> root(const std::function<void()>& alongside) {
    std::vector<NodeState> level(1);
    NodeState& root = level[0];
    root.end = order_.size();
    root.rest_end = rest_.size();
    root.hist = histograms_.acquire(layout_.total);
    const auto sum = [&] {
      const HistBin total = sum_pairs(order_.data(), order_.size(), pairs_);
      root.gradient = total.gradient;
      root.hessian = total.hessian;
    };
    build_histogram(bins_, features_, layout_, order_.data(), order_.size(), pairs_, root.hist.get(), &pool_,
                    histogram_groups(order_.size(), features_, pool_), {alongside, sum}, by_column(order_.size()));
    return level;
  }

  // Whether a large node of `rows` rows has its histograms built by column.
  bool by_column(std::size_t rows) const {
    return p_.column_histograms && histogram_is_large(rows, features_.size()) && is_dense(rows, bins_.rows);
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
      const std::uint32_t* rows = &order_[children[k].begin];
      const std::size_t count = children[k].end - children[k].begin;
      build_histogram(bins_, features_, layout_, rows, count, pairs_, children[k].hist.get(), &pool_,
                      histogram_groups(count, features_, pool_), {}, by_column(count));
    }
    pool_.parallel_for(small.size(), [&](std::size_t j) {
      const NodeState& c = children[small[j]];
      build_histogram(bins_, features_, layout_, &order_[c.begin], c.end - c.begin, pairs_, c.hist.get(), nullptr);
    });
  }

  // Each node's best split: nodes in parallel, or, where a node's search is chunked over the
  // threads (raw weights), one after the other.
  void find_splits(const std::vector<NodeState>& level, std::vector<Split>& splits) {
    if (split_search_is_chunked(layout_)) {
      for (std::size_t i = 0; i < level.size(); ++i) splits[i] = best_split(features_, layout_, level[i], p_, pool_);
      return;
    }
    pool_.parallel_for(level.size(), [&](std::size_t i) {
      splits[i] = best_split_of(features_, layout_, level[i], p_, 0, features_.size());
    });
  }

  // The per-row and per-bin work of next_level, nodes in parallel: leaves' rows get their leaf,
  // and a split node's histogram becomes its larger child's, minus the smaller one's.
  void settle_level(std::vector<NodeState>& level, const std::vector<Split>& splits, std::vector<NodeState>& children,
                    bool children_split) {
    pool_.parallel_for(level.size(), [&](std::size_t i) {
      const NodeState& node = level[i];
      if (!splits[i].valid) {
        for (std::size_t k = node.begin; k < node.end; ++k) leaf_of_row_[order_[k]] = node.tree_index;
        for (std::size_t k = node.rest_begin; k < node.rest_end; ++k) leaf_of_row_[rest_[k]] = node.tree_index;
      } else if (children_split) {
        const HistBin* smaller = (children[2 * i].hist ? children[2 * i] : children[2 * i + 1]).hist.get();
        subtract_histogram(node.hist.get(), smaller, layout_.total);
      }
    });
  }

  // Leaves for the nodes that do not split; the split nodes' children, to grow next.
  std::vector<NodeState> next_level(std::vector<NodeState>& level, const std::vector<Split>& splits,
                                    std::vector<NodeState>& children, bool children_split, Tree& tree) {
    settle_level(level, splits, children, children_split);
    std::vector<NodeState> next;
    for (std::size_t i = 0; i < level.size(); ++i) {
      NodeState& node = level[i];
      TreeNode& t = tree.nodes[static_cast<std::size_t>(node.tree_index)];
      if (!splits[i].valid) {
        t.is_leaf = true;
        t.value = static_cast<float>(-node.gradient / (node.hessian + p_.lambda) * p_.learning_rate);
        histograms_.release(std::move(node.hist));
        continue;
      }
      NodeState& left = children[2 * i];
      NodeState& right = children[2 * i + 1];
      if (children_split) {
        (left.hist ? right : left).hist = std::move(node.hist);  // settled: minus the smaller child's
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
  TreeRows& rows_;
  const std::vector<std::uint32_t>& features_;
  const HistLayout layout_;
  std::vector<std::uint32_t>&order_, &rest_;  // rows_'s sampled and rest
  std::vector<std::int32_t>& leaf_of_row_;
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

// The state that boosting carries from tree to tree: the training rows' predictions, the rng of
// the samples, and buffers kept for the next tree.
class Boosting {
 public:
  Boosting(const Bins& bins, const std::vector<float>& y, const GbdtParams& p, float base_score)
      : bins_(bins), y_(y), p_(p), prediction_(y.size(), base_score), pairs_(y.size()), rng_(p.seed) {
    all_features_.resize(bins.cols);
    std::iota(all_features_.begin(), all_features_.end(), 0u);
    sample_tree(y.size(), all_features_, p_, rng_, rows_);  // the first tree's; each tree draws the next's
  }

  // The next tree, grown on the gradients at the current predictions; every training row's
  // prediction then moves by its leaf.
  Tree next_tree(ThreadPool& pool, HistogramPool& histograms) {
    const std::size_t n = y_.size();
    for_row_blocks(pool, n, [&](std::size_t first, std::size_t last) {
      for (std::size_t r = first; r < last; ++r)
        p_.loss->derivatives(prediction_[r], y_[r], &pairs_[r].gradient, &pairs_[r].hessian);
    });
    // The next tree's sample depends on the rng alone: drawn while this tree's root histogram is
    // built (the draws would otherwise leave the other threads idle), in the same order as ever.
    Tree tree = TreeGrower(bins_, pairs_, p_, pool, histograms, rows_).grow([&] {
      sample_tree(n, all_features_, p_, rng_, next_rows_);
    });
    for_row_blocks(pool, n, [&](std::size_t first, std::size_t last) {
      for (std::size_t r = first; r < last; ++r)
        prediction_[r] += tree.nodes[static_cast<std::size_t>(rows_.leaf_of_row[r])].value;
    });
    std::swap(rows_, next_rows_);
    return tree;
  }

 private:
  const Bins& bins_;
  const std::vector<float>& y_;
  const GbdtParams& p_;
  std::vector<double> prediction_;
  std::vector<HistBin> pairs_;  // each row's gradient and hessian, side by side
  std::mt19937_64 rng_;
  std::vector<std::uint32_t> all_features_;
  TreeRows rows_, next_rows_;  // the next tree's rows, and the one after's while it grows
};

}  // namespace

std::uint64_t sample_draw_bound(double fraction) {
  const double scaled = fraction * 0x1p64;  // exact: a power of two
  std::uint64_t lo = 0, hi = std::numeric_limits<std::uint64_t>::max();
  while (lo < hi) {  // the least draw whose double is not below `scaled`
    const std::uint64_t mid = lo + (hi - lo) / 2;
    if (static_cast<double>(mid) >= scaled) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

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
  const Bins bins = make_bins(x, std::min(static_cast<int>(kMaxBoundaries) + 1, std::max(2, p.max_bins)), pool);
  HistogramPool histograms;
  GbdtTraining out;
  const GbdtLoss& loss = *p.loss;
  double mean = 0;
  for (float v : y) mean += v;
  mean /= static_cast<double>(x.rows);
  out.model.base_score = static_cast<float>(loss.initial_score(mean));
  Boosting boosting(bins, y, p, out.model.base_score);
  const bool has_valid = x_valid != nullptr && y_valid != nullptr && x_valid->rows > 0;
  std::vector<double> valid_prediction(has_valid ? x_valid->rows : 0, out.model.base_score);
  double best_rmse = std::numeric_limits<double>::infinity();
  int best_round = 0;
  for (int round = 0; round < p.num_trees; ++round) {
    out.model.trees.push_back(boosting.next_tree(pool, histograms));
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
