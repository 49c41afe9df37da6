// The fused kernels compiled for one instruction set (flags in src/spike/CMakeLists.txt).
#define HNN_KERNEL_NS avx512
#include "spike/cpu/neuron_kernel_impl.h"
