#include "aedat4_description.h"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <map>

namespace hnn::events::detail {

namespace {

struct Attr {
  std::vector<std::string> path;  // names of the enclosing <node>s
  std::string key, value;
  size_t offset;  // of the <attr> tag in the xml
};

std::string unescape(const std::string& s) {
  if (s.find('&') == std::string::npos) return s;
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '&') {
      out += s[i];
      continue;
    }
    static const std::pair<const char*, char> kEntities[] = {
        {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}};
    bool done = false;
    for (auto& [name, ch] : kEntities) {
      size_t n = std::char_traits<char>::length(name);
      if (s.compare(i, n, name) == 0) {
        out += ch;
        i += n - 1;
        done = true;
        break;
      }
    }
    if (!done) out += '&';
  }
  return out;
}

std::string escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

// Parses the attributes of a tag body "name k="v" k2='v2'"; returns false on bad syntax.
bool parse_tag(const std::string& body, std::string& name, std::map<std::string, std::string>& attrs) {
  size_t i = 0, n = body.size();
  while (i < n && !is_space(body[i])) ++i;
  name = body.substr(0, i);
  while (true) {
    while (i < n && is_space(body[i])) ++i;
    if (i >= n) return true;
    size_t k0 = i;
    while (i < n && body[i] != '=' && !is_space(body[i])) ++i;
    std::string key = body.substr(k0, i - k0);
    while (i < n && is_space(body[i])) ++i;
    if (i >= n || body[i] != '=') return false;
    ++i;
    while (i < n && is_space(body[i])) ++i;
    if (i >= n || (body[i] != '"' && body[i] != '\'')) return false;
    char q = body[i++];
    size_t v0 = i;
    while (i < n && body[i] != q) ++i;
    if (i >= n) return false;
    attrs[key] = unescape(body.substr(v0, i - v0));
    ++i;
  }
}

int64_t to_int(const std::string& v, int64_t lo, int64_t hi, const char* what, uint64_t offset, const ByteSource& src) {
  errno = 0;
  char* end = nullptr;
  long long x = std::strtoll(v.c_str(), &end, 10);
  while (end && is_space(*end)) ++end;
  if (v.empty() || errno != 0 || !end || *end != '\0' || x < lo || x > hi)
    src.fail_at(offset, "XML description: {} is '{}', expected an integer in [{}, {}]", what, v, lo, hi);
  return x;
}

}  // namespace

const char* xml_compression_name(Compression c) {
  switch (c) {
    case Compression::None:
      return "NONE";
    case Compression::Lz4:
      return "LZ4";
    case Compression::Lz4High:
      return "LZ4_HIGH";
    case Compression::Zstd:
      return "ZSTD";
    case Compression::ZstdHigh:
      return "ZSTD_HIGH";
  }
  return "NONE";
}

