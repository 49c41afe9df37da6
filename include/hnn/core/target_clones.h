// HNN_TARGET_CLONES: compile a hot loop once per instruction set (AVX2 and the baseline) and pick
// the clone at load time (GCC on x86-64; elsewhere one generic version). For small kernels that
// do not warrant per-ISA source files like the neuron kernels'.
#pragma once

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define HNN_TARGET_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define HNN_TARGET_CLONES
#endif
