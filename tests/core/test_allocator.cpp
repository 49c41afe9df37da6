#include <gtest/gtest.h>
#include <torch/torch.h>

#include "hnn/core/allocator.h"

TEST(Allocator, ReusesLargeBlocksAndKeepsValues) {
  hnn::install_caching_allocator();
  ASSERT_TRUE(hnn::caching_allocator_installed());
  void* first = nullptr;
  {
    auto t = torch::empty({1 << 20});  // 4 MiB: pooled
    first = t.data_ptr();
    t.fill_(3);
    EXPECT_EQ(t.sum().item<float>(), 3.0f * (1 << 20));
  }
  auto before = hnn::allocator_stats();
  auto u = torch::empty({1 << 20});
  EXPECT_EQ(u.data_ptr(), first);  // the freed block came back
  auto after = hnn::allocator_stats();
  EXPECT_EQ(after.hits, before.hits + 1);
  // Small tensors use the default allocator and still work.
  auto small = torch::arange(10);
  EXPECT_EQ(small.sum().item<int64_t>(), 45);
  u = torch::Tensor();
  hnn::release_cached_memory();
  EXPECT_EQ(hnn::allocator_stats().cached_bytes, 0);
}

// The peak counts the blocks in use (large ones rounded up to 2 MiB) until reset_peak_memory().
TEST(Allocator, TracksPeakMemoryInUse) {
  hnn::install_caching_allocator();
  const int64_t mib = int64_t(1) << 20;
  hnn::reset_peak_memory();
  const auto base = hnn::allocator_stats();
  EXPECT_EQ(base.peak_in_use_bytes, base.in_use_bytes);
  {
    auto a = torch::empty({3 * mib / 4});  // 3 MiB: one 4 MiB block
    auto b = torch::empty({mib / 2});      // 2 MiB: one 2 MiB block
    EXPECT_EQ(hnn::allocator_stats().in_use_bytes, base.in_use_bytes + 6 * mib);
  }
  auto s = hnn::allocator_stats();
  EXPECT_EQ(s.in_use_bytes, base.in_use_bytes);
  EXPECT_EQ(s.peak_in_use_bytes, base.in_use_bytes + 6 * mib);
  hnn::reset_peak_memory();
  EXPECT_EQ(hnn::allocator_stats().peak_in_use_bytes, base.in_use_bytes);
  {
    auto small = torch::empty({1000});  // a small block, counted by its usable size
    EXPECT_GE(hnn::allocator_stats().in_use_bytes, base.in_use_bytes + 4000);
  }
  EXPECT_EQ(hnn::allocator_stats().in_use_bytes, base.in_use_bytes);
}

// oneDNN convolutions allocate through raw_allocate/raw_deallocate, which need a raw deleter.
TEST(Allocator, WorksWithOneDnnConvolutions) {
  hnn::install_caching_allocator();
  torch::nn::Conv2d conv(torch::nn::Conv2dOptions(3, 16, 3).padding(1));
  auto x = torch::rand({8, 3, 64, 64}, torch::requires_grad());
  auto y = conv(x);
  y.sum().backward();
  EXPECT_EQ(y.sizes(), torch::IntArrayRef({8, 16, 64, 64}));
  EXPECT_TRUE(x.grad().defined());
  void* raw = c10::GetAllocator(c10::DeviceType::CPU)->raw_allocate(100);
  c10::GetAllocator(c10::DeviceType::CPU)->raw_deallocate(raw);
}
