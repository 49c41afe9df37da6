#include "hnn/models/hrn/program.h"

#include <algorithm>
#include <utility>

#include "hnn/core/error.h"

namespace hnn::models::hrn {
namespace {

const std::vector<std::pair<std::string, int>>& module_table() {
  static const std::vector<std::pair<std::string, int>> kTable = {
      {"objects", 0},
      {"events", 0},
      {"all_events", 0},
      {"unseen_events", 0},
      {"unique", 1},
      {"count", 1},
      {"exist", 1},
      {"negate", 1},
      {"belong_to", 2},
      {"filter_color", 2},
      {"filter_material", 2},
      {"filter_shape", 2},
      {"filter_moving", 2},
      {"filter_stationary", 2},
      {"filter_start", 1},
      {"filter_end", 1},
      {"filter_in", 2},
      {"filter_out", 2},
      {"filter_collision", 2},
      {"filter_order", 2},
      {"filter_before", 2},
      {"filter_after", 2},
      {"filter_ancestor", 2},
      {"query_color", 1},
      {"query_material", 1},
      {"query_shape", 1},
      {"query_frame", 1},
      {"query_object", 1},
      {"query_collision_partner", 2},
      {"counterfact_events", 1},
      {"filter_counterfact", 2},
  };
  return kTable;
}

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

}  // namespace

int module_nargs(const std::string& token) {
  for (const auto& [name, n] : module_table())
    if (name == token) return n;
  return -1;
}

const std::vector<std::string>& module_names() {
  static const std::vector<std::string> kNames = [] {
    std::vector<std::string> v;
    for (const auto& e : module_table()) v.push_back(e.first);
    return v;
  }();
  return kNames;
}

const std::vector<std::string>& colors() {
  static const std::vector<std::string> v = {"gray", "red", "blue", "green", "brown", "purple", "cyan", "yellow"};
  return v;
}
const std::vector<std::string>& materials() {
  static const std::vector<std::string> v = {"rubber", "metal"};
  return v;
}
const std::vector<std::string>& shapes() {
  static const std::vector<std::string> v = {"cube", "cylinder", "sphere"};
  return v;
}
const std::vector<std::string>& orders() {
  static const std::vector<std::string> v = {"first", "second", "last"};
  return v;
}

std::string argument_kind(const std::string& token) {
  if (contains(colors(), token)) return "color";
  if (contains(materials(), token)) return "material";
  if (contains(shapes(), token)) return "shape";
  if (contains(orders(), token)) return "order";
  return "";
}

bool is_control_token(const std::string& token) {
  return token == "<START>" || token == "<END>" || token == "<NULL>";
}

void validate_program(const Program& p, const std::string& where) {
  HNN_CHECK(!p.empty(), "{}: empty program", where);
  for (size_t i = 0; i < p.size(); ++i)
    HNN_CHECK(module_nargs(p[i]) >= 0 || !argument_kind(p[i]).empty() || is_control_token(p[i]),
              "{}: token {} '{}' is neither a module (objects, filter_color, ...) nor an argument (a colour, "
              "material, shape or first/second/last)",
              where, i + 1, p[i]);
}

Program parse_program(const std::string& text, const std::string& where) {
  Program p;
  std::string cur;
  for (char c : text) {
    if (c == ' ' || c == '\t' || c == ',' || c == '\n' || c == '\r') {
      if (!cur.empty()) p.push_back(std::move(cur)), cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) p.push_back(std::move(cur));
  validate_program(p, where);
  return p;
}

std::string program_str(const Program& p) {
  std::string s;
  for (size_t i = 0; i < p.size(); ++i) s += (i ? " " : "") + p[i];
  return s;
}

QuestionKind question_kind(const Program& p) {
  if (contains(p, "unseen_events")) return QuestionKind::Predictive;
  if (contains(p, "filter_counterfact")) return QuestionKind::Counterfactual;
  return QuestionKind::Normal;
}

std::vector<std::string> to_instructions(const Program& program) {
  // 1. From the end: "<value> filter_<kind>" with kind color/material/shape/order becomes
  //    "filter_<value>".
  std::vector<std::string> p = program;
  for (int i = (int)p.size() - 1; i >= 1; --i) {
    const std::string& t = p[i];
    if (t.find("filter") == std::string::npos) continue;
    auto u1 = t.find('_');
    if (u1 == std::string::npos) continue;
    auto u2 = t.find('_', u1 + 1);
    std::string field = t.substr(u1 + 1, u2 == std::string::npos ? std::string::npos : u2 - u1 - 1);
    if (field == "color" || field == "material" || field == "shape" || field == "order") {
      p[i - 1] = "filter_" + p[i - 1];
      p.erase(p.begin() + i);
    }
  }
  // 2. Move the slice from the first `events` up to and including `query_frame` to the front.
  auto qf = std::find(p.begin(), p.end(), "query_frame");
  if (qf != p.end()) {
    auto ev = std::find(p.begin(), p.end(), "events");
    if (ev != p.end() && ev <= qf) {
      std::vector<std::string> moved(ev, qf + 1);
      std::vector<std::string> rest(p.begin(), ev);
      rest.insert(rest.end(), qf + 1, p.end());
      moved.insert(moved.end(), rest.begin(), rest.end());
      p = std::move(moved);
    }
  }
  // 3. Drop unique and query_frame.
  p.erase(std::remove_if(p.begin(), p.end(), [](const std::string& t) { return t == "unique" || t == "query_frame"; }),
          p.end());
  // 4. The moving/stationary filters read the firing events' frames.
  if ((contains(p, "filter_moving") || contains(p, "filter_stationary")) && (p.empty() || p[0] != "events"))
    p.insert(p.begin(), "events");
  return p;
}

}  // namespace hnn::models::hrn
