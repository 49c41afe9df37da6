#include "hnn/events/formats.h"

#include <cstdio>
#include <cstring>

#include "hnn/core/error.h"
#include "hnn/events/nmnist.h"

namespace hnn::events {

namespace {
std::string extension(const std::string& path) {
  auto slash = path.find_last_of('/');
  auto dot = path.find_last_of('.');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) return "";
  std::string e = path.substr(dot);
  for (char& c : e) c = (char)std::tolower((unsigned char)c);
  return e;
}
}  // namespace

std::string to_string(FileFormat f) {
  switch (f) {
    case FileFormat::Aedat4:
      return "aedat4";
    case FileFormat::Aedat2:
      return "aedat2";
    case FileFormat::Nmnist:
      return "nmnist";
  }
  return "unknown";
}

FileFormat format_from_extension(const std::string& path) {
  std::string e = extension(path);
  if (e == ".aedat4") return FileFormat::Aedat4;
  if (e == ".aedat" || e == ".aedat2") return FileFormat::Aedat2;
  if (e == ".bin") return FileFormat::Nmnist;
  fail(
      "'{}': unknown event file extension '{}', expected .aedat4 (AEDAT 4.0), .aedat or .aedat2 "
      "(AEDAT 2.0) or .bin (N-MNIST)",
      path, e);
}

FileFormat detect_format(const std::string& path) {
  char head[12] = {};
  if (std::FILE* f = std::fopen(path.c_str(), "rb")) {
    size_t n = std::fread(head, 1, sizeof head, f);
    std::fclose(f);
    if (n >= 12 && std::memcmp(head, "#!AER-DAT4.0", 12) == 0) return FileFormat::Aedat4;
    if (n >= 12 && std::memcmp(head, "#!AER-DAT2.0", 12) == 0) return FileFormat::Aedat2;
  }
  return format_from_extension(path);
}

Recording read_recording(const std::string& path, const ReadOptions& options) {
  switch (detect_format(path)) {
    case FileFormat::Aedat4: {
      Aedat4ReadOptions o;
      o.check_sorted = options.check_sorted;
      return read_aedat4(path, o);
    }
    case FileFormat::Aedat2: {
      Aedat2Options o;
      o.width = options.width;
      o.height = options.height;
      o.check_sorted = options.check_sorted;
      return read_aedat2(path, o);
    }
    case FileFormat::Nmnist: {
      NmnistOptions o;
      o.width = options.width;
      o.height = options.height;
      o.check_sorted = options.check_sorted;
      Recording rec;
      rec.format = "nmnist";
      rec.events = read_nmnist(path, o);
      return rec;
    }
  }
  fail("'{}': unknown format", path);
}

int64_t write_recording(const std::string& path, const Recording& rec, const WriteOptions& options) {
  const EventStream& ev = rec.events;
  switch (format_from_extension(path)) {
    case FileFormat::Aedat4: {
      Aedat4WriteOptions o;
      o.compression = options.compression;
      o.events_per_packet = options.events_per_packet;
      write_aedat4(path, rec, o);
      return 0;
    }
    case FileFormat::Aedat2: {
      int64_t shift = (!ev.empty() && (ev.t_first() < 0 || ev.t_last() > (int64_t)UINT32_MAX)) ? ev.t_first() : 0;
      write_aedat2(path, ev, options.layout, shift);
      return shift;
    }
    case FileFormat::Nmnist: {
      int64_t shift = (!ev.empty() && (ev.t_first() < 0 || ev.t_last() >= (int64_t{1} << 23))) ? ev.t_first() : 0;
      write_nmnist(path, ev, shift);
      return shift;
    }
  }
  return 0;
}

}  // namespace hnn::events
