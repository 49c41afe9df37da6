// The row-stable dense layer for one instruction set (flags in src/models/CMakeLists.txt).
#define HNN_KERNEL_NS avx2
#include "models/dasbe/cpu/row_linear_impl.h"
