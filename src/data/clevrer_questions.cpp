#include "hnn/data/clevrer_questions.h"

#include <cstdlib>
#include <nlohmann/json.hpp>

#include "hnn/core/error.h"
#include "hnn/core/fs.h"
#include "hnn/core/json.h"

namespace hnn::data {
namespace {

using nlohmann::json;
using ojson = nlohmann::ordered_json;

std::vector<std::string> get_program(const json& o, const std::string& path, const std::string& name) {
  auto it = o.find("program");
  HNN_CHECK(it != o.end(), "{}: {}: missing key 'program'", name, path);
  HNN_CHECK(it->is_array(), "{}: {}.program: expected an array of tokens, got {}", name, path, it->type_name());
  std::vector<std::string> out;
  for (size_t i = 0; i < it->size(); ++i) {
    const json& t = (*it)[i];
    HNN_CHECK(t.is_string(), "{}: {}.program[{}]: expected a string token, got {}", name, path, i, t.type_name());
    out.push_back(t.get<std::string>());
  }
  return out;
}

std::string opt_str(const json& o, const char* key, const std::string& path, const std::string& name) {
  auto it = o.find(key);
  if (it == o.end() || it->is_null()) return {};
  if (it->is_number_integer()) return std::to_string(it->get<long long>());  // answers like 2
  HNN_CHECK(it->is_string(), "{}: {}.{}: expected a string, got {}", name, path, key, it->type_name());
  return it->get<std::string>();
}

int opt_int(const json& o, const char* key, int fallback, const std::string& path, const std::string& name) {
  auto it = o.find(key);
  if (it == o.end()) return fallback;
  HNN_CHECK(it->is_number_integer(), "{}: {}.{}: expected an integer, got {}", name, path, key, it->type_name());
  return json_integer<int>(*it, fmt::format("{}: {}.{}", name, path, key));
}

ClevrerVideoQuestions parse_video(int video, const json& v, const std::string& path, const std::string& name) {
  HNN_CHECK(v.is_object(), "{}: {}: expected a JSON object, got {}", name, path, v.type_name());
  auto qs = v.find("questions");
  HNN_CHECK(qs != v.end() && qs->is_array(), "{}: {}: missing array 'questions'", name, path);
  ClevrerVideoQuestions out;
  out.video = video;
  for (size_t i = 0; i < qs->size(); ++i) {
    std::string p = fmt::format("{}.questions[{}]", path, i);
    const json& q = (*qs)[i];
    HNN_CHECK(q.is_object(), "{}: {}: expected a JSON object, got {}", name, p, q.type_name());
    ClevrerQuestion cq;
    cq.id = opt_int(q, "question_id", (int)i, p, name);
    cq.text = opt_str(q, "question", p, name);
    cq.type = opt_str(q, "question_type", p, name);
    HNN_CHECK(
        cq.type == "descriptive" || cq.type == "explanatory" || cq.type == "predictive" || cq.type == "counterfactual",
        "{}: {}.question_type: expected descriptive, explanatory, predictive or counterfactual, got '{}'", name, p,
        cq.type);
    cq.subtype = opt_str(q, "question_subtype", p, name);
    cq.program = get_program(q, p, name);
    cq.answer = opt_str(q, "answer", p, name);
    auto ch = q.find("choices");
    if (ch != q.end()) {
      HNN_CHECK(ch->is_array(), "{}: {}.choices: expected an array, got {}", name, p, ch->type_name());
      for (size_t k = 0; k < ch->size(); ++k) {
        std::string c = fmt::format("{}.choices[{}]", p, k);
        HNN_CHECK((*ch)[k].is_object(), "{}: {}: expected a JSON object", name, c);
        ClevrerChoice cc;
        cc.id = opt_int((*ch)[k], "choice_id", (int)k, c, name);
        cc.text = opt_str((*ch)[k], "choice", c, name);
        cc.program = get_program((*ch)[k], c, name);
        cc.answer = opt_str((*ch)[k], "answer", c, name);
        cq.choices.push_back(std::move(cc));
      }
    }
    HNN_CHECK(cq.type == "descriptive" || !cq.choices.empty(), "{}: {}: a {} question needs choices", name, p, cq.type);
    out.questions.push_back(std::move(cq));
  }
  return out;
}

}  // namespace

std::vector<ClevrerVideoQuestions> parse_clevrer_questions(const std::string& text, const std::string& name) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::parse_error& e) {
    fail("{}: invalid JSON at byte {}: {}", name, e.byte, e.what());
  } catch (const json::exception& e) {  // e.g. a number too large for any type (out_of_range)
    fail("{}: invalid JSON: {}", name, e.what());
  }
  std::vector<ClevrerVideoQuestions> out;
  if (j.is_array()) {  // CLEVRER's own form
    for (size_t i = 0; i < j.size(); ++i) {
      std::string p = fmt::format("[{}]", i);
      HNN_CHECK(j[i].is_object(), "{}: {}: expected a JSON object, got {}", name, p, j[i].type_name());
      auto si = j[i].find("scene_index");
      HNN_CHECK(si != j[i].end() && si->is_number_integer(), "{}: {}: missing integer 'scene_index'", name, p);
      out.push_back(parse_video(json_integer<int>(*si, fmt::format("{}: {}.scene_index", name, p)), j[i], p, name));
    }
  } else if (j.is_object()) {  // keyed by video id
    for (auto it = j.begin(); it != j.end(); ++it) {
      char* end = nullptr;
      long v = std::strtol(it.key().c_str(), &end, 10);
      HNN_CHECK(!it.key().empty() && *end == 0, "{}: key '{}' is not a video id", name, it.key());
      out.push_back(parse_video((int)v, it.value(), "\"" + it.key() + "\"", name));
    }
  } else {
    fail("{}: expected a JSON array or object at the top level, got {}", name, j.type_name());
  }
  return out;
}

std::vector<ClevrerVideoQuestions> read_clevrer_questions(const std::string& path) {
  return parse_clevrer_questions(read_maybe_gzip(path), path);
}

void write_clevrer_questions(const std::string& path, const std::vector<ClevrerVideoQuestions>& videos) {
  ojson all = ojson::array();
  for (const auto& v : videos) {
    ojson jv;
    jv["scene_index"] = v.video;
    jv["video_filename"] = fmt::format("video_{}.mp4", v.video);
    jv["questions"] = ojson::array();
    for (const auto& q : v.questions) {
      ojson jq;
      jq["question_id"] = q.id;
      jq["question"] = q.text;
      jq["question_type"] = q.type;
      if (!q.subtype.empty()) jq["question_subtype"] = q.subtype;
      jq["program"] = q.program;
      if (q.type == "descriptive") {
        jq["answer"] = q.answer;
      } else {
        jq["choices"] = ojson::array();
        for (const auto& c : q.choices)
          jq["choices"].push_back(
              {{"choice_id", c.id}, {"choice", c.text}, {"program", c.program}, {"answer", c.answer}});
      }
      jv["questions"].push_back(std::move(jq));
    }
    all.push_back(std::move(jv));
  }
  write_file_atomically(path, all.dump() + "\n");
}

}  // namespace hnn::data
