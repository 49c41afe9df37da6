// LZ4 and Zstd frames for AEDAT 4 packet bodies: one complete frame per body. Decompression
// output is capped (a packet can never claim more memory than its compressed size allows), and
// the contexts are reused across packets.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "hnn/events/aedat4.h"

namespace hnn::events::detail {

class Codec {
 public:
  Codec();
  ~Codec();
  Codec(const Codec&) = delete;
  Codec& operator=(const Codec&) = delete;

  // Decompresses one complete frame of `c` into out (resized to the decoded size). On failure
  // returns false and sets error to a short reason (the caller adds file and offset).
  bool decompress(Compression c, const uint8_t* in, size_t n, std::vector<uint8_t>& out, std::string& error);
  // Compresses into out (resized). Compression::None copies.
  void compress(Compression c, const uint8_t* in, size_t n, std::vector<uint8_t>& out);

  // Largest decompressed body accepted for n compressed bytes.
  static size_t max_decompressed(Compression c, size_t n);

 private:
  void* lz4_dctx_ = nullptr;
  void* zstd_dctx_ = nullptr;
  void* zstd_cctx_ = nullptr;
};

}  // namespace hnn::events::detail
