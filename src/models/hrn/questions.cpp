#include "hnn/models/hrn/questions.h"

#include <fmt/format.h>

#include <algorithm>
#include <functional>
#include <random>

namespace hnn::models::hrn {
namespace {

using data::ClevrerChoice;
using data::ClevrerQuestion;

const char* kAfterDivergence =
    "spec 4.9: events sharing the frame of the entry are after it by list index (SNN) but not by "
    "the executor's strict frame comparison";
const char* kUnseenClip = "spec 4.9: the SNN sees only the first 5 unseen collisions (clip)";
const char* kCfClip = "spec 4.9: the SNN sees only the first 5 counterfactual collisions (clip)";

const std::vector<TemplateInfo> kTemplates = {
    {"count_attr", "descriptive", "How many <V> objects are there?", true, ""},
    {"exist_attr", "descriptive", "Are there any <V1> <V2> objects?", true, ""},
    {"query_attr", "descriptive", "What is the <A> of the <O>?", true, ""},
    {"count_moving_start", "descriptive", "How many objects are moving when the video begins?", true, ""},
    {"count_moving_end", "descriptive", "How many objects are moving when the video ends?", true, ""},
    {"count_stationary_start", "descriptive", "How many objects are stationary when the video begins?", true, ""},
    {"count_stationary_end", "descriptive", "How many objects are stationary when the video ends?", true, ""},
    {"exist_stationary_end", "descriptive", "Is there a stationary <C> object when the video ends?", true, ""},
    {"count_collisions", "descriptive", "How many collisions happen?", true, ""},
    {"count_collisions_with", "descriptive", "How many collisions does the <O> have?", true, ""},
    {"count_in", "descriptive", "How many objects enter the scene?", true, ""},
    {"count_out", "descriptive", "How many objects exit the scene?", true, ""},
    {"count_moving_enter", "descriptive", "How many objects are moving when the <O> enters the scene?", true, ""},
    {"count_collisions_before_enter", "descriptive", "How many collisions happen before the <O> enters?", true, ""},
    {"count_collisions_after_enter", "descriptive", "How many collisions happen after the <O> enters?", true,
     kAfterDivergence},
    {"query_order_in", "descriptive", "What is the <A> of the <first|second|last> object to enter?", true, ""},
    {"query_order_out", "descriptive", "What is the <A> of the <first|second|last> object to exit?", true, ""},
    {"query_partner", "descriptive", "What color is the <first|second|last> object to collide with the <O>?", true, ""},
    {"explain_collision", "explanatory",
     "Which of the following is responsible for the collision between <O1> and <O2>?", true, ""},
    {"explain_collision_not", "explanatory",
     "Which of the following is not responsible for the collision between <O1> and <O2>?", true, ""},
    {"explain_out", "explanatory", "Which of the following is responsible for the <O>'s exiting the scene?", true, ""},
    {"explain_out_not", "explanatory", "Which of the following is not responsible for the <O>'s exiting the scene?",
     true, ""},
    {"predict_collision", "predictive", "Which event will happen next?", true, kUnseenClip},
    {"counterfact_collision", "counterfactual", "Which event will happen if the <O> is removed?", true, kCfClip},
    {"counterfact_collision_not", "counterfactual", "Which event will not happen if the <O> is removed?", true,
     kCfClip},
    {"counterfact_collider", "counterfactual",
     "Which of the following objects will collide with something if the <O> is removed?", false,
     "executor only: uses counterfact_events, for which the spec's SNN has no path"},
};

// A description of one object: the fewest attributes that single it out.
struct Ref {
  Program filters;  // e.g. red filter_color cube filter_shape
  std::string text;
};

struct Gen {
  const Executor& ex;
  const Simulation& sim;
  const QuestionOptions& opt;
  std::mt19937_64 rng;
  data::ClevrerVideoQuestions out;

  std::vector<Ref> refs;  // one description per object, chosen once per video

  int n_obj() const { return sim.num_objects(); }

  const Ref& ref(int o) {
    if (refs.empty())
      for (int k = 0; k < n_obj(); ++k) refs.push_back(make_ref(k));
    return refs[o];
  }

