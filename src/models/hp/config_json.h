// JSON for the HP models' configs (../config_json.h), with the mode stored by name.
#pragma once
#include <string>

#include "../config_json.h"
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
  nlohmann::json j = config_fields_to_json(c, model);
  j["mode"] = to_string(c.mode);
  return j.dump();
}

// Fields absent from the text keep the values `c` has.
template <class Config>
Config config_from_json(Config c, const std::string& text, const char* model) {
  const nlohmann::json j = parse_config_json(text, model);
  if (j.contains("mode")) {
    HNN_CHECK(j["mode"].is_string(), "{} config: mode must be a string, got {}", model, j["mode"].dump());
    parse_mode_into(c.mode, j["mode"].get<std::string>());
  }
  return config_fields_from_json(c, j, model);
}

}  // namespace hnn::models::hp
