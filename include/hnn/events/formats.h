// One entry point for every event file format: detect the format (magic first, then the
// extension), read a whole Recording, write one (the format chosen by the extension).
// Extensions: .aedat4 (AEDAT 4.0), .aedat / .aedat2 (AEDAT 2.0), .bin (N-MNIST / N-Caltech101).
#pragma once
#include <cstdint>
#include <string>

#include "hnn/events/aedat2.h"
#include "hnn/events/aedat4.h"
#include "hnn/events/event_stream.h"

namespace hnn::events {

enum class FileFormat { Aedat4, Aedat2, Nmnist };
std::string to_string(FileFormat f);

// From the extension alone; hnn::Error listing the known extensions otherwise.
FileFormat format_from_extension(const std::string& path);
// From the file's first bytes (AEDAT magics), else from the extension.
FileFormat detect_format(const std::string& path);

struct ReadOptions {
  int width = 0, height = 0;  // sensor size for formats that do not store it (0: infer)
  bool check_sorted = true;
};
Recording read_recording(const std::string& path, const ReadOptions& options = {});

struct WriteOptions {
  Compression compression = Compression::Lz4;  // AEDAT 4
  size_t events_per_packet = 8192;             // AEDAT 4
  Aedat2Layout layout = Aedat2Layout::Auto;    // AEDAT 2
};
// Writes rec in the format of path's extension. AEDAT 2 and N-MNIST keep only events (frames,
// IMU and triggers are dropped) and have a limited time range (32 and 23 bits): when the events
// do not fit, times are shifted to start at 0. Returns the shift subtracted from every time.
int64_t write_recording(const std::string& path, const Recording& rec, const WriteOptions& options = {});

}  // namespace hnn::events
