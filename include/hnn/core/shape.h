// Shape formatting for error messages: "[2, 3, 4]".
#pragma once
#include <c10/util/ArrayRef.h>

#include <cstdint>
#include <string>

namespace hnn {

std::string shape_str(c10::IntArrayRef shape);

}  // namespace hnn
