// hnn::Error: the one exception type for bad input and broken invariants. Messages name what
// was wrong (file, byte offset, option, shape) and what was expected.
#pragma once
#include <fmt/format.h>

#include <stdexcept>
#include <string>

namespace hnn {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what) : std::runtime_error(what) {}
};

// Throws hnn::Error with a fmt-formatted message.
template <typename... Args>
[[noreturn]] void fail(fmt::format_string<Args...> f, Args&&... args) {
  throw Error(fmt::format(f, std::forward<Args>(args)...));
}

}  // namespace hnn

// HNN_CHECK(cond, "fmt {}", args...): throw hnn::Error when cond is false.
#define HNN_CHECK(cond, ...)               \
  do {                                     \
    if (!(cond)) ::hnn::fail(__VA_ARGS__); \
  } while (0)
