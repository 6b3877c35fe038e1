// The CNN trainer's float kernels, every instruction set this CPU runs: the blocked convolutions
// against the reference loops on the zoo's three layers, tanh against std::tanh. Built without the
// host tool too, so cross builds test their own kernels (NEON under qemu-aarch64).
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "cnn/conv_reference.hpp"
#include "cnn/kernels.hpp"
#include "cnn/zoo_cnn.hpp"

using namespace dpa::tools::cnn;

TEST_CASE("blocked convolutions of every instruction set equal the reference loops on the zoo's three layers") {
  struct Shape {
    int in_side, in_ch;
  };
  const Shape shapes[3] = {{28, 1}, {13, 16}, {6, 16}};
  std::mt19937_64 rng(11);
  std::uniform_real_distribution<float> uniform(-1, 1);
  auto random = [&](std::size_t n) {
    std::vector<float> v(n);
    for (float& x : v) x = uniform(rng);
    return v;
  };
  auto close = [](const std::vector<float>& fast, const std::vector<float>& ref) {
    // Different summation order: a few float roundings of sums of at most 144 products of size 1.
    for (std::size_t i = 0; i < ref.size(); ++i) {
      if (std::fabs(fast[i] - ref[i]) > 2e-5f * (1 + std::fabs(ref[i]))) return false;
    }
    return true;
  };
  int isas = 0;
  for (KernelIsa isa : {KernelIsa::kGeneric, KernelIsa::kAvx2}) {
    if (!kernel_isa_available(isa)) continue;
    ++isas;
    for (const Shape& s : shapes) {
      CAPTURE(kernel_isa_name(isa));
      CAPTURE(s.in_side);
      const int out_side = (s.in_side - 3) / 2 + 1;
      const auto in_size = static_cast<std::size_t>(s.in_side * s.in_side * s.in_ch);
      const auto out_size = static_cast<std::size_t>(out_side * out_side * kChannels);
      const auto kernel_size = static_cast<std::size_t>(9 * s.in_ch * kChannels);
      const std::vector<float> in = random(in_size), bias = random(kChannels), kernel = random(kernel_size);
      const std::vector<float> kernel_t = random(kernel_size), dout = random(out_size);
      std::vector<float> out_fast(out_size), out_ref(out_size);
      conv_forward(isa, in.data(), s.in_side, s.in_ch, bias.data(), kernel.data(), out_fast.data());
      reference::conv_forward(in.data(), s.in_side, s.in_ch, bias.data(), kernel.data(), out_ref.data());
      CHECK(close(out_fast, out_ref));
      // Gradients add to what is there; d(in) is overwritten.
      std::vector<float> dbias_fast = random(kChannels), dkernel_fast = random(kernel_size), din_fast = random(in_size);
      std::vector<float> dbias_ref = dbias_fast, dkernel_ref = dkernel_fast, din_ref(in_size, 0.5f);
      const bool with_din = s.in_ch == kChannels;
      conv_backward(isa, in.data(), s.in_side, s.in_ch, kernel_t.data(), dout.data(), dbias_fast.data(),
                    dkernel_fast.data(), with_din ? din_fast.data() : nullptr);
      reference::conv_backward(in.data(), s.in_side, s.in_ch, kernel_t.data(), dout.data(), dbias_ref.data(),
                               dkernel_ref.data(), with_din ? din_ref.data() : nullptr);
      CHECK(close(dbias_fast, dbias_ref));
      CHECK(close(dkernel_fast, dkernel_ref));
      if (with_din) CHECK(close(din_fast, din_ref));
    }
  }
  CHECK(isas >= 1);
}

TEST_CASE("the trainer's tanh is within a few float ulps of std::tanh on every instruction set") {
  // Every 97th positive float below infinity, both signs, through each kernel.
  std::vector<float> x;
  for (std::uint32_t bits = 0; bits < 0x7f800000u; bits += 97 * 1024) {
    float v;
    std::memcpy(&v, &bits, sizeof v);
    x.push_back(v);
    x.push_back(-v);
  }
  for (float v : {0.5f, 1e-30f, 9.99f, 10.0f, 10.01f, 88.0f, -0.0f, INFINITY, -INFINITY, NAN}) x.push_back(v);
  int isas = 0;
  for (KernelIsa isa : {KernelIsa::kGeneric, KernelIsa::kAvx2}) {
    if (!kernel_isa_available(isa)) continue;
    ++isas;
    std::vector<float> t = x;
    tanh_in_place(isa, t.data(), t.size());
    double worst = 0;
    for (std::size_t i = 0; i < x.size(); ++i) {
      if (std::isnan(x[i])) {
        CHECK(std::isnan(t[i]));
        continue;
      }
      const double exact = std::tanh(static_cast<double>(x[i]));
      worst = std::max(worst, std::fabs(t[i] - exact) / std::max(std::fabs(exact), 1e-38));
      if (std::signbit(t[i]) != std::signbit(x[i])) FAIL("sign of tanh(" << x[i] << ")");
    }
    CAPTURE(kernel_isa_name(isa));
    CHECK(worst < 3e-7);  // 2.4e-7 measured over all floats: about 4 ulps
  }
  CHECK(isas >= 1);
}
