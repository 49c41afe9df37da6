// Small CLI11 helpers shared by the subcommands: validators with plain messages.
#pragma once
#include <CLI/CLI.hpp>

#include <string>

namespace hnn::cli {

// A number > 0 (integers or reals), with "expected a positive number, got 'x'" on failure.
inline CLI::Validator positive() {
  return CLI::Validator(
      [](std::string& s) -> std::string {
        try {
          size_t used = 0;
          double v = std::stod(s, &used);
          if (used == s.size() && v > 0) return {};
        } catch (...) {
        }
        return "expected a positive number, got '" + s + "'";
      },
      "POSITIVE");
}

// A number >= 0.
inline CLI::Validator non_negative() {
  return CLI::Validator(
      [](std::string& s) -> std::string {
        try {
          size_t used = 0;
          double v = std::stod(s, &used);
          if (used == s.size() && v >= 0) return {};
        } catch (...) {
        }
        return "expected a number >= 0, got '" + s + "'";
      },
      "NON-NEGATIVE");
}

}  // namespace hnn::cli