std::vector<StreamInfo> parse_description(const std::string& xml, uint64_t base, const ByteSource& src) {
  std::vector<Attr> attrs;
  std::vector<std::string> stack;
  size_t i = 0;
  const size_t n = xml.size();
  while (true) {
    i = xml.find('<', i);
    if (i == std::string::npos) break;
    if (xml.compare(i, 4, "<!--") == 0) {
      size_t e = xml.find("-->", i + 4);
      if (e == std::string::npos) src.fail_at(base + i, "XML description: unterminated comment");
      i = e + 3;
      continue;
    }
    size_t e = xml.find('>', i);
    if (e == std::string::npos) src.fail_at(base + i, "XML description: unterminated tag");
    if (xml[i + 1] == '?' || xml[i + 1] == '!') {
      i = e + 1;
      continue;
    }
    if (xml[i + 1] == '/') {
      std::string name = xml.substr(i + 2, e - i - 2);
      while (!name.empty() && is_space(name.back())) name.pop_back();
      if (name == "node") {
        if (stack.empty()) src.fail_at(base + i, "XML description: </node> without <node>");
        stack.pop_back();
      }
      i = e + 1;
      continue;
    }
    bool self_closing = xml[e - 1] == '/';
    std::string body = xml.substr(i + 1, e - i - 1 - (self_closing ? 1 : 0));
    std::string name;
    std::map<std::string, std::string> a;
    if (!parse_tag(body, name, a)) src.fail_at(base + i, "XML description: malformed tag <{}>", body.substr(0, 40));
    if (name == "node") {
      if (!self_closing) {
        if (stack.size() > 64) src.fail_at(base + i, "XML description: nodes nested too deep");
        stack.push_back(a.count("name") ? a["name"] : std::string());
      }
    } else if (name == "attr" && !self_closing) {
      size_t close = xml.find("</attr", e + 1);
      if (close == std::string::npos) src.fail_at(base + i, "XML description: <attr> without </attr>");
      attrs.push_back(
          {stack, a.count("key") ? a["key"] : std::string(), unescape(xml.substr(e + 1, close - e - 1)), i});
      e = xml.find('>', close);
      if (e == std::string::npos) src.fail_at(base + close, "XML description: unterminated </attr>");
    }
    i = e + 1;
    if (i >= n) break;
  }

  // Streams: nodes outInfo/<integer id>, with their attributes and those of their info child.
  std::map<int64_t, StreamInfo> streams;
  for (const Attr& at : attrs) {
    const auto& p = at.path;
    size_t k = 0;
    while (k < p.size() && p[k] != "outInfo") ++k;
    if (k + 1 >= p.size()) continue;
    const std::string& id_text = p[k + 1];
    bool numeric = !id_text.empty() && id_text.size() < 10 &&
                   std::all_of(id_text.begin(), id_text.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (!numeric) continue;
    int64_t id = std::atoll(id_text.c_str());
    StreamInfo& s = streams[id];
    s.id = (int)id;
    bool in_info = p.size() == k + 3 && p[k + 2] == "info";
    bool direct = p.size() == k + 2;
    const std::string& v = at.value;
    if (direct) {
      if (at.key == "typeIdentifier")
        s.type_identifier = v;
      else if (at.key == "originalOutputName")
        s.name = v;
      else if (at.key == "originalModuleName")
        s.module = v;
    } else if (in_info) {
      if (at.key == "sizeX")
        s.width = (int)to_int(v, 0, 32767, "sizeX", base + at.offset, src);
      else if (at.key == "sizeY")
        s.height = (int)to_int(v, 0, 32767, "sizeY", base + at.offset, src);
      else if (at.key == "source")
        s.source = v;
      else if (at.key == "tsOffset")
        s.ts_offset = to_int(v, INT64_MIN, INT64_MAX, "tsOffset", base + at.offset, src);
    }
  }
  std::vector<StreamInfo> out;
  for (auto& [id, s] : streams) {
    if (s.type_identifier == "EVTS")
      s.type = StreamType::Events;
    else if (s.type_identifier == "FRME")
      s.type = StreamType::Frames;
    else if (s.type_identifier == "IMUS")
      s.type = StreamType::Imu;
    else if (s.type_identifier == "TRIG")
      s.type = StreamType::Triggers;
    else
      s.type = StreamType::Other;
    out.push_back(s);
  }
  return out;
}

std::string make_description(const std::vector<StreamInfo>& streams, Compression c) {
  const std::string root = "/mainloop/Recorder/outInfo/";
  std::string x = "<dv version=\"2.0\">\n";
  x += "    <node name=\"outInfo\" path=\"" + root + "\">\n";
  auto attr = [&](int indent, const std::string& key, const std::string& type, const std::string& v) {
    x += std::string(indent, ' ') + "<attr key=\"" + key + "\" type=\"" + type + "\">" + escape(v) + "</attr>\n";
  };
  for (const StreamInfo& s : streams) {
    std::string id = std::to_string(s.id);
    const char* desc = s.type == StreamType::Events     ? "Array of events (polarity ON/OFF)."
                       : s.type == StreamType::Frames   ? "Standard frame (8-bit image)."
                       : s.type == StreamType::Imu      ? "Inertial Measurement Unit data samples."
                       : s.type == StreamType::Triggers ? "External triggers and special signals."
                                                        : "Unknown stream.";
    std::string tid = s.type == StreamType::Other ? s.type_identifier : type_identifier(s.type);
    x += "        <node name=\"" + id + "\" path=\"" + root + id + "/\">\n";
    attr(12, "compression", "string", xml_compression_name(c));
    attr(12, "originalModuleName", "string", s.module);
    attr(12, "originalOutputName", "string", s.name);
    attr(12, "typeDescription", "string", desc);
    attr(12, "typeIdentifier", "string", tid);
    x += "            <node name=\"info\" path=\"" + root + id + "/info/\">\n";
    if (s.type == StreamType::Events || s.type == StreamType::Frames) {
      attr(16, "sizeX", "int", std::to_string(s.width));
      attr(16, "sizeY", "int", std::to_string(s.height));
    }
    attr(16, "source", "string", s.source);
    attr(16, "tsOffset", "long", std::to_string(s.ts_offset));
    x += "            </node>\n";
    x += "        </node>\n";
  }
  x += "    </node>\n</dv>\n";
  return x;
}

}  // namespace hnn::events::detail
