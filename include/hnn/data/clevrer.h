// CLEVRER scenes as perceived by the hybrid reasoning network's front end: one JSON object a line
// (objects, the factual trajectory, factual and counterfactual collisions), plain or gzip.
// Attribute triples are resolved to object ids on reading; JSON null coordinates read as NaN.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace hnn::data {

struct ClevrerObject {
  int id = 0;  // equals the index in ClevrerScene::objects
  std::string color, material, shape;
};

// One object seen in one trajectory step (image-plane coordinates; NaN where the source had none).
struct ClevrerPoint {
  int id = 0;
  double x = 0, y = 0;
};

struct ClevrerStep {
  int frame = 0;  // 0, 5, 10, ...; frames >= 128 are the predicted future
  std::vector<ClevrerPoint> objects;
};

struct ClevrerCollision {
  int frame = 0;
  int a = 0, b = 0;  // object ids, in the order the source lists them
};

struct ClevrerScene {
  int video = 0;  // 10000..14999 for the validation set
  std::vector<ClevrerObject> objects;
  std::vector<ClevrerStep> trajectory;       // the factual prediction
  std::vector<ClevrerCollision> collisions;  // factual, source order (not sorted)
  // Collisions predicted when one object is removed, keyed by the removed object's id.
  std::map<int, std::vector<ClevrerCollision>> counterfactual;

  // Id of the object with this attribute triple, or -1.
  int find_object(const std::string& color, const std::string& material, const std::string& shape) const;
};

// Which lines of a scene file to read. Empty `videos` and limit 0 read everything.
struct ClevrerReadOptions {
  int64_t first = 0;        // skip this many lines
  int64_t limit = 0;        // read at most this many scenes (0: no limit)
  std::vector<int> videos;  // read only these video ids (any order; each must exist)
};

// Parses one scene line; hnn::Error naming `where` (e.g. "file:line") and the JSON path of the
// offending field on any malformed content.
ClevrerScene parse_clevrer_scene(const std::string& json_line, const std::string& where);

// Reads a JSON-lines scene file (plain or gzip), in file order. hnn::Error with file and line.
std::vector<ClevrerScene> read_clevrer_scenes(const std::string& path, const ClevrerReadOptions& opt = {});

// $HNN_CLEVRER_SCENES, else <shared data>/clevrer-scenes/validation-scenes.jsonl.gz; empty when
// neither exists.
std::string clevrer_scenes_default_path();

}  // namespace hnn::data
