#include "hnn/data/idx.h"

#include <torch/torch.h>

#include <cstdlib>
#include <cstring>
#include <fstream>

#include "hnn/core/data_dir.h"
#include "hnn/core/error.h"
#include "hnn/core/fs.h"

namespace hnn::data {
namespace {

uint32_t be32(const unsigned char* p) {
  return (uint32_t(p[0]) << 24) | (p[1] << 16) | (p[2] << 8) | p[3];
}

std::string find_with_gz(const std::string& base) {
  if (file_exists(base)) return base;
  if (file_exists(base + ".gz")) return base + ".gz";
  fail("cannot find '{}' or '{}.gz'", base, base);
}

}  // namespace

at::Tensor parse_idx(const std::string& bytes, const std::string& name, int64_t max_items) {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  HNN_CHECK(bytes.size() >= 4, "{}: file too short for an IDX header ({} bytes, expected at least 4)", name,
            bytes.size());
  HNN_CHECK(p[0] == 0 && p[1] == 0, "{}: bad IDX magic at byte 0 (expected 00 00, got {:02x} {:02x})", name, p[0],
            p[1]);
  at::ScalarType type;
  size_t elem;
  switch (p[2]) {
    case 0x08:
      type = at::kByte;
      elem = 1;
      break;
    case 0x09:
      type = at::kChar;
      elem = 1;
      break;
    case 0x0B:
      type = at::kShort;
      elem = 2;
      break;
    case 0x0C:
      type = at::kInt;
      elem = 4;
      break;
    case 0x0D:
      type = at::kFloat;
      elem = 4;
      break;
    case 0x0E:
      type = at::kDouble;
      elem = 8;
      break;
    default:
      fail("{}: unknown IDX data type 0x{:02x} at byte 2", name, p[2]);
  }
  int ndim = p[3];
  HNN_CHECK(ndim >= 1 && ndim <= 8, "{}: IDX rank {} at byte 3 is out of range (expected 1..8)", name, ndim);
  size_t header = 4 + 4 * (size_t)ndim;
  HNN_CHECK(bytes.size() >= header, "{}: truncated IDX header ({} bytes, expected {})", name, bytes.size(), header);
  std::vector<int64_t> dims(ndim);
  __int128 total = 1;
  for (int i = 0; i < ndim; ++i) {
    dims[i] = be32(p + 4 + 4 * i);
    total *= dims[i];
    HNN_CHECK(total <= ((__int128)1 << 40), "{}: IDX dimensions at byte {} describe an absurd size", name, 4 + 4 * i);
  }
  size_t need = header + (size_t)total * elem;
  HNN_CHECK(bytes.size() >= need, "{}: truncated IDX data: {} bytes, expected {} for dimensions {}", name, bytes.size(),
            need, fmt::format("{}", fmt::join(dims, "x")));
  if (max_items > 0 && max_items < dims[0]) {
    total = total / dims[0] * max_items;
    dims[0] = max_items;
  }
  auto t = torch::empty(dims, torch::TensorOptions().dtype(type));
  const unsigned char* src = p + header;
  if (total == 0) return t;  // (an empty tensor has no data pointer to copy into)
  if (elem == 1) {
    std::memcpy(t.data_ptr(), src, (size_t)total);
  } else {
    auto* dst = static_cast<unsigned char*>(t.data_ptr());
    for (size_t i = 0; i < (size_t)total; ++i)
      for (size_t b = 0; b < elem; ++b) dst[i * elem + b] = src[i * elem + elem - 1 - b];  // big-endian
  }
  return t;
}

at::Tensor read_idx(const std::string& path, int64_t max_items) {
  return parse_idx(read_maybe_gzip(path), path, max_items);
}

void write_idx(const std::string& path, const at::Tensor& t) {
  HNN_CHECK(t.scalar_type() == at::kByte, "write_idx: only uint8 tensors are supported");
  auto c = t.contiguous();
  std::string out;
  out += std::string("\0\0\x08", 3);
  out += char(c.dim());
  for (int64_t d : c.sizes())
    for (int s = 24; s >= 0; s -= 8) out += char((d >> s) & 0xff);
  out.append(static_cast<const char*>(c.data_ptr()), c.numel());
  write_file_atomically(path, out);
}

ImageSet load_image_set_files(const std::string& images, const std::string& labels, int64_t max_items) {
  auto img = read_idx(images, max_items);
  auto lab = read_idx(labels, max_items);
  HNN_CHECK(img.dim() == 3, "{}: expected images [N, H, W], got rank {}", images, img.dim());
  HNN_CHECK(lab.dim() == 1 && lab.size(0) == img.size(0), "{}: {} labels for {} images in {}", labels, lab.size(0),
            img.size(0), images);
  ImageSet s;
  s.images = img.unsqueeze(1).to(torch::kFloat).div_(255.0);
  s.labels = lab.to(torch::kLong);
  return s;
}

ImageSet load_image_set(const std::string& dir, const std::string& prefix, int64_t max_items) {
  return load_image_set_files(find_with_gz(dir + "/" + prefix + "-images-idx3-ubyte"),
                              find_with_gz(dir + "/" + prefix + "-labels-idx1-ubyte"), max_items);
}

std::string fashion_mnist_dir() {
  const char* env = std::getenv("HNN_FASHION_MNIST");
  std::string dir = env && *env ? env : "/usr/share/datasets/fashion-mnist";
  HNN_CHECK(file_exists(dir + "/train-images-idx3-ubyte.gz") || file_exists(dir + "/train-images-idx3-ubyte"),
            "Fashion-MNIST not found in '{}' (install the Debian package dataset-fashion-mnist, or set "
            "HNN_FASHION_MNIST)",
            dir);
  return dir;
}

ImageSet load_digits(const std::string& dataset, const std::string& split, int64_t max_items) {
  HNN_CHECK(split == "train" || split == "t10k", "load_digits: split '{}' is neither train nor t10k", split);
  if (dataset == "fashion") return load_image_set(fashion_mnist_dir(), split, max_items);
  HNN_CHECK(dataset == "mnist", "unknown dataset '{}' (mnist or fashion)", dataset);
  const std::string dir = shared_data_path("mnist");
  HNN_CHECK(!dir.empty(), "MNIST needs ../shared/data/mnist (or $HNN_DATA_DIR/mnist)");
  if (split == "t10k") return load_image_set(dir, "t10k", max_items);
  // The shared copy holds the first 22,699 of the 60,000 training images.
  return load_image_set_files(dir + "/train-images-idx3-ubyte.first22699.gz",
                              dir + "/train-labels-idx1-ubyte.first22699.gz", max_items);
}

}  // namespace hnn::data
