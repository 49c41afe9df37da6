#include "hnn/models/hrn/executor.h"

#include <algorithm>
#include <utility>

namespace hnn::models::hrn {

// A value on the stack. Lists hold objects or events (never both); an empty list is either.
struct Executor::Value {
  enum Kind { Str, Int, Obj, Ev, List } kind = Str;
  std::string str;
  int num = 0;             // Int value, object id or event table index
  std::vector<int> items;  // List: object ids or event table indices
  bool events = false;     // List: items are events

  static Value s(std::string v) {
    Value x;
    x.kind = Str;
    x.str = std::move(v);
    return x;
  }
  static Value i(int v) {
    Value x;
    x.kind = Int;
    x.num = v;
    return x;
  }
  static Value obj(int v) {
    Value x;
    x.kind = Obj;
    x.num = v;
    return x;
  }
  static Value ev(int v) {
    Value x;
    x.kind = Ev;
    x.num = v;
    return x;
  }
  static Value list(std::vector<int> v, bool ev) {
    Value x;
    x.kind = List;
    x.items = std::move(v);
    x.events = ev;
    return x;
  }
  bool object_list() const { return kind == List && (!events || items.empty()); }
  bool event_list() const { return kind == List && (events || items.empty()); }
};

std::vector<std::vector<int>> compute_ancestors(const std::vector<Event>& events) {
  const int n = (int)events.size();
  std::vector<std::vector<char>> anc(n, std::vector<char>(n, 0));
  for (int k = 0; k < n; ++k)
    for (int j = 0; j < k; ++j) {
      bool share = false;
      for (int obj : events[k].objects) share = share || events[j].involves(obj);
      if (!share) continue;
      anc[k][j] = 1;
      for (int i = 0; i < j; ++i) anc[k][i] |= anc[j][i];
    }
  std::vector<std::vector<int>> out(n);
  for (int k = 0; k < n; ++k)
    for (int j = 0; j < n; ++j)
      if (anc[k][j]) out[k].push_back(j);
  return out;
}

Executor::Executor(const Simulation& sim) : sim_(&sim) {
  const auto& o = sim.options();
  // existing_events: start, end, then in/out (trajectory order), then collisions (source order).
  std::vector<Event> existing = {{EventType::Start, o.start_frame, {}, false},
                                 {EventType::End, o.end_frame, {}, false}};
  for (const auto& e : sim.in_out_events())
    if (e.frame < o.n_vis_frames) existing.push_back(e);
  for (const auto& e : sim.collisions())
    if (e.frame < o.n_vis_frames) existing.push_back(e);
  std::stable_sort(existing.begin(), existing.end(), [](const Event& a, const Event& b) { return a.frame < b.frame; });
  events_ = std::move(existing);
  for (auto e : sim.in_out_events())
    if (e.frame >= o.n_vis_frames) e.nested = true, unseen_.push_back(e);
  for (const auto& e : sim.collisions())
    if (e.frame >= o.n_vis_frames) unseen_.push_back(e);

  ancestors_ = compute_ancestors(events_);

  table_ = events_;
  table_.insert(table_.end(), unseen_.begin(), unseen_.end());
  cf_begin_.push_back((int)table_.size());
  for (int r = 0; r < sim.num_objects(); ++r) {
    const auto& cf = sim.counterfactual(r);
    table_.insert(table_.end(), cf.begin(), cf.end());
    cf_begin_.push_back((int)table_.size());
  }
}

std::optional<std::string> Executor::run(const Program& program) const {
  using V = Value;
  const int n_seen = (int)events_.size(), n_unseen = (int)unseen_.size();
  const int n_obj = sim_->num_objects();
  std::vector<V> stack;
  auto range = [](int b, int e) {
    std::vector<int> v;
    for (int i = b; i < e; ++i) v.push_back(i);
    return v;
  };
  auto attr = [&](int obj, const std::string& kind) -> const std::string& {
    const auto& ob = sim_->object(obj);
    return kind == "color" ? ob.color : kind == "material" ? ob.material : ob.shape;
  };
  // Event filter by type and object(s): keeps list order.
  auto filter_type_obj = [&](const V& evs, const V& objs, EventType type) -> std::optional<V> {
    if (!evs.event_list()) return std::nullopt;
    std::vector<int> os;
    if (objs.kind == V::Obj)
      os = {objs.num};
    else if (objs.object_list())
      os = objs.items;
    else
      return std::nullopt;
    std::vector<int> out;
    for (int e : evs.items) {
      if (table_[e].type != type) continue;
      bool hit = false;
      for (int o : os) hit = hit || table_[e].involves(o);
      if (hit) out.push_back(e);
    }
    return V::list(out, true);
  };

  for (const auto& tok : program) {
    if (tok == "<END>" || tok == "<NULL>") break;
    if (tok == "<START>") continue;
    const int nargs = module_nargs(tok);
    if (nargs < 0) {
      stack.push_back(V::s(tok));
      continue;
    }
    if ((int)stack.size() < nargs) return std::nullopt;
    std::vector<V> a(stack.end() - nargs, stack.end());
    stack.resize(stack.size() - nargs);
    std::optional<V> r;
    if (tok == "objects") {
      r = V::list(range(0, n_obj), false);
    } else if (tok == "events") {
      r = V::list(range(0, n_seen), true);
    } else if (tok == "unseen_events") {
      r = V::list(range(n_seen, n_seen + n_unseen), true);
    } else if (tok == "all_events") {
      r = V::list(range(0, n_seen + n_unseen), true);
    } else if (tok == "unique") {
      if (a[0].kind == V::List && a[0].items.size() == 1)
        r = a[0].events ? V::ev(a[0].items[0]) : V::obj(a[0].items[0]);
    } else if (tok == "count") {
      if (a[0].kind == V::List) r = V::i((int)a[0].items.size());
    } else if (tok == "exist") {
      if (a[0].kind == V::List) r = V::s(a[0].items.empty() ? "no" : "yes");
    } else if (tok == "negate") {
      if (a[0].kind == V::Str && (a[0].str == "correct" || a[0].str == "wrong"))
        r = V::s(a[0].str == "correct" ? "wrong" : "correct");
    } else if (tok == "belong_to") {
      if (a[1].event_list()) {
        if (a[0].kind == V::Obj) {
          bool hit = false;
          for (int e : a[1].items) hit = hit || table_[e].involves(a[0].num);
          r = V::s(hit ? "correct" : "wrong");
        } else if (a[0].kind == V::Ev) {
          bool hit = false;
          for (int e : a[1].items) hit = hit || table_[e] == table_[a[0].num];
          r = V::s(hit ? "correct" : "wrong");
        }
      }
    } else if (tok == "filter_color" || tok == "filter_material" || tok == "filter_shape") {
      if (a[0].object_list() && a[1].kind == V::Str) {
        std::string kind = tok.substr(7);
        std::vector<int> out;
        for (int o : a[0].items)
          if (attr(o, kind) == a[1].str) out.push_back(o);
        r = V::list(out, false);
      }
    } else if (tok == "filter_moving" || tok == "filter_stationary") {
      if (a[0].object_list() && a[1].kind == V::Int) {
        std::vector<int> out;
        for (int o : a[0].items)
          if (tok == "filter_moving" ? sim_->is_moving(o, a[1].num) : sim_->is_stationary(o, a[1].num))
            out.push_back(o);
        r = V::list(out, false);
      }
    } else if (tok == "filter_start" || tok == "filter_end") {
      if (a[0].event_list()) {
        EventType t = tok == "filter_start" ? EventType::Start : EventType::End;
        for (int e : a[0].items)
          if (table_[e].type == t) {
            r = V::ev(e);
            break;
          }
      }
    } else if (tok == "filter_in") {
      r = filter_type_obj(a[0], a[1], EventType::In);
    } else if (tok == "filter_out") {
      r = filter_type_obj(a[0], a[1], EventType::Out);
    } else if (tok == "filter_collision") {
      r = filter_type_obj(a[0], a[1], EventType::Collision);
    } else if (tok == "filter_order") {
      if (a[0].event_list() && a[1].kind == V::Str) {
        const auto& it = a[0].items;
        int k = a[1].str == "first" ? 0 : a[1].str == "second" ? 1 : a[1].str == "last" ? (int)it.size() - 1 : -2;
        if (k >= 0 && k < (int)it.size()) r = V::ev(it[k]);
      }
    } else if (tok == "filter_before" || tok == "filter_after") {
      if (a[0].event_list() && a[1].kind == V::Ev) {
        const int f = table_[a[1].num].frame;
        std::vector<int> out;
        for (int e : a[0].items)
          if (tok == "filter_before" ? table_[e].frame < f : table_[e].frame > f) out.push_back(e);
        r = V::list(out, true);
      }
    } else if (tok == "filter_ancestor") {
      if (a[0].event_list() && a[1].kind == V::Ev && a[1].num < n_seen) {
        const auto& anc = ancestors_[a[1].num];
        std::vector<int> out;
        for (int e : a[0].items)
          if (e < n_seen && std::binary_search(anc.begin(), anc.end(), e)) out.push_back(e);
        r = V::list(out, true);
      }
    } else if (tok == "query_color" || tok == "query_material" || tok == "query_shape") {
      if (a[0].kind == V::Obj) r = V::s(attr(a[0].num, tok.substr(6)));
    } else if (tok == "query_frame") {
      if (a[0].kind == V::Ev) r = V::i(table_[a[0].num].frame);
    } else if (tok == "query_object") {
      if (a[0].kind == V::Ev) {
        const Event& e = table_[a[0].num];
        if (!e.nested && e.objects.size() == 1) r = V::obj(e.objects[0]);
      }
    } else if (tok == "query_collision_partner") {
      if (a[0].kind == V::Ev && a[1].kind == V::Obj) {
        const Event& e = table_[a[0].num];
        if (e.type == EventType::Collision && e.objects.size() == 2) {
          if (e.objects[0] == a[1].num)
            r = V::obj(e.objects[1]);
          else if (e.objects[1] == a[1].num)
            r = V::obj(e.objects[0]);
        }
      }
    } else if (tok == "counterfact_events") {
      if (a[0].kind == V::Obj) r = V::list(range(cf_begin_[a[0].num], cf_begin_[a[0].num + 1]), true);
    } else if (tok == "filter_counterfact") {
      // The events of the list that still happen with the object removed: collisions whose pair
      // of objects collides in its counterfactual track.
      if (a[0].event_list() && a[1].kind == V::Obj) {
        std::vector<int> out;
        for (int e : a[0].items) {
          const Event& ev = table_[e];
          if (ev.type != EventType::Collision || ev.objects.size() != 2) continue;
          for (int c = cf_begin_[a[1].num]; c < cf_begin_[a[1].num + 1]; ++c) {
            const auto& co = table_[c].objects;
            if ((co[0] == ev.objects[0] && co[1] == ev.objects[1]) ||
                (co[0] == ev.objects[1] && co[1] == ev.objects[0])) {
              out.push_back(e);
              break;
            }
          }
        }
        r = V::list(out, true);
      }
    }
    if (!r) return std::nullopt;
    stack.push_back(std::move(*r));
  }
  if (stack.empty()) return std::nullopt;
  const V& top = stack.back();
  switch (top.kind) {
    case V::Str:
      return top.str;
    case V::Int:
    case V::Obj:
      return std::to_string(top.num);
    default:
      return std::nullopt;  // a list or an event is no answer
  }
}

}  // namespace hnn::models::hrn
