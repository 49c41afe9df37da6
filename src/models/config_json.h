// JSON for the models' configs (stored in their checkpoints): each config lists its fields once
// in visit(f), calling f(name, member); "model" names the kind.
#pragma once
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include <string>
#include <type_traits>

#include "hnn/core/error.h"
#include "hnn/core/json.h"

namespace hnn::models {

template <class Config>
nlohmann::json config_fields_to_json(Config c, const char* model) {
  nlohmann::json j = {{"model", model}};
  c.visit([&](const char* name, const auto& value) { j[name] = value; });
  return j;
}

// The parsed object, checked to name `model`.
inline nlohmann::json parse_config_json(const std::string& text, const char* model) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const std::exception& e) {
    throw Error(fmt::format("{} config: not JSON ({})", model, e.what()));
  }
  // Hostile input: "model" may be of any type (j.value("model", "") would throw a JSON type error).
  std::string kind = "?";
  if (j.is_object()) {
    auto it = j.find("model");
    kind = it == j.end() ? "" : it->is_string() ? it->get<std::string>() : it->dump();
  }
  HNN_CHECK(j.is_object() && kind == model, "{} config: model is '{}', expected '{}'", model, kind, model);
  return j;
}

// Fields absent from `j` keep the values `c` has.
template <class Config>
Config config_fields_from_json(Config c, const nlohmann::json& j, const char* model) {
  try {
    c.visit([&](const char* name, auto& value) {
      if (j.contains(name))
        value = json_get<std::decay_t<decltype(value)>>(j[name], fmt::format("{} config: '{}'", model, name));
    });
  } catch (const nlohmann::json::exception& e) {
    throw Error(fmt::format("{} config: {}", model, e.what()));
  }
  return c;
}

}  // namespace hnn::models
