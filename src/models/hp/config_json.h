// JSON for the HP models' configs (stored in their checkpoints): each config lists its fields
// once in visit(f), calling f(name, member); the mode is stored by name.
#pragma once
#include <nlohmann/json.hpp>

#include <string>
#include <type_traits>

#include "hnn/core/error.h"
#include "hnn/models/hp/mlp.h"
#include "hnn/models/hp/multitask.h"

namespace hnn::models::hp {

inline void parse_mode_into(Mode& m, const std::string& s) {
  m = parse_mode(s);
}
inline void parse_mode_into(MultitaskModel& m, const std::string& s) {
  m = parse_multitask_model(s);
}

template <class Config>
std::string config_to_json(Config c, const char* model) {
  nlohmann::json j = {{"model", model}, {"mode", to_string(c.mode)}};
  c.visit([&](const char* name, const auto& value) { j[name] = value; });
  return j.dump();
}

// Fields absent from the text keep the values `c` has.
template <class Config>
Config config_from_json(Config c, const std::string& text, const char* model) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const std::exception& e) {
    throw Error(fmt::format("{} config: not JSON ({})", model, e.what()));
  }
  HNN_CHECK(j.is_object() && j.value("model", "") == model, "{} config: model is '{}', expected '{}'", model,
            j.is_object() ? j.value("model", "") : std::string("?"), model);
  if (j.contains("mode")) parse_mode_into(c.mode, j["mode"].get<std::string>());
  try {
    c.visit([&](const char* name, auto& value) {
      if (j.contains(name)) value = j[name].get<std::decay_t<decltype(value)>>();
    });
  } catch (const nlohmann::json::exception& e) {
    throw Error(fmt::format("{} config: {}", model, e.what()));
  }
  return c;
}

}  // namespace hnn::models::hp