  Ref make_ref(int o) {
    const auto& ob = sim.object(o);
    const std::string vals[3] = {ob.color, ob.material, ob.shape};
    const char* kinds[3] = {"color", "material", "shape"};
    std::vector<int> best_masks;
    int best = 4;
    for (int mask = 1; mask < 8; ++mask) {
      int bits = __builtin_popcount(mask);
      if (bits > best) continue;
      int matches = 0;
      for (int k = 0; k < n_obj(); ++k) {
        const auto& other = sim.object(k);
        const std::string ov[3] = {other.color, other.material, other.shape};
        bool all = true;
        for (int a = 0; a < 3; ++a)
          if ((mask >> a & 1) && ov[a] != vals[a]) all = false;
        matches += all;
      }
      if (matches != 1) continue;
      if (bits < best) best = bits, best_masks.clear();
      best_masks.push_back(mask);
    }
    int mask = best_masks[std::uniform_int_distribution<size_t>(0, best_masks.size() - 1)(rng)];
    Ref r;
    r.filters = {"objects"};
    std::string words;
    for (int a = 0; a < 3; ++a)
      if (mask >> a & 1) {
        r.filters.push_back(vals[a]);
        r.filters.push_back(std::string("filter_") + kinds[a]);
        if (a < 2) words += vals[a] + " ";
      }
    r.text = "the " + words + ((mask & 4) ? vals[2] : "object");
    return r;
  }
  Program unique_ref(int o) {
    Program p = ref(o).filters;
    p.push_back("unique");
    return p;
  }

  template <typename T>
  void shuffle(std::vector<T>& v) {
    std::shuffle(v.begin(), v.end(), rng);
  }

  static Program cat(std::initializer_list<Program> parts) {
    Program p;
    for (const auto& x : parts) p.insert(p.end(), x.begin(), x.end());
    return p;
  }

  // Keeps up to per_template descriptive candidates that the executor answers.
  void descriptive(const std::string& name, std::vector<std::pair<Program, std::string>> cands) {
    shuffle(cands);
    int kept = 0;
    for (auto& [prog, text] : cands) {
      if (kept >= opt.per_template) break;
      auto ans = ex.run(prog);
      if (!ans) continue;
      ClevrerQuestion q;
      q.id = (int)out.questions.size();
      q.text = text;
      q.type = "descriptive";
      q.subtype = name;
      q.program = prog;
      q.answer = *ans;
      out.questions.push_back(std::move(q));
      ++kept;
    }
  }

  // A multiple-choice question: the choices the executor answers, correct and wrong mixed.
  bool multiple_choice(const std::string& name, const std::string& type, const std::string& text,
                       const Program& question, std::vector<std::pair<Program, std::string>> choices) {
    shuffle(choices);
    std::vector<ClevrerChoice> correct, wrong;
    for (auto& [prog, ctext] : choices) {
      auto ans = ex.run(cat({prog, question}));
      if (!ans) continue;
      auto& bucket = *ans == "correct" ? correct : wrong;
      bucket.push_back({0, ctext, prog, *ans});
    }
    std::vector<ClevrerChoice> picked;
    for (size_t i = 0; (int)picked.size() < opt.max_choices && (i < correct.size() || i < wrong.size()); ++i) {
      if (i < correct.size()) picked.push_back(correct[i]);
      if (i < wrong.size() && (int)picked.size() < opt.max_choices) picked.push_back(wrong[i]);
    }
    if (picked.empty()) return false;
    shuffle(picked);
    for (size_t i = 0; i < picked.size(); ++i) picked[i].id = (int)i;
    ClevrerQuestion q;
    q.id = (int)out.questions.size();
    q.text = text;
    q.type = type;
    q.subtype = name;
    q.program = question;
    q.choices = std::move(picked);
    out.questions.push_back(std::move(q));
    return true;
  }

  Program collision_choice(const char* source, int a, int b) {
    return cat({{source}, unique_ref(a), {"filter_collision"}, unique_ref(b), {"filter_collision", "unique"}});
  }
  std::string collision_text(int a, int b) {
    return fmt::format("the collision between {} and {}", ref(a).text, ref(b).text);
  }

  // Choices for explanatory questions: objects, entries and collisions of the visible events.
  std::vector<std::pair<Program, std::string>> explanatory_choices() {
    std::vector<std::pair<Program, std::string>> c;
    for (int o = 0; o < n_obj(); ++o) {
      c.push_back({unique_ref(o), "the presence of " + ref(o).text});
      c.push_back({cat({{"events"}, unique_ref(o), {"filter_in", "unique"}}), ref(o).text + "'s entering the scene"});
    }
    for (int a = 0; a < n_obj(); ++a)
      for (int b = a + 1; b < n_obj(); ++b) c.push_back({collision_choice("events", a, b), collision_text(a, b)});
    return c;
  }

