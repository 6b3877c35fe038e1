// Training runs of the zoo CNN as the Small CNN Zoo did (Keras conventions): initializers,
// optimizers, hyperparameter sampling, the training loop and its checkpoint metrics.
#pragma once

#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "cnn/idx_reader.hpp"
#include "cnn/zoo_cnn.hpp"

namespace dpa::tools::cnn {

enum class Optimizer { kSgd, kAdam, kRmsprop };
enum class Init { kHeNormal, kGlorotNormal, kOrthogonal, kRandomNormal, kTruncatedNormal };

const char* optimizer_name(Optimizer o);  // "sgd", "adam", "rmsprop"
const char* init_name(Init i);            // Keras names: "he_normal", ..., "RandomNormal"

struct RunConfig {
  Activation activation = Activation::kRelu;
  Optimizer optimizer = Optimizer::kAdam;
  double learning_rate = 1e-3, l2 = 0, dropout = 0, init_std = 0.05, train_fraction = 1.0;
  Init w_init = Init::kHeNormal;
  bool bias_ones = false;
  std::uint64_t seed = 0;
};

// The documented sampling: activation relu/tanh; optimizer adam/rmsprop/sgd; learning rate
// log-uniform [5e-4, 5e-2]; l2 log-uniform [1e-8, 1e-2]; dropout uniform [0, 0.7]; init_std
// log-uniform [1e-3, 0.5]; one of the five initializers; biases zeros (3/4) or ones (1/4);
// train_fraction in {0.1, 0.25, 0.5, 1}.
RunConfig sample_config(std::uint64_t job_seed, std::uint32_t run);

// Keras initializers on the zoo layout (kernels by fan-in / fan-out, biases zeros or ones).
void initialize(float* params, const RunConfig& config, std::mt19937_64& rng);

// Keras optimizer defaults with only the learning rate set.
class OptimizerState {
 public:
  OptimizerState(Optimizer kind, double learning_rate, std::size_t size);
  void step(float* params, const float* grad);

 private:
  Optimizer kind_;
  double lr_;
  long t_ = 0;
  std::vector<double> m_, v_;
};

struct Checkpoint {
  std::uint32_t step = 0;  // epochs trained
  double test_accuracy = 0, test_loss = 0, train_accuracy = 0, train_loss = 0;
  std::vector<float> weights;
};

struct TrainingBudget {
  std::uint32_t epochs = 12;
  std::vector<std::uint32_t> checkpoints = {0, 1, 2, 3, 4, 6, 8, 10, 12};
  std::uint32_t batch_size = 512;
  std::uint32_t test_images = 10000;       // evaluated from the start of the test set
  std::uint32_t train_eval_images = 5000;  // of the run's own training images
  std::uint32_t train_pool = 60000;        // train_fraction takes the first part of these
};

// Time spent in training steps (not in checkpoint evaluation), for throughput reports.
struct TrainingTime {
  std::uint64_t images = 0;  // forward + backward passes
  double seconds = 0;
};

// Trains one run; on_checkpoint may stop training early by returning false (early stopping).
// time, when non-null, receives the training steps' image count and duration.
std::vector<Checkpoint> train_run(const ImageDataset& data, const RunConfig& config, const TrainingBudget& budget,
                                  const std::function<bool(const Checkpoint&)>& on_checkpoint = {},
                                  TrainingTime* time = nullptr);

}  // namespace dpa::tools::cnn
