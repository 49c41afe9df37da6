#include "compression.h"

#include <lz4frame.h>
#include <lz4hc.h>
#include <zstd.h>

#include <algorithm>
#include <cstring>

#include "hnn/core/error.h"

namespace hnn::events::detail {

namespace {
// Flatbuffers cannot exceed 2 GiB; a packet body is one flatbuffer.
constexpr size_t kMaxBody = size_t{1} << 31;
// LZ4 expands at most ~255x; Zstd blocks of repeated bytes go further, so allow 64 KiB per
// compressed byte for Zstd (a 1 KiB body may still claim 64 MiB, never more than kMaxBody).
constexpr size_t kLz4Ratio = 256;
constexpr size_t kZstdRatio = 65536;
constexpr int kZstdLevel = 3;
constexpr int kZstdHighLevel = 19;
}  // namespace

Codec::Codec() = default;

Codec::~Codec() {
  if (lz4_dctx_) LZ4F_freeDecompressionContext((LZ4F_dctx*)lz4_dctx_);
  if (zstd_dctx_) ZSTD_freeDCtx((ZSTD_DCtx*)zstd_dctx_);
  if (zstd_cctx_) ZSTD_freeCCtx((ZSTD_CCtx*)zstd_cctx_);
}

size_t Codec::max_decompressed(Compression c, size_t n) {
  size_t ratio = (c == Compression::Zstd || c == Compression::ZstdHigh) ? kZstdRatio : kLz4Ratio;
  if (n > kMaxBody / ratio) return kMaxBody;
  return std::min(kMaxBody, n * ratio + 4096);
}

bool Codec::decompress(Compression c, const uint8_t* in, size_t n, std::vector<uint8_t>& out, std::string& error) {
  const size_t cap = max_decompressed(c, n);
  if (c == Compression::None) {
    out.assign(in, in + n);
    return true;
  }
  if (c == Compression::Lz4 || c == Compression::Lz4High) {
    if (!lz4_dctx_) {
      LZ4F_dctx* d = nullptr;
      if (LZ4F_isError(LZ4F_createDecompressionContext(&d, LZ4F_VERSION))) {
        error = "cannot create an LZ4 context";
        return false;
      }
      lz4_dctx_ = d;
    }
    auto* d = (LZ4F_dctx*)lz4_dctx_;
    LZ4F_resetDecompressionContext(d);
    size_t src_pos = 0, dst_pos = 0;
    // The frame header may carry the content size: a good first guess, still capped.
    LZ4F_frameInfo_t info;
    std::memset(&info, 0, sizeof info);
    size_t consumed = n;
    size_t r = LZ4F_getFrameInfo(d, &info, in, &consumed);
    if (LZ4F_isError(r)) {
      error = std::string("not an LZ4 frame (") + LZ4F_getErrorName(r) + ")";
      return false;
    }
    src_pos = consumed;
    size_t guess =
        info.contentSize > 0 && info.contentSize <= cap ? (size_t)info.contentSize : std::min(cap, n * 3 + 256);
    out.resize(std::max<size_t>(guess, 64));
    while (true) {
      size_t dst_n = out.size() - dst_pos, src_n = n - src_pos;
      r = LZ4F_decompress(d, out.data() + dst_pos, &dst_n, in + src_pos, &src_n, nullptr);
      if (LZ4F_isError(r)) {
        error = std::string("corrupt LZ4 frame (") + LZ4F_getErrorName(r) + ")";
        return false;
      }
      src_pos += src_n;
      dst_pos += dst_n;
      if (r == 0) break;  // frame complete
      if (src_n == 0 && dst_n == 0 && dst_pos < out.size()) {
        error = "LZ4 frame makes no progress (corrupt or truncated body)";
        return false;
      }
      if (src_pos >= n && dst_pos < out.size()) {
        error = "LZ4 frame ends early (truncated body)";
        return false;
      }
      if (dst_pos == out.size()) {
        if (out.size() >= cap) {
          error = "LZ4 frame decompresses to more than " + std::to_string(cap) + " bytes";
          return false;
        }
        out.resize(std::min(cap, out.size() * 2));
      }
    }
    if (src_pos != n) {
      error = std::to_string(n - src_pos) + " bytes after the end of the LZ4 frame";
      return false;
    }
    out.resize(dst_pos);
    return true;
  }
  if (c == Compression::Zstd || c == Compression::ZstdHigh) {
    if (!zstd_dctx_) zstd_dctx_ = ZSTD_createDCtx();
    auto* d = (ZSTD_DCtx*)zstd_dctx_;
    ZSTD_DCtx_reset(d, ZSTD_reset_session_only);
    size_t frame = ZSTD_findFrameCompressedSize(in, n);
    if (ZSTD_isError(frame)) {
      error = std::string("corrupt or truncated Zstd frame (") + ZSTD_getErrorName(frame) + ")";
      return false;
    }
    if (frame != n) {
      error = std::to_string(n - frame) + " bytes after the end of the Zstd frame";
      return false;
    }
    unsigned long long content = ZSTD_getFrameContentSize(in, n);
    size_t guess = (content != ZSTD_CONTENTSIZE_UNKNOWN && content != ZSTD_CONTENTSIZE_ERROR && content <= cap)
                       ? (size_t)content
                       : std::min(cap, n * 3 + 256);
    out.resize(std::max<size_t>(guess, 64));
    ZSTD_inBuffer ib{in, n, 0};
    size_t dst_pos = 0;
    while (true) {
      ZSTD_outBuffer ob{out.data() + dst_pos, out.size() - dst_pos, 0};
      size_t in_before = ib.pos;
      size_t r = ZSTD_decompressStream(d, &ob, &ib);
      if (ZSTD_isError(r)) {
        error = std::string("corrupt Zstd frame (") + ZSTD_getErrorName(r) + ")";
        return false;
      }
      dst_pos += ob.pos;
      if (r == 0) break;
      if (ob.pos == 0 && ib.pos == in_before && dst_pos < out.size()) {
        error = "Zstd frame makes no progress (corrupt or truncated body)";
        return false;
      }
      if (ib.pos >= n && dst_pos < out.size()) {
        error = "Zstd frame ends early (truncated body)";
        return false;
      }
      if (dst_pos == out.size()) {
        if (out.size() >= cap) {
          error = "Zstd frame decompresses to more than " + std::to_string(cap) + " bytes";
          return false;
        }
        out.resize(std::min(cap, out.size() * 2));
      }
    }
    out.resize(dst_pos);
    return true;
  }
  error = "unknown compression " + std::to_string((int)c);
  return false;
}

void Codec::compress(Compression c, const uint8_t* in, size_t n, std::vector<uint8_t>& out) {
  if (c == Compression::None) {
    out.assign(in, in + n);
    return;
  }
  if (c == Compression::Lz4 || c == Compression::Lz4High) {
    LZ4F_preferences_t prefs;
    std::memset(&prefs, 0, sizeof prefs);
    prefs.frameInfo.contentSize = n;
    prefs.compressionLevel = c == Compression::Lz4High ? LZ4HC_CLEVEL_DEFAULT : 0;
    out.resize(LZ4F_compressFrameBound(n, &prefs));
    size_t r = LZ4F_compressFrame(out.data(), out.size(), in, n, &prefs);
    HNN_CHECK(!LZ4F_isError(r), "LZ4 compression failed: {}", LZ4F_getErrorName(r));
    out.resize(r);
    return;
  }
  if (c == Compression::Zstd || c == Compression::ZstdHigh) {
    if (!zstd_cctx_) zstd_cctx_ = ZSTD_createCCtx();
    out.resize(ZSTD_compressBound(n));
    size_t r = ZSTD_compressCCtx((ZSTD_CCtx*)zstd_cctx_, out.data(), out.size(), in, n,
                                 c == Compression::ZstdHigh ? kZstdHighLevel : kZstdLevel);
    HNN_CHECK(!ZSTD_isError(r), "Zstd compression failed: {}", ZSTD_getErrorName(r));
    out.resize(r);
    return;
  }
  fail("unknown compression {}", (int)c);
}

}  // namespace hnn::events::detail
