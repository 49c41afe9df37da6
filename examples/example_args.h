// A tiny "--name value" parser shared by the examples (they use nothing but hnn and LibTorch).
#pragma once
#include <cstdlib>
#include <map>
#include <stdexcept>
#include <string>

namespace examples {

class Args {
 public:
  Args(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
      std::string k = argv[i];
      if (k.rfind("--", 0) != 0 || i + 1 >= argc) throw std::invalid_argument("expected --name value, got " + k);
      values_[k.substr(2)] = argv[++i];
    }
  }
  std::string str(const std::string& k, const std::string& fallback) const {
    auto it = values_.find(k);
    return it == values_.end() ? fallback : it->second;
  }
  long num(const std::string& k, long fallback) const {
    auto it = values_.find(k);
    return it == values_.end() ? fallback : std::stol(it->second);
  }

 private:
  std::map<std::string, std::string> values_;
};

}  // namespace examples
