// AEDAT 4.0 (iniVation DV) reader and writer, packet by packet so that files larger than memory
// work: events, APS frames, IMU samples and triggers; compression none, LZ4, LZ4-high, Zstd,
// Zstd-high; the packet table (FileDataTable) when present. No LibTorch here (see representation.h).
//
//   Aedat4Reader r("rec.aedat4");                 // parses header, XML description, table
//   Aedat4Packet pk;                               // reuse: vectors keep their capacity
//   while (r.next_packet(pk))
//     if (pk.type == StreamType::Events) use(pk.events);   // EventStream, Unix µs
//     else if (pk.type == StreamType::Frames) use(pk.frame);
//
//   Recording rec = read_aedat4("rec.aedat4");     // everything in memory
//   write_aedat4("out.aedat4", rec, {Compression::Lz4});
//
// Corrupt input raises hnn::Error "<file>: byte <offset>: <what>" (never a crash; a size field
// can never make the reader allocate more than the file, or its decompression cap, allows).
#pragma once
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "hnn/events/event_stream.h"

namespace hnn::events {

enum class Compression : int { None = 0, Lz4 = 1, Lz4High = 2, Zstd = 3, ZstdHigh = 4 };
// "none", "lz4", "lz4-high", "zstd", "zstd-high" (parse also takes the XML's "LZ4_HIGH" etc.).
std::string to_string(Compression c);
Compression parse_compression(const std::string& s);

enum class StreamType { Events, Frames, Imu, Triggers, Other };
const char* type_identifier(StreamType t);  // "EVTS", "FRME", "IMUS", "TRIG", ""

// One output stream of the file's XML description.
struct StreamInfo {
  int id = 0;
  StreamType type = StreamType::Other;
  std::string type_identifier;  // the 4-character flatbuffer identifier, e.g. "EVTS"
  std::string name;             // originalOutputName: "events", "frames", "imu", "triggers"
  std::string module = "hnn";   // originalModuleName
  std::string source;           // camera, e.g. "DAVIS346_00000104"
  int width = 0, height = 0;    // sizeX, sizeY (events and frames)
  int64_t ts_offset = 0;

  static StreamInfo events(int id, int width, int height, std::string source = "hnn");
  static StreamInfo frames(int id, int width, int height, std::string source = "hnn");
  static StreamInfo imu(int id, std::string source = "hnn");
  static StreamInfo triggers(int id, std::string source = "hnn");
};

// One entry of the packet table: where a packet is and what it holds.
struct PacketInfo {
  int64_t byte_offset = 0;  // of the packet body (the 8-byte packet header precedes it)
  int32_t stream_id = 0;
  int32_t size = 0;      // body bytes in the file (compressed)
  int64_t elements = 0;  // events / frames / samples / triggers
  int64_t t_begin = 0, t_end = 0;
};

// One decoded packet. Only the member matching `type` is filled; a reused packet keeps the
// capacity of its vectors, so a read loop does not allocate after the first packets.
struct Aedat4Packet {
  int stream_id = -1;
  StreamType type = StreamType::Other;
  int64_t byte_offset = 0;  // of the packet header
  EventStream events;
  Frame frame;
  std::vector<ImuSample> imu;
  std::vector<Trigger> triggers;
  size_t elements() const;
};

struct Aedat4ReadOptions {
  bool check_sorted = true;  // events of a stream must not go back in time (across packets too)
  bool check_bounds = true;  // events and frames must lie inside the stream's sizeX x sizeY
  // A file cut short (a recorder that crashed before writing the packet table, a partial copy):
  // its packets are read in order up to the last complete one, with a warning saying how much was
  // recovered and dropped. false: an hnn::Error naming the byte.
  bool recover = true;
};

class Aedat4Reader {
 public:
  explicit Aedat4Reader(const std::string& path, Aedat4ReadOptions options = {});
  // Reads from memory that the caller keeps alive while the reader exists.
  Aedat4Reader(const void* data, size_t size, std::string name, Aedat4ReadOptions options = {});
  ~Aedat4Reader();
  Aedat4Reader(Aedat4Reader&&) noexcept;
  Aedat4Reader& operator=(Aedat4Reader&&) noexcept;

  const std::string& name() const;
  Compression compression() const;
  // Whether the file was found cut short (read with Aedat4ReadOptions::recover): so far, when read
  // packet by packet.
  bool cut_short() const;
  const std::string& description() const;  // the XML text
  const std::vector<StreamInfo>& streams() const;
  // The first stream of a type, or nullptr.
  const StreamInfo* find_stream(StreamType type) const;
  const StreamInfo* stream(int id) const;
  int64_t data_table_position() const;  // -1 when the file has no packet table

  // Decodes the next packet into out; false at the end of the data.
  bool next_packet(Aedat4Packet& out);
  // Back to the first packet (and forgets the time-order state of every stream).
  void rewind();
  // The packet table: the file's own when present, else rebuilt by decoding every packet.
  std::vector<PacketInfo> packet_table();
  // Decodes the packet an entry points at (random access; no time-order check across packets).
  void read_packet(const PacketInfo& info, Aedat4Packet& out);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Everything in memory: the first stream of each type (events, frames, IMU, triggers).
Recording read_aedat4(const std::string& path, const Aedat4ReadOptions& options = {});
Recording read_aedat4(const void* data, size_t size, const std::string& name, const Aedat4ReadOptions& options = {});

struct Aedat4WriteOptions {
  Compression compression = Compression::Lz4;
  size_t events_per_packet = 8192;
  bool write_table = true;  // append the FileDataTable and point the header at it
};

// Writes an AEDAT 4.0 file as DV does: header with the XML description, packets (each a
// size-prefixed flatbuffer, compressed as a whole frame), then the packet table. Written to a
// temporary name and renamed by close(); destroyed without close(), it removes the partial file.
class Aedat4Writer {
 public:
  Aedat4Writer(const std::string& path, std::vector<StreamInfo> streams, Aedat4WriteOptions options = {});
  ~Aedat4Writer();
  Aedat4Writer(const Aedat4Writer&) = delete;
  Aedat4Writer& operator=(const Aedat4Writer&) = delete;

  // Events [begin, end) of ev, split into packets of options.events_per_packet.
  void write_events(int stream, const EventStream& ev, size_t begin = 0,
                    size_t end = std::numeric_limits<size_t>::max());
  void write_frame(int stream, const Frame& frame);
  void write_imu(int stream, const std::vector<ImuSample>& samples, size_t begin = 0,
                 size_t end = std::numeric_limits<size_t>::max());
  void write_triggers(int stream, const std::vector<Trigger>& triggers, size_t begin = 0,
                      size_t end = std::numeric_limits<size_t>::max());
  // Writes the packet table, rewrites the header and renames the file into place.
  void close();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Streams for a recording: events (always), then frames, IMU and triggers when it has them.
std::vector<StreamInfo> streams_for(const Recording& rec);
// Writes a whole recording, packets interleaved in time as a camera would produce them.
void write_aedat4(const std::string& path, const Recording& rec, const Aedat4WriteOptions& options = {});

}  // namespace hnn::events