  void run_all() {
    auto want = [&](const std::string& name) {
      return opt.templates.empty() ||
             std::find(opt.templates.begin(), opt.templates.end(), name) != opt.templates.end();
    };
    const std::vector<std::string> attr_kinds = {"color", "material", "shape"};
    auto values_of = [&](const std::string& kind) -> const std::vector<std::string>& {
      return kind == "color" ? colors() : kind == "material" ? materials() : shapes();
    };
    using Cands = std::vector<std::pair<Program, std::string>>;
    if (want("count_attr")) {
      Cands c;
      for (const auto& k : attr_kinds)
        for (const auto& v : values_of(k))
          c.push_back({{"objects", v, "filter_" + k, "count"}, fmt::format("How many {} objects are there?", v)});
      descriptive("count_attr", c);
    }
    if (want("exist_attr")) {
      Cands c;
      for (const auto& v1 : colors())
        for (const auto& v2 : shapes())
          c.push_back({{"objects", v1, "filter_color", v2, "filter_shape", "exist"},
                       fmt::format("Are there any {} {}s?", v1, v2)});
      descriptive("exist_attr", c);
    }
    if (want("query_attr")) {
      Cands c;
      for (int o = 0; o < n_obj(); ++o)
        for (const auto& k : attr_kinds) {
          Ref r = ref(o);
          c.push_back({cat({r.filters, {"unique", "query_" + k}}), fmt::format("What is the {} of {}?", k, r.text)});
        }
      descriptive("query_attr", c);
    }
    for (const char* when : {"start", "end"})
      for (const char* what : {"moving", "stationary"}) {
        std::string name = fmt::format("count_{}_{}", what, when);
        if (!want(name)) continue;
        descriptive(name, {{{"objects", "events", std::string("filter_") + when, "query_frame",
                             std::string("filter_") + what, "count"},
                            fmt::format("How many objects are {} when the video {}?", what,
                                        std::string(when) == "start" ? "begins" : "ends")}});
      }
    if (want("exist_stationary_end")) {
      Cands c;
      for (const auto& v : colors())
        c.push_back(
            {{"objects", v, "filter_color", "events", "filter_end", "query_frame", "filter_stationary", "exist"},
             fmt::format("Is there a stationary {} object when the video ends?", v)});
      descriptive("exist_stationary_end", c);
    }
    if (want("count_collisions"))
      descriptive("count_collisions",
                  {{{"events", "objects", "filter_collision", "count"}, "How many collisions happen?"}});
    if (want("count_collisions_with")) {
      Cands c;
      for (int o = 0; o < n_obj(); ++o) {
        Ref r = ref(o);
        c.push_back({cat({{"events"}, r.filters, {"unique", "filter_collision", "count"}}),
                     fmt::format("How many collisions does {} have?", r.text)});
      }
      descriptive("count_collisions_with", c);
    }
    if (want("count_in"))
      descriptive("count_in", {{{"events", "objects", "filter_in", "count"}, "How many objects enter the scene?"}});
    if (want("count_out"))
      descriptive("count_out", {{{"events", "objects", "filter_out", "count"}, "How many objects exit the scene?"}});
    if (want("count_moving_enter")) {
      Cands c;
      for (int o = 0; o < n_obj(); ++o) {
        Ref r = ref(o);
        c.push_back({cat({{"objects", "events"},
                          r.filters,
                          {"unique", "filter_in", "unique", "query_frame", "filter_moving", "count"}}),
                     fmt::format("How many objects are moving when {} enters the scene?", r.text)});
      }
      descriptive("count_moving_enter", c);
    }
    for (const char* rel : {"before", "after"}) {
      std::string name = fmt::format("count_collisions_{}_enter", rel);
      if (!want(name)) continue;
      Cands c;
      for (int o = 0; o < n_obj(); ++o) {
        Ref r = ref(o);
        c.push_back({cat({{"events", "events"},
                          r.filters,
                          {"unique", "filter_in", "unique", std::string("filter_") + rel, "objects", "filter_collision",
                           "count"}}),
                     fmt::format("How many collisions happen {} {} enters?", rel, r.text)});
      }
      descriptive(name, c);
    }
    for (const char* io : {"in", "out"}) {
      std::string name = fmt::format("query_order_{}", io);
      if (!want(name)) continue;
      Cands c;
      for (const auto& ord : orders())
        for (const char* a : {"shape", "color", "material"})
          c.push_back({{"events", "objects", std::string("filter_") + io, ord, "filter_order", "query_object",
                        std::string("query_") + a},
                       fmt::format("What is the {} of the {} object to {}?", a, ord,
                                   std::string(io) == "in" ? "enter" : "exit")});
      descriptive(name, c);
    }
    if (want("query_partner")) {
      Cands c;
      for (int o = 0; o < n_obj(); ++o)
        for (const auto& ord : orders()) {
          Ref r = ref(o);
          c.push_back({cat({{"events"},
                            r.filters,
                            {"unique", "filter_collision", ord, "filter_order"},
                            r.filters,
                            {"unique", "query_collision_partner", "query_color"}}),
                       fmt::format("What color is the {} object to collide with {}?", ord, r.text)});
        }
      descriptive("query_partner", c);
    }
    // Explanatory: what caused a collision or an exit (its ancestors).
    for (bool neg : {false, true}) {
      std::string name = neg ? "explain_collision_not" : "explain_collision";
      if (!want(name)) continue;
      std::vector<std::pair<int, int>> pairs;
      for (int a = 0; a < n_obj(); ++a)
        for (int b = a + 1; b < n_obj(); ++b) pairs.push_back({a, b});
      shuffle(pairs);
      int kept = 0;
      for (auto [a, b] : pairs) {
        if (kept >= opt.per_template) break;
        Program q = cat({{"events", "events"},
                         unique_ref(a),
                         {"filter_collision"},
                         unique_ref(b),
                         {"filter_collision", "unique", "filter_ancestor", "belong_to"}});
        if (neg) q.push_back("negate");
        std::string text = fmt::format("Which of the following is {}responsible for the collision between {} and {}?",
                                       neg ? "not " : "", ref(a).text, ref(b).text);
        kept += multiple_choice(name, "explanatory", text, q, explanatory_choices());
      }
    }
    for (bool neg : {false, true}) {
      std::string name = neg ? "explain_out_not" : "explain_out";
      if (!want(name)) continue;
      std::vector<int> objs;
      for (int o = 0; o < n_obj(); ++o) objs.push_back(o);
      shuffle(objs);
      int kept = 0;
      for (int o : objs) {
        if (kept >= opt.per_template) break;
        Program q =
            cat({{"events", "events"}, unique_ref(o), {"filter_out", "unique", "filter_ancestor", "belong_to"}});
        if (neg) q.push_back("negate");
        std::string text = fmt::format("Which of the following is {}responsible for {}'s exiting the scene?",
                                       neg ? "not " : "", ref(o).text);
        kept += multiple_choice(name, "explanatory", text, q, explanatory_choices());
      }
    }
    // Predictive and counterfactual: collisions of any pair as choices.
    auto all_pairs = [&] {
      std::vector<std::pair<Program, std::string>> c;
      for (int a = 0; a < n_obj(); ++a)
        for (int b = a + 1; b < n_obj(); ++b)
          c.push_back(
              {collision_choice("all_events", a, b), fmt::format("{} collides with {}", ref(a).text, ref(b).text)});
      return c;
    };
    if (want("predict_collision"))
      multiple_choice("predict_collision", "predictive", "Which event will happen next?",
                      {"unseen_events", "belong_to"}, all_pairs());
    for (const char* name : {"counterfact_collision", "counterfact_collision_not", "counterfact_collider"}) {
      if (!want(name)) continue;
      std::vector<int> objs;
      for (int o = 0; o < n_obj(); ++o) objs.push_back(o);
      shuffle(objs);
      int kept = 0;
      const std::string n = name;
      for (int o : objs) {
        if (kept >= opt.per_template) break;
        if (n == "counterfact_collider") {
          std::vector<std::pair<Program, std::string>> c;
          for (int k = 0; k < n_obj(); ++k)
            if (k != o) c.push_back({unique_ref(k), ref(k).text});
          Program q = cat({unique_ref(o), {"counterfact_events", "belong_to"}});
          kept += multiple_choice(n, "counterfactual",
                                  fmt::format("Which of the following objects will collide with something if {} is "
                                              "removed?",
                                              ref(o).text),
                                  q, c);
        } else {
          const bool neg = n == "counterfact_collision_not";
          Program q = cat({{"all_events"}, unique_ref(o), {"filter_counterfact", "belong_to"}});
          if (neg) q.push_back("negate");
          kept += multiple_choice(
              n, "counterfactual",
              fmt::format("Which event will {}happen if {} is removed?", neg ? "not " : "", ref(o).text), q,
              all_pairs());
        }
      }
    }
  }
};

}  // namespace

const std::vector<TemplateInfo>& question_templates() {
  return kTemplates;
}

const TemplateInfo* find_template(const std::string& name) {
  for (const auto& t : kTemplates)
    if (t.name == name) return &t;
  return nullptr;
}

data::ClevrerVideoQuestions generate_questions(const Executor& ex, const QuestionOptions& opt, uint64_t seed) {
  const int video = ex.simulation().scene().video;
  std::seed_seq seq{(uint32_t)seed, (uint32_t)(seed >> 32), (uint32_t)video};
  Gen g{ex, ex.simulation(), opt, std::mt19937_64(seq), {}, {}};
  g.out.video = video;
  g.run_all();
  return std::move(g.out);
}

Program full_program(const data::ClevrerQuestion& q, int choice) {
  if (choice < 0) return q.program;
  Program p = q.choices.at(choice).program;
  p.insert(p.end(), q.program.begin(), q.program.end());
  return p;
}

}  // namespace hnn::models::hrn
