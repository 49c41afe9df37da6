// Reading ZIP archives without unpacking them to disk: stored and deflated entries, each checked
// against its CRC-32, ZIP64 included. Hostile input: the central directory's offsets and sizes are
// checked against the file before anything is read, and no entry inflates past what its directory
// claims (nor past max_inflated_bytes()). Used for the Omniglot zips and to vet checkpoints before
// LibTorch opens them.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace hnn {

class ZipArchive {
 public:
  struct Entry {
    std::string name;
    uint16_t method = 0;      // 0 stored, 8 deflated
    uint16_t flags = 0;       // the general purpose bit flags of its central directory entry
    uint32_t attributes = 0;  // external file attributes (0x10: an MS-DOS folder)
    uint64_t compressed = 0, size = 0, header_offset = 0;
    uint32_t crc = 0;
  };
  // Reads the central directory (not the entries); hnn::Error naming the file on a missing,
  // truncated or corrupt archive.
  explicit ZipArchive(const std::string& path);
  const std::string& path() const { return path_; }
  // Entry names in archive order (folders, ending in '/', included).
  const std::vector<std::string>& names() const { return names_; }
  const std::vector<Entry>& entries() const { return entries_; }
  bool contains(const std::string& name) const { return index_.count(name) > 0; }
  // The uncompressed bytes of an entry; hnn::Error for an unknown name, corrupt data, or an entry
  // that is encrypted or a patch (what LibTorch's miniz refuses too).
  std::string read(const std::string& name) const;
  std::string read(const Entry& e) const;
  // hnn::Error unless every entry claims no more than its stored bytes can hold (stored: as many;
  // deflated: at most 1032 times as many, deflate's limit): for a caller that hands the archive
  // to a reader that allocates what the directory claims. read() checks the entry it reads.
  void check_claims() const;

 private:
  void check_claim(const Entry& e) const;
  std::string path_;
  std::vector<std::string> names_;
  std::vector<Entry> entries_;
  std::map<std::string, size_t> index_;
};

}  // namespace hnn
