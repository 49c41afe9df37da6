// AEDAT 4 reader and writer for builds without flatbuffers, lz4 and zstd (HNN_WITH_AEDAT4=OFF or
// not found): opening a file is a clear error. The other members are never reached.
#include "hnn/core/error.h"
#include "hnn/events/aedat4.h"

namespace hnn::events {
namespace {

[[noreturn]] void unavailable(const std::string& what) {
  fail(
      "{}: hnn was built without AEDAT 4 support (install libflatbuffers-dev, flatbuffers-compiler, "
      "liblz4-dev and libzstd-dev, then reconfigure with -DHNN_WITH_AEDAT4=ON)",
      what);
}

}  // namespace

struct Aedat4Reader::Impl {};
struct Aedat4Writer::Impl {};

Aedat4Reader::Aedat4Reader(const std::string& path, Aedat4ReadOptions) {
  unavailable(path);
}
Aedat4Reader::Aedat4Reader(const void*, size_t, std::string name, Aedat4ReadOptions) {
  unavailable(name);
}
Aedat4Reader::~Aedat4Reader() = default;
Aedat4Reader::Aedat4Reader(Aedat4Reader&&) noexcept = default;
Aedat4Reader& Aedat4Reader::operator=(Aedat4Reader&&) noexcept = default;
const std::string& Aedat4Reader::name() const {
  unavailable("AEDAT 4");
}
Compression Aedat4Reader::compression() const {
  unavailable("AEDAT 4");
}
bool Aedat4Reader::cut_short() const {
  unavailable("AEDAT 4");
}
const std::string& Aedat4Reader::description() const {
  unavailable("AEDAT 4");
}
const std::vector<StreamInfo>& Aedat4Reader::streams() const {
  unavailable("AEDAT 4");
}
const StreamInfo* Aedat4Reader::find_stream(StreamType) const {
  unavailable("AEDAT 4");
}
const StreamInfo* Aedat4Reader::stream(int) const {
  unavailable("AEDAT 4");
}
int64_t Aedat4Reader::data_table_position() const {
  unavailable("AEDAT 4");
}
bool Aedat4Reader::next_packet(Aedat4Packet&) {
  unavailable("AEDAT 4");
}
void Aedat4Reader::rewind() {
  unavailable("AEDAT 4");
}
std::vector<PacketInfo> Aedat4Reader::packet_table() {
  unavailable("AEDAT 4");
}
void Aedat4Reader::read_packet(const PacketInfo&, Aedat4Packet&) {
  unavailable("AEDAT 4");
}

Aedat4Writer::Aedat4Writer(const std::string& path, std::vector<StreamInfo>, Aedat4WriteOptions) {
  unavailable(path);
}
Aedat4Writer::~Aedat4Writer() = default;
void Aedat4Writer::write_events(int, const EventStream&, size_t, size_t) {
  unavailable("AEDAT 4");
}
void Aedat4Writer::write_frame(int, const Frame&) {
  unavailable("AEDAT 4");
}
void Aedat4Writer::write_imu(int, const std::vector<ImuSample>&, size_t, size_t) {
  unavailable("AEDAT 4");
}
void Aedat4Writer::write_triggers(int, const std::vector<Trigger>&, size_t, size_t) {
  unavailable("AEDAT 4");
}
void Aedat4Writer::close() {
  unavailable("AEDAT 4");
}

void write_aedat4(const std::string& path, const Recording&, const Aedat4WriteOptions&) {
  unavailable(path);
}

}  // namespace hnn::events
