#include "hnn/core/allocator.h"

#include <c10/core/Allocator.h>
#include <c10/core/CPUAllocator.h>
#include <malloc.h>
#include <sys/mman.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <unordered_map>

namespace hnn {
namespace {

constexpr size_t kLargeThreshold = size_t(1) << 20;  // blocks from 1 MiB up use the pool
constexpr size_t kHugePage = size_t(2) << 20;

class CachingCpuAllocator final : public c10::Allocator {
 public:
  explicit CachingCpuAllocator(size_t limit) : limit_(limit) {}

  // LibTorch 1.x declares allocate() const, 2.x non-const: provide both.
  c10::DataPtr allocate(size_t n) const { return do_allocate(n); }
  c10::DataPtr allocate(size_t n) { return do_allocate(n); }
  // Required by LibTorch 2.x (pure virtual there), unused by 1.x.
  void copy_data(void* dest, const void* src, std::size_t count) const { std::memcpy(dest, src, count); }
  // raw_allocate/raw_deallocate (used by oneDNN) need one deleter for every block, with the data
  // pointer as its context.
  c10::DeleterFnPtr raw_deleter() const override { return &CachingCpuAllocator::deleter; }

  void release(void* p) {
    std::lock_guard<std::mutex> lock(mu_);
    auto found = sizes_.find(p);
    if (found == sizes_.end()) {  // a small block
      small_in_use_ -= int64_t(malloc_usable_size(p));
      std::free(p);
      return;
    }
    size_t size = found->second;
    if (cached_ + size > limit_) evict(cached_ + size - limit_);
    if (cached_ + size > limit_) {
      unmap(p, size);
      return;
    }
    free_.emplace(size, p);
    cached_ += size;
  }

  void reset_peak() {
    std::lock_guard<std::mutex> lock(mu_);
    peak_ = mapped_ - cached_ + small_in_use_;
  }

  void release_all() {
    std::lock_guard<std::mutex> lock(mu_);
    evict(cached_);
  }

  AllocatorStats stats() {
    std::lock_guard<std::mutex> lock(mu_);
    return {mapped_, cached_, hits_, misses_, mapped_ - cached_ + small_in_use_, peak_};
  }

 private:
  c10::DataPtr do_allocate(size_t n) const {
    auto* self = const_cast<CachingCpuAllocator*>(this);
    void* p = nullptr;
    if (n < kLargeThreshold) {
      // 64-byte alignment, as LibTorch's own allocator (vectorised kernels rely on it).
      if (posix_memalign(&p, 64, std::max<size_t>(n, 1)) != 0) p = nullptr;
      TORCH_CHECK(p, "hnn allocator: out of memory allocating ", n, " bytes");
      std::lock_guard<std::mutex> lock(self->mu_);
      self->small_in_use_ += int64_t(malloc_usable_size(p));
      self->peak_ = std::max(self->peak_, self->mapped_ - self->cached_ + self->small_in_use_);
    } else {
      p = self->take(n);
    }
    return {p, p, &CachingCpuAllocator::deleter, c10::Device(c10::DeviceType::CPU)};
  }

  void* take(size_t n) {
    size_t need = (n + kHugePage - 1) / kHugePage * kHugePage;
    {
      std::lock_guard<std::mutex> lock(mu_);
      // Best fit, accepting at most 1/8 slack so small requests do not pin huge blocks.
      auto it = free_.lower_bound(need);
      if (it != free_.end() && it->first <= need + std::max(kHugePage, need / 8)) {
        void* p = it->second;
        cached_ -= it->first;
        free_.erase(it);
        ++hits_;
        peak_ = std::max(peak_, mapped_ - cached_ + small_in_use_);
        return p;
      }
      ++misses_;
    }
    void* p = mmap(nullptr, need, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
      release_all();
      p = mmap(nullptr, need, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      TORCH_CHECK(p != MAP_FAILED, "hnn allocator: out of memory allocating ", n, " bytes");
    }
    madvise(p, need, MADV_HUGEPAGE);
    std::lock_guard<std::mutex> lock(mu_);
    sizes_[p] = need;
    mapped_ += need;
    peak_ = std::max(peak_, mapped_ - cached_ + small_in_use_);
    return p;
  }

  // Unmaps cached blocks, largest first, until at least `bytes` are released. Caller holds mu_.
  void evict(size_t bytes) {
    size_t released = 0;
    while (released < bytes && !free_.empty()) {
      auto it = std::prev(free_.end());
      released += it->first;
      cached_ -= it->first;
      void* p = it->second;
      size_t size = it->first;
      free_.erase(it);
      unmap(p, size);
    }
  }

  void unmap(void* p, size_t size) {
    munmap(p, size);
    sizes_.erase(p);
    mapped_ -= size;
  }

  static void deleter(void* p);

  size_t limit_;
  std::mutex mu_;
  std::multimap<size_t, void*> free_;
  std::unordered_map<void*, size_t> sizes_;
  int64_t mapped_ = 0, cached_ = 0, hits_ = 0, misses_ = 0, peak_ = 0;
  int64_t small_in_use_ = 0;  // bytes of small blocks handed out (malloc_usable_size)
};

CachingCpuAllocator* g_alloc = nullptr;

void CachingCpuAllocator::deleter(void* p) {
  g_alloc->release(p);
}

}  // namespace

void install_caching_allocator(size_t cache_limit_bytes) {
  if (g_alloc) return;
  if (cache_limit_bytes == 0) {
    const char* env = std::getenv("HNN_ALLOC_CACHE_MB");
    cache_limit_bytes = env ? size_t(std::strtoull(env, nullptr, 10)) << 20 : size_t(8) << 30;
  }
  // Never destroyed: tensors freed during static destruction still call into it.
  g_alloc = new CachingCpuAllocator(cache_limit_bytes);
  c10::SetCPUAllocator(g_alloc, /*priority=*/100);
}

bool caching_allocator_installed() {
  return g_alloc != nullptr;
}

AllocatorStats allocator_stats() {
  return g_alloc ? g_alloc->stats() : AllocatorStats{};
}

void release_cached_memory() {
  if (g_alloc) g_alloc->release_all();
}

void reset_peak_memory() {
  if (g_alloc) g_alloc->reset_peak();
}

}  // namespace hnn
