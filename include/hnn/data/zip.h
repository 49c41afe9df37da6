// Reading ZIP archives (stored and deflated entries, checked against their CRC-32), such as the
// Omniglot zips, without unpacking them to disk.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace hnn::data {

class ZipArchive {
 public:
  // Reads the whole archive and its central directory; hnn::Error naming the file on a missing,
  // truncated or corrupt archive.
  explicit ZipArchive(const std::string& path);
  const std::string& path() const { return path_; }
  // Entry names in archive order (folders, ending in '/', included).
  const std::vector<std::string>& names() const { return names_; }
  bool contains(const std::string& name) const { return index_.count(name) > 0; }
  // The uncompressed bytes of an entry; hnn::Error for an unknown name or corrupt data.
  std::string read(const std::string& name) const;

 private:
  struct Entry {
    uint64_t header_offset = 0;
    uint32_t compressed = 0, size = 0, crc = 0;
    uint16_t method = 0;
  };
  std::string path_, bytes_;
  std::vector<std::string> names_;
  std::map<std::string, Entry> index_;
};

}  // namespace hnn::data
