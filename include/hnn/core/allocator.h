// A caching CPU allocator for LibTorch. Large blocks are mapped with transparent huge pages
// (faulting in fresh memory costs ~15 us per 4 KiB page on our machines, 40x less with 2 MiB
// pages) and kept for reuse after free, so training loops that allocate the same shapes every
// step stop touching new memory. Small blocks are plain 64-byte-aligned heap blocks.
#pragma once
#include <cstddef>
#include <cstdint>

namespace hnn {

struct AllocatorStats {
  int64_t mapped_bytes = 0;       // bytes currently mapped by the large-block pool
  int64_t cached_bytes = 0;       // of those, free and waiting for reuse
  int64_t hits = 0;               // large allocations served from the cache
  int64_t misses = 0;             // large allocations that mapped new memory
  int64_t in_use_bytes = 0;       // blocks handed out, not yet freed (large ones rounded up to 2 MiB)
  int64_t peak_in_use_bytes = 0;  // the most in_use_bytes since installation or reset_peak_memory()
};

// Installs the allocator as LibTorch's CPU allocator (idempotent). cache_limit_bytes bounds the
// free memory kept for reuse; 0 means the default (env HNN_ALLOC_CACHE_MB, else 8 GiB).
void install_caching_allocator(size_t cache_limit_bytes = 0);
bool caching_allocator_installed();
AllocatorStats allocator_stats();
// Returns all cached free blocks to the system.
void release_cached_memory();
// Starts a new peak: peak_in_use_bytes becomes in_use_bytes (benchmarks measure a call's peak).
void reset_peak_memory();

}  // namespace hnn
