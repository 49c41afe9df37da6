#include "hnn/data/clevrer.h"

#include <ATen/Parallel.h>

#include <cmath>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <set>

#include "hnn/core/data_dir.h"
#include "hnn/core/error.h"
#include "hnn/core/fs.h"
#include "hnn/core/json.h"

namespace hnn::data {
namespace {

using nlohmann::json;

const char* type_name(const json& j) {
  return j.type_name();
}

const json& field(const json& obj, const char* key, const std::string& path, const std::string& where) {
  HNN_CHECK(obj.is_object(), "{}: {}: expected a JSON object, got {}", where, path.empty() ? "(line)" : path,
            type_name(obj));
  auto it = obj.find(key);
  HNN_CHECK(it != obj.end(), "{}: {}: missing key '{}'", where, path.empty() ? "(line)" : path, key);
  return *it;
}

int get_int(const json& obj, const char* key, const std::string& path, const std::string& where) {
  const json& v = field(obj, key, path, where);
  HNN_CHECK(v.is_number_integer(), "{}: {}.{}: expected an integer, got {}", where, path, key, type_name(v));
  return json_integer<int>(v, fmt::format("{}: {}.{}", where, path, key));
}

std::string get_str(const json& obj, const char* key, const std::string& path, const std::string& where) {
  const json& v = field(obj, key, path, where);
  HNN_CHECK(v.is_string(), "{}: {}.{}: expected a string, got {}", where, path, key, type_name(v));
  return v.get<std::string>();
}

// Coordinates: numbers, or null for the non-finite values of the source.
double get_coord(const json& obj, const char* key, const std::string& path, const std::string& where) {
  const json& v = field(obj, key, path, where);
  if (v.is_null()) return std::nan("");
  HNN_CHECK(v.is_number(), "{}: {}.{}: expected a number or null, got {}", where, path, key, type_name(v));
  return v.get<double>();
}

const json& get_array(const json& obj, const char* key, const std::string& path, const std::string& where) {
  const json& v = field(obj, key, path, where);
  HNN_CHECK(v.is_array(), "{}: {}{}{}: expected an array, got {}", where, path, path.empty() ? "" : ".", key,
            type_name(v));
  return v;
}

int resolve(const ClevrerScene& s, const json& o, const std::string& path, const std::string& where) {
  int id = s.find_object(get_str(o, "color", path, where), get_str(o, "material", path, where),
                         get_str(o, "shape", path, where));
  HNN_CHECK(id >= 0, "{}: {}: the attribute triple ({}, {}, {}) matches no object of video {}", where, path,
            o["color"].get<std::string>(), o["material"].get<std::string>(), o["shape"].get<std::string>(), s.video);
  return id;
}

std::vector<ClevrerCollision> parse_collisions(const ClevrerScene& s, const json& arr, const std::string& path,
                                               const std::string& where) {
  std::vector<ClevrerCollision> out;
  out.reserve(arr.size());
  for (size_t i = 0; i < arr.size(); ++i) {
    std::string p = fmt::format("{}[{}]", path, i);
    ClevrerCollision c;
    c.frame = get_int(arr[i], "frame", p, where);
    const json& objs = get_array(arr[i], "objects", p, where);
    HNN_CHECK(objs.size() == 2, "{}: {}.objects: expected 2 objects, got {}", where, p, objs.size());
    c.a = resolve(s, objs[0], p + ".objects[0]", where);
    c.b = resolve(s, objs[1], p + ".objects[1]", where);
    out.push_back(c);
  }
  return out;
}

// The video id from the start of a line ({"video":N,...}) without parsing it; -1 if absent.
int peek_video(const std::string& line) {
  auto pos = line.find("\"video\"");
  if (pos == std::string::npos || pos > 16) return -1;
  pos = line.find(':', pos);
  if (pos == std::string::npos) return -1;
  char* end = nullptr;
  long v = std::strtol(line.c_str() + pos + 1, &end, 10);
  return end == line.c_str() + pos + 1 ? -1 : (int)v;
}

}  // namespace

int ClevrerScene::find_object(const std::string& color, const std::string& material, const std::string& shape) const {
  for (const auto& o : objects)
    if (o.color == color && o.material == material && o.shape == shape) return o.id;
  return -1;
}

ClevrerScene parse_clevrer_scene(const std::string& line, const std::string& where) {
  json j;
  try {
    j = json::parse(line);
  } catch (const json::parse_error& e) {
    fail("{}: invalid JSON at byte {} of the line: {}", where, e.byte, e.what());
  } catch (const json::exception& e) {  // e.g. a number too large for any type (out_of_range)
    fail("{}: invalid JSON on the line: {}", where, e.what());
  }
  ClevrerScene s;
  s.video = get_int(j, "video", "", where);
  const json& objs = get_array(j, "objects", "", where);
  for (size_t i = 0; i < objs.size(); ++i) {
    std::string p = fmt::format("objects[{}]", i);
    ClevrerObject o;
    o.id = get_int(objs[i], "id", p, where);
    HNN_CHECK(o.id == (int)i, "{}: {}.id: expected {} (ids are 0..n-1 in order), got {}", where, p, i, o.id);
    o.color = get_str(objs[i], "color", p, where);
    o.material = get_str(objs[i], "material", p, where);
    o.shape = get_str(objs[i], "shape", p, where);
    HNN_CHECK(s.find_object(o.color, o.material, o.shape) < 0, "{}: {}: duplicate attribute triple ({}, {}, {})", where,
              p, o.color, o.material, o.shape);
    s.objects.push_back(std::move(o));
  }
  const json& traj = get_array(j, "trajectory", "", where);
  s.trajectory.reserve(traj.size());
  for (size_t i = 0; i < traj.size(); ++i) {
    std::string p = fmt::format("trajectory[{}]", i);
    ClevrerStep st;
    st.frame = get_int(traj[i], "frame", p, where);
    HNN_CHECK(i == 0 || st.frame > s.trajectory.back().frame, "{}: {}.frame: {} does not increase (previous {})", where,
              p, st.frame, s.trajectory.back().frame);
    const json& pts = get_array(traj[i], "objects", p, where);
    st.objects.reserve(pts.size());
    for (size_t k = 0; k < pts.size(); ++k) {
      std::string q = fmt::format("{}.objects[{}]", p, k);
      ClevrerPoint pt;
      pt.x = get_coord(pts[k], "x", q, where);
      pt.y = get_coord(pts[k], "y", q, where);
      pt.id = resolve(s, pts[k], q, where);
      st.objects.push_back(pt);
    }
    s.trajectory.push_back(std::move(st));
  }
  s.collisions = parse_collisions(s, get_array(j, "collisions", "", where), "collisions", where);
  const json& cf = field(j, "counterfactual", "", where);
  HNN_CHECK(cf.is_object(), "{}: counterfactual: expected a JSON object, got {}", where, type_name(cf));
  for (auto it = cf.begin(); it != cf.end(); ++it) {
    std::string p = "counterfactual." + it.key();
    char* end = nullptr;
    long id = std::strtol(it.key().c_str(), &end, 10);
    HNN_CHECK(!it.key().empty() && *end == 0 && id >= 0 && id < (long)s.objects.size(),
              "{}: {}: key is not an object id 0..{}", where, p, (int)s.objects.size() - 1);
    HNN_CHECK(it.value().is_array(), "{}: {}: expected an array, got {}", where, p, type_name(it.value()));
    s.counterfactual[(int)id] = parse_collisions(s, it.value(), p, where);
  }
  return s;
}

std::vector<ClevrerScene> read_clevrer_scenes(const std::string& path, const ClevrerReadOptions& opt) {
  std::string text = read_maybe_gzip(path);
  // Split into lines first so that the parsing can run in parallel.
  struct Line {
    size_t begin, end;
    int64_t number;
  };
  std::vector<Line> lines;
  std::set<int> wanted(opt.videos.begin(), opt.videos.end());
  size_t pos = 0;
  int64_t number = 0, nonempty = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    ++number;
    if (end > pos && !(end == pos + 1 && text[pos] == '\r')) {
      ++nonempty;
      bool take = nonempty > opt.first;
      if (take && !wanted.empty()) {
        int v = peek_video(text.substr(pos, std::min<size_t>(32, end - pos)));
        take = v < 0 || wanted.count(v);
      }
      if (take) lines.push_back({pos, end, number});
      if (opt.limit > 0 && wanted.empty() && (int64_t)lines.size() >= opt.limit) break;
    }
    pos = end + 1;
  }
  std::vector<ClevrerScene> scenes(lines.size());
  at::parallel_for(0, (int64_t)lines.size(), 16, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      const Line& l = lines[i];
      scenes[i] = parse_clevrer_scene(text.substr(l.begin, l.end - l.begin), fmt::format("{}:{}", path, l.number));
    }
  });
  if (!wanted.empty()) {
    std::vector<ClevrerScene> kept;
    std::set<int> found;
    for (auto& s : scenes)
      if (wanted.count(s.video) && found.insert(s.video).second) kept.push_back(std::move(s));
    for (int v : wanted) HNN_CHECK(found.count(v), "{}: video {} not found", path, v);
    return kept;
  }
  return scenes;
}

std::string clevrer_scenes_default_path() {
  const char* env = std::getenv("HNN_CLEVRER_SCENES");
  if (env && *env) return file_exists(env) ? std::string(env) : std::string();
  std::string p = shared_data_path("clevrer-scenes/validation-scenes.jsonl.gz");
  return !p.empty() && file_exists(p) ? p : std::string();
}

}  // namespace hnn::data
