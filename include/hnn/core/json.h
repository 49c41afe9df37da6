// Checked numbers from JSON that came from a file. nlohmann's get<int>() converts a JSON float with
// a cast, which is undefined behaviour when the value is out of the type's range (fuzzing found it
// in four readers); it also truncates 2.5 and wraps integers too large for the type. These refuse
// all three with an hnn::Error naming `what`.
#pragma once
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include "hnn/core/error.h"

namespace hnn {

// `j` as the integer type T: a JSON integer within T's range, or a float with an integral value
// within it (|value| < 2^53, where every integer is exact).
template <typename T>
T json_integer(const nlohmann::json& j, const std::string& what) {
  static_assert(std::is_integral_v<T> && !std::is_same_v<T, bool>, "json_integer: an integer type");
  using L = std::numeric_limits<T>;
  if (j.is_number_unsigned()) {
    const auto v = j.get<uint64_t>();
    if (v <= static_cast<uint64_t>(L::max())) return static_cast<T>(v);
  } else if (j.is_number_integer()) {
    const auto v = j.get<int64_t>();
    const bool fits = std::is_signed_v<T> ? v >= static_cast<int64_t>(L::min()) &&
                                                (sizeof(T) >= 8 || v <= static_cast<int64_t>(L::max()))
                                          : v >= 0 && static_cast<uint64_t>(v) <= static_cast<uint64_t>(L::max());
    if (fits) return static_cast<T>(v);
  } else if (j.is_number_float()) {
    const double d = j.get<double>();
    if (std::isfinite(d) && std::floor(d) == d && std::fabs(d) < 9007199254740992.0)
      return json_integer<T>(nlohmann::json(static_cast<int64_t>(d)), what);
  }
  std::string text = j.dump();
  if (text.size() > 40) text = text.substr(0, 40) + "...";
  fail("{}: expected an integer from {} to {}, got {}", what, +L::min(), +L::max(), text);
}

namespace detail {
template <typename T>
struct is_integer_vector : std::false_type {};
template <typename U, typename A>
struct is_integer_vector<std::vector<U, A>> : std::bool_constant<std::is_integral_v<U> && !std::is_same_v<U, bool>> {};
}  // namespace detail

// `j` as T, with integers (and vectors of them) checked by json_integer; other types as
// nlohmann converts them (a wrong type is its nlohmann::json::type_error).
template <typename T>
T json_get(const nlohmann::json& j, const std::string& what) {
  if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
    return json_integer<T>(j, what);
  } else if constexpr (detail::is_integer_vector<T>::value) {
    if (!j.is_array()) return j.get<T>();  // the type error names what was found
    T out;
    out.reserve(j.size());
    for (size_t i = 0; i < j.size(); ++i)
      out.push_back(json_integer<typename T::value_type>(j[i], fmt::format("{}[{}]", what, i)));
    return out;
  } else {
    return j.get<T>();
  }
}

}  // namespace hnn
