// The XML stream description inside an AEDAT 4 header (<dv version="2.0"> ... outInfo/<id>/
// with typeIdentifier, compression, names and an info node with sizeX, sizeY, source, tsOffset).
// A small tolerant scanner: it reads only what it needs and ignores what it does not know.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "byte_source.h"
#include "hnn/events/aedat4.h"

namespace hnn::events::detail {

// Streams of the description, sorted by id; hnn::Error naming src's file and the byte offset
// (base is the description's offset in the file) on malformed XML or bad values.
std::vector<StreamInfo> parse_description(const std::string& xml, uint64_t base, const ByteSource& src);
// The XML text DV writes for these streams.
std::string make_description(const std::vector<StreamInfo>& streams, Compression c);
// "LZ4", "LZ4_HIGH", ... as the description writes them.
const char* xml_compression_name(Compression c);

}  // namespace hnn::events::detail
