#include "hnn/io/h5.h"

#include <hdf5.h>
#include <sys/stat.h>
#include <torch/torch.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>

#include "hnn/core/bytes.h"
#include "hnn/core/error.h"
#include "hnn/core/fs.h"

namespace hnn::io {

namespace {

// Owns one HDF5 identifier of any kind (file, group, dataset, space, type, property list,
// attribute) and releases it when it goes out of scope.
class Handle {
 public:
  Handle() = default;
  explicit Handle(hid_t id) : id_(id) {}
  ~Handle() { reset(); }
  Handle(Handle&& o) noexcept : id_(o.release()) {}
  Handle& operator=(Handle&& o) noexcept {
    if (this != &o) {
      reset();
      id_ = o.release();
    }
    return *this;
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  hid_t get() const { return id_; }
  bool valid() const { return id_ >= 0; }
  hid_t release() {
    hid_t r = id_;
    id_ = -1;
    return r;
  }
  void reset() {
    if (id_ >= 0) H5Idec_ref(id_);
    id_ = -1;
  }

 private:
  hid_t id_ = -1;
};

// HDF5 reports errors on a stack and, by default, prints them to stderr: we turn the printing off
// once and turn failures into hnn::Error with the innermost message of the stack.
void init_hdf5() {
  static const bool done = [] {
    H5open();
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    return true;
  }();
  (void)done;
}

// The serial HDF5 library is not thread-safe: every call of ours holds this lock.
std::recursive_mutex& h5_mutex() {
  static std::recursive_mutex m;
  return m;
}

#define HNN_H5_LOCK std::lock_guard<std::recursive_mutex> h5_lock_(h5_mutex())

herr_t innermost_error(unsigned n, const H5E_error2_t* e, void* data) {
  if (n == 0 && e && e->desc) *static_cast<std::string*>(data) = e->desc;
  return 0;
}

// ": <innermost HDF5 message>" (or "") and clears the error stack.
std::string h5_detail() {
  std::string s;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, innermost_error, &s);
  H5Eclear2(H5E_DEFAULT);
  return s.empty() ? std::string() : ": " + s;
}

// A file access property list: file locking where the file system supports it.
Handle file_access() {
  Handle fapl(H5Pcreate(H5P_FILE_ACCESS));
#if H5_VERSION_GE(1, 10, 7)
  H5Pset_file_locking(fapl.get(), true, true);
#endif
  return fapl;
}

struct TypePair {
  hid_t memory;  // native type of the tensor's elements
  hid_t file;    // little-endian type stored in the file
};

TypePair types_of(at::ScalarType s, const std::string& file, const std::string& dataset) {
  switch (s) {
    case at::kByte:
      return {H5T_NATIVE_UINT8, H5T_STD_U8LE};
    case at::kChar:
      return {H5T_NATIVE_INT8, H5T_STD_I8LE};
    case at::kShort:
      return {H5T_NATIVE_INT16, H5T_STD_I16LE};
    case at::kInt:
      return {H5T_NATIVE_INT32, H5T_STD_I32LE};
    case at::kLong:
      return {H5T_NATIVE_INT64, H5T_STD_I64LE};
    case at::kFloat:
      return {H5T_NATIVE_FLOAT, H5T_IEEE_F32LE};
    case at::kDouble:
      return {H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE};
    default:
      fail("HDF5 file '{}': dataset '{}' of dtype {} (supported: uint8, int8, int16, int32, int64, float32, float64)",
           file, dataset, c10::toString(s));
  }
}

const char* class_name(H5T_class_t c) {
  switch (c) {
    case H5T_INTEGER:
      return "integer";
    case H5T_FLOAT:
      return "float";
    case H5T_STRING:
      return "string";
    case H5T_BITFIELD:
      return "bitfield";
    case H5T_OPAQUE:
      return "opaque";
    case H5T_COMPOUND:
      return "compound";
    case H5T_REFERENCE:
      return "reference";
    case H5T_ENUM:
      return "enum";
    case H5T_VLEN:
      return "variable-length";
    case H5T_ARRAY:
      return "array";
    default:
      return "unknown";
  }
}

// The torch dtype a stored type is read into (HDF5 converts byte order and width).
at::ScalarType dtype_of(hid_t type, const std::string& file, const std::string& dataset) {
  const H5T_class_t cls = H5Tget_class(type);
  const size_t size = H5Tget_size(type);
  if (cls == H5T_INTEGER) {
    const bool is_signed = H5Tget_sign(type) == H5T_SGN_2;
    if (is_signed) {
      if (size == 1) return at::kChar;
      if (size == 2) return at::kShort;
      if (size == 4) return at::kInt;
      if (size == 8) return at::kLong;
    } else {
      if (size == 1) return at::kByte;
      if (size == 2) return at::kInt;
      if (size == 4) return at::kLong;
    }
  } else if (cls == H5T_FLOAT) {
    if (size <= 4) return at::kFloat;
    if (size == 8) return at::kDouble;
  }
  fail("HDF5 file '{}': dataset '{}' has an unsupported type ({}{}, {} bytes)", file, dataset,
       cls == H5T_INTEGER ? (H5Tget_sign(type) == H5T_SGN_2 ? "signed " : "unsigned ") : "", class_name(cls), size);
}

// The n strings of a dataset or attribute whose type is `type` (fixed or variable length):
// read(memory_type, buffer) reads them, bad() is the error message.
std::vector<std::string> read_string_values(hid_t type, hssize_t n, const std::function<herr_t(hid_t, void*)>& read,
                                            const std::function<std::string()>& bad) {
  std::vector<std::string> out;
  if (n <= 0) return out;
  if (H5Tis_variable_str(type) > 0) {
    Handle mem(H5Tcopy(H5T_C_S1));
    H5Tset_size(mem.get(), H5T_VARIABLE);
    H5Tset_cset(mem.get(), H5Tget_cset(type));
    std::vector<char*> strs((size_t)n, nullptr);
    if (read(mem.get(), strs.data()) < 0) throw Error(bad());
    for (char* s : strs) {
      out.emplace_back(s ? s : "");
      if (s) H5free_memory(s);
    }
  } else {
    const size_t size = H5Tget_size(type);
    std::vector<char> buf(size * (size_t)n + 1, '\0');
    if (read(type, buf.data()) < 0) throw Error(bad());
    for (hssize_t i = 0; i < n; ++i) {
      const char* s = buf.data() + i * size;
      out.emplace_back(s, strnlen(s, size));
    }
  }
  return out;
}

// Hostile input: libhdf5 (1.10) reads a variable-length string by allocating the length that its
// reference in the file claims (up to 4 GiB, found by fuzz_nir and fuzz_h5) and then copying the
// global heap object the reference names into it, whatever the object's size. The references
// are raw bytes in the file that no API returns, so a conversion function of ours, from
// variable-length strings to an opaque type tagged kVlCheckTag, receives them as libhdf5 reads
// them, before any allocation (4-byte length, heap collection address, 4-byte object index), and
// hands each to VlCheck::current.
constexpr const char* kVlCheckTag = "hnn: variable-length string references";

struct VlCheck {
  // Each reference's length in bytes, heap collection address and object index (UINT64_MAX, 0, 0:
  // characters of an unsupported size); an error message, or "".
  std::function<std::string(uint64_t, uint64_t, uint64_t)> check;
  std::string error;
  static VlCheck*& current() {
    static VlCheck* c = nullptr;
    return c;
  }
};

herr_t vl_check_conversion(hid_t src, hid_t dst, H5T_cdata_t* cdata, size_t n, size_t buf_stride, size_t, void* buf,
                           void*, hid_t) {
  switch (cdata->command) {
    case H5T_CONV_INIT: {
      if (H5Tis_variable_str(src) <= 0 || H5Tget_class(dst) != H5T_OPAQUE) return -1;
      char* tag = H5Tget_tag(dst);
      const bool ours = tag && std::strcmp(tag, kVlCheckTag) == 0;
      H5free_memory(tag);
      if (!ours) return -1;
      cdata->need_bkg = H5T_BKG_NO;
      return 0;
    }
    case H5T_CONV_CONV: {
      VlCheck* c = VlCheck::current();
      const size_t size = H5Tget_size(src);  // on disk: 4 + the file's address size + 4
      if (!c || size < 12 || size > 24) return -1;
      // The length counts characters of the type the file declares (libhdf5 allocates length x
      // their size, 12 GB for 4-byte ones; found by fuzz_nir): the heap object must hold as many.
      Handle super(H5Tget_super(src));
      const uint64_t char_size = super.valid() ? H5Tget_size(super.get()) : 0;
      H5Eclear2(H5E_DEFAULT);
      if (char_size == 0 || char_size > 16) {
        c->error = c->check(UINT64_MAX, 0, 0);
        return -1;
      }
      const size_t stride = buf_stride ? buf_stride : size;
      auto* b = static_cast<unsigned char*>(buf);
      for (size_t i = 0; i < n; ++i) {
        const std::string e(reinterpret_cast<const char*>(b + i * stride), size);
        c->error = c->check(read_le(e, 0, 4) * char_size, read_le(e, 4, (int)size - 8), read_le(e, size - 4, 4));
        if (!c->error.empty()) return -1;
      }
      for (size_t i = 0; i < n; ++i) b[i * (buf_stride ? buf_stride : 1)] = 0;
      return 0;
    }
    default:
      return 0;
  }
}

// An opaque type that makes libhdf5 hand variable-length string references to vl_check_conversion.
Handle vl_check_type() {
  static const bool registered = [] {
    Handle vl(H5Tcopy(H5T_C_S1)), opaque(H5Tcreate(H5T_OPAQUE, 1));
    H5Tset_size(vl.get(), H5T_VARIABLE);
    H5Tset_tag(opaque.get(), kVlCheckTag);
    return H5Tregister(H5T_PERS_SOFT, "hnn_vl_check", vl.get(), opaque.get(), vl_check_conversion) >= 0;
  }();
  HNN_CHECK(registered, "cannot register HDF5's variable-length string check{}", h5_detail());
  Handle t(H5Tcreate(H5T_OPAQUE, 1));
  H5Tset_tag(t.get(), kVlCheckTag);
  return t;
}

std::string clean(const std::string& name) {
  std::string s = name;
  while (s.size() > 1 && s.back() == '/') s.pop_back();
  return s.empty() ? "/" : s;
}

std::vector<int64_t> dims_of(hid_t space) {
  const int rank = H5Sget_simple_extent_ndims(space);
  std::vector<hsize_t> d(rank > 0 ? rank : 0);
  if (rank > 0) H5Sget_simple_extent_dims(space, d.data(), nullptr);
  return std::vector<int64_t>(d.begin(), d.end());
}

// Hostile input: a dataset's dims are a claim of the file's that nothing checks; we allocate a
// dataset's tensor only when its size is plausible for the bytes it occupies in the file. A
// dataset may hold at most kMaxExpansion times its stored bytes (deflate's maximum ratio is about
// 1032:1) plus kSlackBytes (room for small datasets whose storage HDF5 never allocated, read as
// fill values). Attributes are never compressed: at most the file's size.
constexpr uint64_t kMaxExpansion = 1032;
constexpr uint64_t kSlackBytes = uint64_t{1} << 20;
// A chunked dataset may span this many chunks more than it has stored bytes (see check_size).
constexpr uint64_t kMaxSparseChunks = uint64_t{1} << 16;

// The bytes of npoints(space) elements of elem_size bytes, saturated at 2^100 (no overflow).
unsigned __int128 logical_bytes(hid_t space, size_t elem_size) {
  unsigned __int128 n = std::max<size_t>(elem_size, 1);
  if (H5Sget_simple_extent_type(space) == H5S_NULL) return 0;
  for (int64_t d : dims_of(space)) {
    n *= (uint64_t)d;
    if (n > ((unsigned __int128)1 << 100)) return (unsigned __int128)1 << 100;
  }
  return n;
}

std::string bytes_str(unsigned __int128 n) {
  return n > UINT64_MAX ? std::string("more than 2^64") : std::to_string((uint64_t)n);
}

}  // namespace

// ------------------------------------------------------------------------------------------------
// Writer

struct H5Writer::Impl {
  std::string path, tmp;
  Handle file;
  struct Extendable {
    Handle dataset;
    at::ScalarType dtype;
    std::vector<int64_t> row_shape;
    int64_t rows = 0;
  };
  std::map<std::string, Extendable> extendable;
  bool committed = false;

  void check_open() const { HNN_CHECK(file.valid(), "HDF5 file '{}': the writer was already committed", path); }

  // Creates a dataset with dims/maxdims; chunks of chunk_rows along dim 0 when chunk_rows > 0.
  Handle create(const std::string& name, hid_t ftype, const std::vector<hsize_t>& dims,
                const std::vector<hsize_t>& maxdims, int64_t chunk_rows, int gzip) {
    check_open();
    HNN_CHECK(name != "/" && !name.empty(), "HDF5 file '{}': empty dataset name", path);
    HNN_CHECK(gzip >= 0 && gzip <= 9, "HDF5 file '{}': dataset '{}': gzip level {} (expected 0..9)", path, name, gzip);
    const int rank = (int)dims.size();
    Handle space(rank == 0 ? H5Screate(H5S_SCALAR) : H5Screate_simple(rank, dims.data(), maxdims.data()));
    Handle dcpl(H5Pcreate(H5P_DATASET_CREATE));
    Handle lcpl(H5Pcreate(H5P_LINK_CREATE));
    HNN_CHECK(space.valid() && dcpl.valid() && lcpl.valid(), "HDF5 file '{}': dataset '{}'{}", path, name, h5_detail());
    H5Pset_create_intermediate_group(lcpl.get(), 1);
    if (chunk_rows > 0) {
      std::vector<hsize_t> chunk(dims.begin(), dims.end());
      uint64_t row_bytes = H5Tget_size(ftype);
      for (int i = 1; i < rank; ++i) row_bytes *= maxdims[i];
      const uint64_t max_rows = ((1ull << 32) - 1) / row_bytes;  // HDF5 chunks are below 4 GiB
      HNN_CHECK(max_rows > 0, "HDF5 file '{}': dataset '{}': one row of {} bytes is too large for a chunk", path, name,
                row_bytes);
      chunk[0] = (hsize_t)std::min<uint64_t>((uint64_t)chunk_rows, max_rows);
      for (int i = 1; i < rank; ++i) chunk[i] = maxdims[i];
      H5Pset_chunk(dcpl.get(), rank, chunk.data());
      if (gzip > 0) {
        HNN_CHECK(H5Zfilter_avail(H5Z_FILTER_DEFLATE) > 0, "HDF5 file '{}': this libhdf5 has no gzip filter", path);
        H5Pset_deflate(dcpl.get(), (unsigned)gzip);
      }
    }
    Handle d(H5Dcreate2(file.get(), name.c_str(), ftype, space.get(), lcpl.get(), dcpl.get(), H5P_DEFAULT));
    HNN_CHECK(d.valid(), "HDF5 file '{}': cannot create dataset '{}'{}", path, name, h5_detail());
    return d;
  }

  void close_all() {
    extendable.clear();
    file.reset();
  }
};

H5Writer::H5Writer(const std::string& path) : impl_(std::make_unique<Impl>()) {
  HNN_H5_LOCK;
  init_hdf5();
  impl_->path = path;
  impl_->tmp = path + ".tmp-" + std::to_string(getpid());
  Handle fapl = file_access();
  impl_->file = Handle(H5Fcreate(impl_->tmp.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl.get()));
  if (!impl_->file.valid()) {
    const std::string why = h5_detail();
    std::remove(impl_->tmp.c_str());
    fail("cannot create the HDF5 file '{}'{}", path, why);
  }
}

H5Writer::~H5Writer() {
  HNN_H5_LOCK;
  if (!impl_ || impl_->committed) return;
  impl_->close_all();
  std::remove(impl_->tmp.c_str());
}

void H5Writer::write(const std::string& dataset, const at::Tensor& t, int64_t chunk_rows, int gzip) {
  HNN_H5_LOCK;
  const std::string name = clean(dataset);
  HNN_CHECK(t.defined(), "HDF5 file '{}': dataset '{}': undefined tensor", impl_->path, name);
  const TypePair tp = types_of(t.scalar_type(), impl_->path, name);
  const at::Tensor c = t.cpu().contiguous();
  std::vector<hsize_t> dims(c.sizes().begin(), c.sizes().end());
  bool chunked = c.dim() > 0 && c.numel() > 0;
  const int64_t rows = c.dim() > 0 ? c.size(0) : 0;
  Handle d = impl_->create(name, tp.file, dims, dims, chunked ? std::clamp<int64_t>(chunk_rows, 1, rows) : 0, gzip);
  if (c.numel() == 0) return;
  HNN_CHECK(H5Dwrite(d.get(), tp.memory, H5S_ALL, H5S_ALL, H5P_DEFAULT, c.data_ptr()) >= 0,
            "HDF5 file '{}': cannot write dataset '{}'{}", impl_->path, name, h5_detail());
}

void H5Writer::create_extendable(const std::string& dataset, at::ScalarType dtype, at::IntArrayRef row_shape,
                                 int64_t chunk_rows, int gzip) {
  HNN_H5_LOCK;
  const std::string name = clean(dataset);
  const TypePair tp = types_of(dtype, impl_->path, name);
  HNN_CHECK(!impl_->extendable.count(name), "HDF5 file '{}': dataset '{}' already exists", impl_->path, name);
  std::vector<hsize_t> dims{0}, maxdims{H5S_UNLIMITED};
  for (int64_t s : row_shape) {
    HNN_CHECK(s > 0, "HDF5 file '{}': extendable dataset '{}' needs a positive row shape", impl_->path, name);
    dims.push_back((hsize_t)s);
    maxdims.push_back((hsize_t)s);
  }
  Impl::Extendable e;
  e.dataset = impl_->create(name, tp.file, dims, maxdims, std::max<int64_t>(chunk_rows, 1), gzip);
  e.dtype = dtype;
  e.row_shape = row_shape.vec();
  impl_->extendable.emplace(name, std::move(e));
}

void H5Writer::append(const std::string& dataset, const at::Tensor& rows) {
  HNN_H5_LOCK;
  impl_->check_open();
  const std::string name = clean(dataset);
  auto it = impl_->extendable.find(name);
  HNN_CHECK(it != impl_->extendable.end(), "HDF5 file '{}': append to '{}', which create_extendable did not make",
            impl_->path, name);
  Impl::Extendable& e = it->second;
  HNN_CHECK(rows.defined() && rows.scalar_type() == e.dtype, "HDF5 file '{}': append to '{}': dtype {} (expected {})",
            impl_->path, name, rows.defined() ? c10::toString(rows.scalar_type()) : "undefined",
            c10::toString(e.dtype));
  std::vector<int64_t> want{rows.dim() > 0 ? rows.size(0) : -1};
  want.insert(want.end(), e.row_shape.begin(), e.row_shape.end());
  HNN_CHECK(rows.sizes().vec() == want, "HDF5 file '{}': append to '{}': shape [{}] (expected [n, {}])", impl_->path,
            name, fmt::join(rows.sizes(), ", "), fmt::join(e.row_shape, ", "));
  const int64_t n = rows.size(0);
  if (n == 0) return;
  const at::Tensor c = rows.cpu().contiguous();
  const int rank = (int)want.size();
  std::vector<hsize_t> extent(want.begin(), want.end()), start(rank, 0), count(want.begin(), want.end());
  extent[0] = (hsize_t)(e.rows + n);
  start[0] = (hsize_t)e.rows;
  bool ok = H5Dset_extent(e.dataset.get(), extent.data()) >= 0;
  Handle fspace(ok ? H5Dget_space(e.dataset.get()) : -1);
  ok = ok && fspace.valid() &&
       H5Sselect_hyperslab(fspace.get(), H5S_SELECT_SET, start.data(), nullptr, count.data(), nullptr) >= 0;
  Handle mspace(ok ? H5Screate_simple(rank, count.data(), nullptr) : -1);
  ok = ok && mspace.valid() &&
       H5Dwrite(e.dataset.get(), types_of(e.dtype, impl_->path, name).memory, mspace.get(), fspace.get(), H5P_DEFAULT,
                c.data_ptr()) >= 0;
  HNN_CHECK(ok, "HDF5 file '{}': cannot append {} rows to '{}'{}", impl_->path, n, name, h5_detail());
  e.rows += n;
}

void H5Writer::set_attribute(const std::string& object, const std::string& name, const std::string& value) {
  HNN_H5_LOCK;
  impl_->check_open();
  const std::string obj_name = clean(object);
  Handle obj(H5Oopen(impl_->file.get(), obj_name.c_str(), H5P_DEFAULT));
  HNN_CHECK(obj.valid(), "HDF5 file '{}': no object '{}' for the attribute '{}'{}", impl_->path, obj_name, name,
            h5_detail());
  if (H5Aexists(obj.get(), name.c_str()) > 0) H5Adelete(obj.get(), name.c_str());
  Handle type(H5Tcopy(H5T_C_S1));
  Handle space(H5Screate(H5S_SCALAR));
  bool ok = type.valid() && space.valid() && H5Tset_size(type.get(), value.size() + 1) >= 0 &&
            H5Tset_strpad(type.get(), H5T_STR_NULLTERM) >= 0 && H5Tset_cset(type.get(), H5T_CSET_UTF8) >= 0;
  Handle attr(ok ? H5Acreate2(obj.get(), name.c_str(), type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT) : -1);
  ok = ok && attr.valid() && H5Awrite(attr.get(), type.get(), value.c_str()) >= 0;
  HNN_CHECK(ok, "HDF5 file '{}': cannot write the attribute '{}' of '{}'{}", impl_->path, name, obj_name, h5_detail());
}

void H5Writer::write_strings(const std::string& dataset, const std::vector<std::string>& values,
                             const std::vector<int64_t>& shape) {
  HNN_H5_LOCK;
  const std::string name = clean(dataset);
  int64_t n = 1;
  for (int64_t s : shape) n *= s;
  HNN_CHECK(n == (int64_t)values.size(), "HDF5 file '{}': dataset '{}': {} strings for a shape of {} elements",
            impl_->path, name, values.size(), n);
  Handle type(H5Tcopy(H5T_C_S1));
  HNN_CHECK(type.valid() && H5Tset_size(type.get(), H5T_VARIABLE) >= 0 && H5Tset_cset(type.get(), H5T_CSET_UTF8) >= 0,
            "HDF5 file '{}': dataset '{}'{}", impl_->path, name, h5_detail());
  const std::vector<hsize_t> dims(shape.begin(), shape.end());
  Handle d = impl_->create(name, type.get(), dims, dims, 0, 0);
  std::vector<const char*> ptrs;
  ptrs.reserve(values.size());
  for (const std::string& v : values) ptrs.push_back(v.c_str());
  HNN_CHECK(values.empty() || H5Dwrite(d.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, ptrs.data()) >= 0,
            "HDF5 file '{}': cannot write dataset '{}'{}", impl_->path, name, h5_detail());
}

void H5Writer::commit() {
  HNN_H5_LOCK;
  impl_->check_open();
  impl_->extendable.clear();
  const herr_t closed = H5Fclose(impl_->file.release());
  if (closed < 0) {
    const std::string why = h5_detail();
    std::remove(impl_->tmp.c_str());
    impl_->committed = true;
    fail("HDF5 file '{}': cannot close{}", impl_->path, why);
  }
  impl_->committed = true;
  if (std::rename(impl_->tmp.c_str(), impl_->path.c_str()) != 0) {
    const int err = errno;
    std::remove(impl_->tmp.c_str());
    fail("cannot write '{}': {}", impl_->path, std::strerror(err));
  }
}

// ------------------------------------------------------------------------------------------------
// Reader

struct H5Reader::Impl {
  std::string path;
  Handle file;
  uint64_t file_size = 0;
  uint64_t base = 0;        // where HDF5 address 0 lies in the file (after a user block)
  size_t address_size = 8;  // bytes of an address in the file
  size_t length_size = 8;   // bytes of a length (a group B-tree's key)
  mutable bool heaps_checked = false;
  // The objects of every global heap collection: {file offset of the collection: {index: bytes}}.
  mutable std::map<uint64_t, std::map<uint64_t, uint64_t>> heap_objects;
  mutable std::set<uint64_t> attributes_checked;  // object header addresses

  // The file's raw bytes, for the checks below that scan it for a structure's signature.
  class RawFile {
   public:
    explicit RawFile(const std::string& path) : f_(std::fopen(path.c_str(), "rb"), std::fclose) {
      HNN_CHECK(f_, "cannot open '{}'", path);
    }
    // n bytes at offset `at`, or "" when the file does not hold them all.
    std::string at(uint64_t at, size_t n) const {
      std::string b(n, '\0');
      if (std::fseek(f_.get(), (long)at, SEEK_SET) != 0 || std::fread(b.data(), 1, n, f_.get()) != n) b.clear();
      return b;
    }
    // Calls f(offset) for every occurrence of the 4-byte signature sig in the file's size bytes.
    template <typename F>
    void each(const char* sig, uint64_t size, F&& f) const {
      constexpr size_t kBlock = 1 << 20;
      for (uint64_t block = 0; block < size; block += kBlock) {
        const std::string b = at(block, (size_t)std::min<uint64_t>(kBlock + 3, size - block));
        for (size_t i = b.find(sig, 0, 4); i != std::string::npos && i < kBlock; i = b.find(sig, i + 1, 4))
          f(block + i);
      }
    }

   private:
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> f_;
  };

  // Hostile input: libhdf5 (1.10) follows a group B-tree's child address without checking it: a
  // node ("TREE", version 1, type 0) whose child is the undefined address (all ones) made
  // H5Gget_info, and any lookup through the group, read through a null pointer (SIGSEGV; found by
  // fuzz_h5). Other addresses outside the file, even a few bytes short of the undefined one, get
  // libhdf5's own error, so only that one is refused: before anything looks into a group, every
  // such node in the file is checked. Its sibling addresses are not looked at: libhdf5 follows the
  // children of a node whose right sibling is garbage all the same (a second fuzz_h5 finding). A
  // candidate the file cannot hold is not a node; raw data would have to spell "TREE", type 0 and
  // a child of all ones at the right offset to be mistaken for one.
  void check_group_btrees() const {
    const RawFile raw(path);
    const uint64_t undefined = address_size >= 8 ? ~uint64_t{0} : (uint64_t{1} << (8 * address_size)) - 1;
    const size_t a = address_size, l = length_size, header = 8 + 2 * a;
    raw.each("TREE", file_size, [&](uint64_t at) {
      const std::string h = raw.at(at, header);
      if (h.size() != header || h[4] != 0) return;  // not a group node (chunk nodes are type 1)
      const uint64_t entries = read_le(h, 6, 2);
      // Keys and children alternate after the header: key 0, child 0, key 1, ..., key `entries`.
      const std::string body = raw.at(at + header, (size_t)(l + entries * (a + l)));
      if (body.empty()) return;
      for (uint64_t i = 0; i < entries; ++i)
        HNN_CHECK(read_le(body, (size_t)(l + i * (a + l)), (int)a) != undefined,
                  "HDF5 file '{}': group B-tree node at offset {}: child {} of {} is the undefined address (libhdf5 "
                  "would read through a null pointer)",
                  path, at, i, entries);
    });
  }

  // Hostile input: libhdf5 (1.10) loops forever on a global heap collection (where variable-length
  // strings live) holding an object that does not advance its parse: the free-space object of
  // size 0, or a size so large the pointer wraps (found by fuzz_nir; h5dump hangs on it too). Before
  // the first variable-length read, every collection in the file ("GCOL", version 1, at least 4096
  // bytes, inside the file) is walked the way libhdf5 walks it, and such an object is an error.
  void check_global_heaps() const {
    if (heaps_checked) return;
    const RawFile raw(path);
    raw.each("GCOL", file_size, [&](uint64_t at) {
      const std::string h = raw.at(at, 16);
      if (h.size() != 16 || h[4] != 1 || h[5] != 0 || h[6] != 0 || h[7] != 0) return;
      const uint64_t size = read_le(h, 8, 8);
      if (size < 4096 || size > file_size - at) return;  // libhdf5 refuses these itself
      const std::string c = raw.at(at, (size_t)size);
      for (uint64_t p = 16; p < size;) {
        if (p + 16 > size) break;  // too small for an object header: free space
        const uint64_t index = read_le(c, (size_t)p, 2), object = read_le(c, (size_t)p + 8, 8);
        const uint64_t need = index > 0 ? 16 + ((object + 7) & ~uint64_t{7}) : object;
        HNN_CHECK(need > 0 && object < (uint64_t{1} << 62),
                  "HDF5 file '{}': corrupt global heap at offset {}: object {} of {} bytes at +{} (libhdf5 would "
                  "not get past it)",
                  path, at, index, object, p);
        if (index > 0) heap_objects[at][index] = object;
        p += need;
      }
    });
    heaps_checked = true;
  }

  // Hostile input: libhdf5 (1.10) decodes an attribute message (in H5Aexists, which decodes every
  // attribute of the object, and H5Aopen) without checking its parts against the message's size:
  // copying the value (elements x type size) read past the object header's buffer (ASan
  // heap-buffer-overflow; found by fuzz_h5). Before an object's first attribute lookup its header
  // is walked (version 1 or 2, continuation chunks included) and every attribute message must
  // hold its name (with its NUL), datatype, dataspace (with its dims) and value. Attributes whose
  // type or space is shared, or that live in the shared-message table, are refused: their sizes
  // are stored elsewhere. Dense attribute storage (a fractal heap, for many attributes) is not
  // checked.
  void check_attribute_messages(hid_t obj, const std::string& name) const {
    haddr_t addr = HADDR_UNDEF;
#if H5_VERSION_GE(1, 12, 0)
    H5O_info2_t info;
    if (H5Oget_info3(obj, &info, H5O_INFO_BASIC) < 0 || H5VLnative_token_to_addr(obj, info.token, &addr) < 0)
      addr = HADDR_UNDEF;
#else
    H5O_info_t info;
    if (H5Oget_info2(obj, &info, H5O_INFO_BASIC) >= 0) addr = info.addr;
#endif
    HNN_CHECK(addr != HADDR_UNDEF, "HDF5 file '{}': the object header of '{}'{}", path, name, h5_detail());
    if (attributes_checked.count(addr)) return;  // added once the walk passes: a bad header fails every time
    const RawFile raw(path);
    const size_t a = address_size, l = length_size;
    const std::string where =
        fmt::format("HDF5 file '{}': the object header of '{}' (offset {})", path, name, base + addr);
    // The header's chunks as {file offset, bytes of messages}; continuation messages add more.
    std::vector<std::pair<uint64_t, uint64_t>> chunks;
    const std::string prefix = raw.at(base + addr, 34);  // a version 2 prefix is at most 34 bytes
    bool v2 = false, creation_order = false;
    if (prefix.size() == 34 && prefix.compare(0, 4, "OHDR") == 0 && prefix[4] == 2) {
      v2 = true;
      const unsigned flags = (unsigned char)prefix[5];
      creation_order = flags & 0x04;
      size_t p = 6 + ((flags & 0x20) ? 16 : 0) + ((flags & 0x10) ? 4 : 0);
      const int width = 1 << (flags & 3);
      chunks.emplace_back(base + addr + p + width, read_le(prefix, p, width));
    } else {
      const std::string v1 = raw.at(base + addr, 16);
      HNN_CHECK(v1.size() == 16 && v1[0] == 1, "{}: neither a version 1 nor a version 2 object header", where);
      chunks.emplace_back(base + addr + 16, read_le(v1, 8, 4));
    }
    const size_t head = v2 ? 4 + (creation_order ? 2 : 0) : 8;  // a message's header
    uint64_t total = 0;
    for (size_t c = 0; c < chunks.size(); ++c) {
      const auto [at, size] = chunks[c];
      total += size;
      HNN_CHECK(chunks.size() <= 65536 && total <= file_size,
                "{}: {} chunks of {} bytes in all, in a file of {} (corrupt or hostile)", where, chunks.size(), total,
                file_size);
      const std::string m = raw.at(at, (size_t)size);
      if (m.size() != size) continue;  // libhdf5 cannot load it either
      for (uint64_t p = 0; p + head <= size;) {
        const uint64_t type = v2 ? (uint8_t)m[p] : read_le(m, p, 2), n = read_le(m, p + (v2 ? 1 : 2), 2);
        const unsigned flags = (unsigned char)m[p + (v2 ? 3 : 4)];
        const uint64_t body = p + head;
        if (body + n > size) break;        // libhdf5 refuses the header
        if (type == 0x10 && n >= a + l) {  // continuation: address, length
          const uint64_t next = read_le(m, body, (int)a), length = read_le(m, body + a, (int)l);
          if (v2) {
            if (length >= 8) chunks.emplace_back(base + next + 4, length - 8);  // "OCHK", messages, checksum
          } else {
            chunks.emplace_back(base + next, length);
          }
        } else if (type == 0x0C) {
          HNN_CHECK(!(flags & 0x02), "{}: an attribute in the shared-message table (not supported)", where);
          check_attribute(m.substr(body, n), fmt::format("{}: the attribute message at offset {}", where, at + body));
        }
        p = body + n;
      }
    }
    attributes_checked.insert(addr);
  }

  // One attribute message (see check_attribute_messages); `what` names it in errors.
  void check_attribute(const std::string& m, const std::string& what) const {
    const uint64_t n = m.size();
    if (n < 9 || m[0] < 1 || m[0] > 3) return;  // libhdf5 refuses it itself
    const int version = m[0];
    const unsigned flags = version >= 2 ? (unsigned char)m[1] : 0;
    HNN_CHECK(!(flags & 0x03), "{}: a shared datatype or dataspace (not supported)", what);
    auto pad = [&](uint64_t x) { return version == 1 ? (x + 7) & ~uint64_t{7} : x; };
    const uint64_t name_len = read_le(m, 2, 2), type_len = read_le(m, 4, 2), space_len = read_le(m, 6, 2);
    const uint64_t name_at = version == 3 ? 9 : 8, type_at = name_at + pad(name_len),
                   space_at = type_at + pad(type_len), value_at = space_at + pad(space_len);
    HNN_CHECK(value_at <= n && name_len >= 1 && type_len >= 8 && space_len >= 4,
              "{}: a name of {} bytes, a datatype of {} and a dataspace of {} in a message of {} (corrupt or hostile)",
              what, name_len, type_len, space_len, n);
    HNN_CHECK(std::memchr(m.data() + name_at, 0, name_len) != nullptr, "{}: the name has no terminating NUL", what);
    uint64_t element = read_le(m, type_at + 4, 4);
    if ((m[type_at] & 0x0f) == 9) element = std::max<uint64_t>({element, 16, 8 + address_size});  // variable length
    const int space_version = m[space_at], rank = (unsigned char)m[space_at + 1];
    const unsigned space_flags = (unsigned char)m[space_at + 2];
    if ((space_version != 1 && space_version != 2) || rank > 32) return;  // libhdf5 refuses these
    const uint64_t dims_at = space_at + (space_version == 1 ? 8 : 4);
    const uint64_t dims_end = dims_at + (uint64_t)rank * length_size * ((space_flags & 1) ? 2 : 1);
    HNN_CHECK(dims_end <= space_at + space_len, "{}: a dataspace of rank {} in {} bytes (corrupt or hostile)", what,
              rank, space_len);
    unsigned __int128 elements = 1;
    if (space_version == 2 && m[space_at + 3] == 2) elements = 0;  // the null dataspace
    for (int i = 0; i < rank; ++i) {
      elements *= read_le(m, (size_t)(dims_at + (uint64_t)i * length_size), (int)length_size);
      if (elements > n) break;  // already too many
    }
    HNN_CHECK(elements * element <= n - value_at,
              "{}: a value of {} elements of {} bytes in {} bytes (corrupt or hostile: libhdf5 would read past it)",
              what, (uint64_t)std::min<unsigned __int128>(elements, UINT64_MAX), element, n - value_at);
  }

  // Checks the global heaps, then every variable-length string reference of a dataset or
  // attribute of n strings (read(memory type, buffer) reads it): each must name an object of a
  // heap collection that holds exactly the bytes it claims, or be null. See vl_check_conversion.
  void check_variable_strings(hssize_t n, const std::function<herr_t(hid_t, void*)>& read,
                              const std::string& what) const {
    check_global_heaps();
    if (n <= 0) return;
    VlCheck check;
    check.check = [&](uint64_t length, uint64_t address, uint64_t index) -> std::string {
      if (length == UINT64_MAX)
        return fmt::format(
            "HDF5 file '{}': {}: variable-length strings of characters that are not 1 to 16 bytes "
            "(corrupt or hostile)",
            path, what);
      if (address == 0) return "";  // a null reference: libhdf5 reads nothing
      const auto heap = heap_objects.find(address + base);
      std::string found = "is not a valid heap collection";
      if (heap != heap_objects.end()) {
        const auto object = heap->second.find(index);
        if (object == heap->second.end())
          found = "the collection does not hold";
        else if (object->second == length)
          return "";
        else
          found = fmt::format("holds {} bytes", object->second);
      }
      return fmt::format(
          "HDF5 file '{}': {}: a variable-length string claims {} bytes at global heap {} object {}, which {} "
          "(corrupt or hostile)",
          path, what, length, address, index, found);
    };
    Handle type = vl_check_type();
    std::vector<unsigned char> buf((size_t)n);
    VlCheck::current() = &check;
    const herr_t ok = read(type.get(), buf.data());
    VlCheck::current() = nullptr;
    if (!check.error.empty()) {
      H5Eclear2(H5E_DEFAULT);
      throw Error(check.error);
    }
    HNN_CHECK(ok >= 0, "HDF5 file '{}': cannot read {}{}", path, what, h5_detail());
  }

  // Every written chunk of the filtered dataset d (extent dims, chunk dims chunk) must unfilter to
  // chunk_bytes: read raw, its filters undone in reverse (Fletcher-32: 4 bytes less; deflate:
  // inflated, at most chunk_bytes + 1; shuffle: the same size). Other filters are refused.
  void check_filtered_chunks(hid_t d, hid_t dcpl, const std::vector<int64_t>& dims, const hsize_t* chunk,
                             uint64_t chunk_bytes, const std::string& name) const {
    std::vector<H5Z_filter_t> filters;
    for (int i = 0; i < H5Pget_nfilters(dcpl); ++i) {
      unsigned flags = 0, config = 0;
      size_t n = 0;
      char filter[64] = "";
      const H5Z_filter_t id = H5Pget_filter2(dcpl, (unsigned)i, &flags, &n, nullptr, sizeof(filter), filter, &config);
      if (id != H5Z_FILTER_DEFLATE && id != H5Z_FILTER_FLETCHER32 && id != H5Z_FILTER_SHUFFLE)
        fail(
            "HDF5 file '{}': dataset '{}' uses the HDF5 filter {} ('{}'); hnn reads deflate (gzip), shuffle and "
            "Fletcher-32 only",
            path, name, (int)id, filter);
      filters.push_back(id);
    }
    HNN_CHECK(filters.size() <= 32, "HDF5 file '{}': dataset '{}' has {} filters (corrupt or hostile)", path, name,
              filters.size());
    const size_t rank = dims.size();
    std::vector<hsize_t> at(rank, 0);
    if (std::find(dims.begin(), dims.end(), 0) != dims.end()) return;
    while (true) {  // every chunk of the extent (check_size bounded their number), in row-major order
      unsigned mask = 0;
      haddr_t addr = HADDR_UNDEF;
      hsize_t size = 0;
      if (H5Dget_chunk_info_by_coord(d, at.data(), &mask, &addr, &size) < 0) {
        const std::string why = h5_detail();
        fail("HDF5 file '{}': dataset '{}': chunk at [{}]{}", path, name, fmt::join(at, ", "), why);
      }
      if (addr != HADDR_UNDEF) {
        HNN_CHECK(size <= file_size, "HDF5 file '{}': dataset '{}': chunk at [{}] claims {} bytes of a {}-byte file",
                  path, name, fmt::join(at, ", "), size, file_size);
        std::string b((size_t)size, '\0');
        uint32_t read_mask = 0;
        HNN_CHECK(H5Dread_chunk(d, H5P_DEFAULT, at.data(), &read_mask, b.data()) >= 0,
                  "HDF5 file '{}': dataset '{}': cannot read the chunk at [{}]{}", path, name, fmt::join(at, ", "),
                  h5_detail());
        for (size_t f = filters.size(); f-- > 0;) {
          if (read_mask & (1u << f)) continue;  // this filter was skipped for this chunk
          if (filters[f] == H5Z_FILTER_FLETCHER32) {
            HNN_CHECK(b.size() >= 4, "HDF5 file '{}': dataset '{}': the chunk at [{}] is too short", path, name,
                      fmt::join(at, ", "));
            b.resize(b.size() - 4);
          } else if (filters[f] == H5Z_FILTER_DEFLATE) {
            b = inflate_bytes(b, Compressed::Zlib,
                              fmt::format("{}: dataset '{}', chunk at [{}]", path, name, fmt::join(at, ", ")),
                              (size_t)std::min<uint64_t>(chunk_bytes + 1, SIZE_MAX));
          }
        }
        HNN_CHECK(b.size() == chunk_bytes,
                  "HDF5 file '{}': dataset '{}': the chunk at [{}] holds {} bytes once unfiltered, not {} (corrupt or "
                  "hostile)",
                  path, name, fmt::join(at, ", "), b.size(), chunk_bytes);
      }
      size_t i = rank;
      while (i-- > 0) {
        at[i] += chunk[i];
        if (at[i] < (hsize_t)dims[i]) break;
        at[i] = 0;
      }
      if (i == SIZE_MAX) break;
    }
    H5Eclear2(H5E_DEFAULT);
  }

  // hnn::Error unless the dataset d (space, file type) may hold its claimed size: see
  // kMaxExpansion. mem_elem is the bytes of one element once read (>= the stored size).
  void check_size(hid_t d, hid_t space, hid_t type, size_t mem_elem, const std::string& name) const {
    // Once a dataset: H5Dget_storage_size walks every chunk, and read_rows comes often.
    if (size_checked.count(name)) return;
    const unsigned __int128 want = logical_bytes(space, std::max(H5Tget_size(type), mem_elem));
    const uint64_t stored = H5Dget_storage_size(d);
    const unsigned __int128 allowed = (unsigned __int128)stored * kMaxExpansion + kSlackBytes;
    if (want > allowed)
      fail(
          "HDF5 file '{}': dataset '{}' claims {} bytes ([{}]) but occupies {} bytes of the file (at most {}x that "
          "plus {} bytes is read; corrupt or hostile)",
          path, name, bytes_str(want), fmt::join(dims_of(space), ", "), stored, kMaxExpansion, kSlackBytes);
    // A compact dataset's data sits in its header, allocated whole when it is written: libhdf5
    // (1.10) copies the dataspace's worth out of a buffer of the stored size, reading past it when
    // the header claims less (a heap overflow found by fuzz_h5).
    Handle dcpl(H5Dget_create_plist(d));
    const H5D_layout_t layout = dcpl.valid() ? H5Pget_layout(dcpl.get()) : H5D_LAYOUT_ERROR;
    if (layout == H5D_COMPACT) {
      const unsigned __int128 exact = logical_bytes(space, H5Tget_size(type));
      HNN_CHECK(exact <= stored,
                "HDF5 file '{}': compact dataset '{}' claims {} bytes ([{}]) but holds {} (corrupt or hostile)", path,
                name, bytes_str(exact), fmt::join(dims_of(space), ", "), stored);
    } else if (layout == H5D_CHUNKED) {
      // libhdf5 keeps about a kilobyte of bookkeeping for every chunk a read touches, and loops
      // over chunk dims of the wrong rank (a scalar with 2-D chunks took 23 GB, found by fuzz_h5):
      // the chunks must have the dataspace's rank, and the extent may span at most
      // kMaxSparseChunks chunks beyond one per stored byte (chunks never written hold no bytes).
      hsize_t chunk[H5S_MAX_RANK];
      const int rank = H5Pget_chunk(dcpl.get(), H5S_MAX_RANK, chunk);
      const std::vector<int64_t> dims = dims_of(space);
      HNN_CHECK(
          rank > 0 && rank == (int)dims.size() && std::all_of(chunk, chunk + rank, [](hsize_t c) { return c > 0; }),
          "HDF5 file '{}': dataset '{}' of rank {} has chunks of rank {} (corrupt or hostile)", path, name, dims.size(),
          rank);
      // In the file a variable-length element is its length, a heap address and an object index.
      const bool vl = H5Tis_variable_str(type) > 0 || H5Tget_class(type) == H5T_VLEN;
      unsigned __int128 spanned = 1, chunk_bytes = vl ? 8 + address_size : H5Tget_size(type);
      constexpr unsigned __int128 kOver = (unsigned __int128)1 << 64;  // saturating: no product wraps
      for (int i = 0; i < rank; ++i) {
        spanned = std::min(spanned * (((hsize_t)dims[(size_t)i] - 1) / chunk[i] + 1), kOver);
        chunk_bytes = std::min(chunk_bytes * chunk[i], kOver);
      }
      if (std::find(dims.begin(), dims.end(), 0) != dims.end()) spanned = 0;
      HNN_CHECK(spanned <= (unsigned __int128)stored + kMaxSparseChunks,
                "HDF5 file '{}': dataset '{}' ([{}]) spans {} chunks of [{}] but stores {} bytes (more than {} chunks "
                "never written; corrupt or hostile)",
                path, name, fmt::join(dims, ", "), bytes_str(spanned), fmt::join(chunk, chunk + rank, ", "), stored,
                kMaxSparseChunks);
      // A chunk is read into a buffer of the size the chunk index gives it, or that its filters
      // give back, which libhdf5 does not compare with the chunk's dims: every chunk must hold
      // exactly prod(chunk dims) elements. Unfiltered: checked as a total over the chunks (found
      // by fuzz_h5); filtered: each chunk is unfiltered once here (a deflated chunk that inflated
      // short overflowed libhdf5's buffer; found by fuzz_dasbe_split).
      if (H5Pget_nfilters(dcpl.get()) > 0)
        check_filtered_chunks(d, dcpl.get(), dims, chunk, (uint64_t)std::min(chunk_bytes, kOver), name);
      Handle all(H5Dget_space(d));
      hsize_t chunks = 0;
      if (H5Pget_nfilters(dcpl.get()) == 0 && all.valid() && H5Dget_num_chunks(d, all.get(), &chunks) >= 0)
        HNN_CHECK((unsigned __int128)chunks * chunk_bytes == stored,
                  "HDF5 file '{}': dataset '{}' stores {} bytes in {} unfiltered chunks of {} bytes (corrupt or "
                  "hostile)",
                  path, name, stored, chunks, bytes_str(chunk_bytes));
      H5Eclear2(H5E_DEFAULT);
    }
    size_checked.insert(name);
  }
  mutable std::set<std::string> size_checked;
  mutable std::map<std::string, Handle> datasets;  // open datasets, each with its chunk cache

  hid_t open(const std::string& name) const {
    auto it = datasets.find(name);
    if (it != datasets.end()) return it->second.get();
    HNN_CHECK(exists(name), "HDF5 file '{}': no dataset '{}'", path, name);
    // A chunk cache large enough for a few chunks of video, so reading rows in order
    // decompresses each chunk once.
    Handle dapl(H5Pcreate(H5P_DATASET_ACCESS));
    H5Pset_chunk_cache(dapl.get(), 12421, 32u << 20, 0.75);
    Handle d(H5Dopen2(file.get(), name.c_str(), dapl.get()));
    HNN_CHECK(d.valid(), "HDF5 file '{}': cannot open dataset '{}'{}", path, name, h5_detail());
    const hid_t id = d.get();
    datasets.emplace(name, std::move(d));
    return id;
  }

  // Whether every link of the path exists (H5Lexists needs each parent to exist).
  bool exists(const std::string& name) const {
    if (name == "/") return true;
    size_t pos = name[0] == '/' ? 1 : 0;
    while (true) {
      pos = name.find('/', pos);
      const std::string prefix = name.substr(0, pos);
      if (!prefix.empty() && prefix != "/" && H5Lexists(file.get(), prefix.c_str(), H5P_DEFAULT) <= 0) {
        H5Eclear2(H5E_DEFAULT);
        return false;
      }
      if (pos == std::string::npos) return true;
      ++pos;
    }
  }

  // What `name` is (H5I_DATASET, H5I_GROUP, ...), H5I_BADID when it does not exist.
  H5I_type_t kind(const std::string& name) const {
    if (!exists(name)) return H5I_BADID;
    Handle obj(H5Oopen(file.get(), name.c_str(), H5P_DEFAULT));
    const H5I_type_t k = obj.valid() ? H5Iget_type(obj.get()) : H5I_BADID;
    H5Eclear2(H5E_DEFAULT);
    return k;
  }

  Handle open_object(const std::string& name) const {
    HNN_CHECK(exists(name), "HDF5 file '{}': no object '{}'", path, name);
    Handle obj(H5Oopen(file.get(), name.c_str(), H5P_DEFAULT));
    HNN_CHECK(obj.valid(), "HDF5 file '{}': cannot open '{}'{}", path, name, h5_detail());
    return obj;
  }
};

H5Reader::H5Reader(const std::string& path) : impl_(std::make_unique<Impl>()) {
  HNN_H5_LOCK;
  init_hdf5();
  impl_->path = path;
  HNN_CHECK(file_exists(path), "cannot open '{}': no such file", path);
  struct stat st;
  if (stat(path.c_str(), &st) == 0) impl_->file_size = (uint64_t)st.st_size;
  const htri_t is_hdf5 = H5Fis_hdf5(path.c_str());
  if (is_hdf5 <= 0) {
    const std::string why = h5_detail();
    fail("'{}' is not an HDF5 file{}", path, why);
  }
  Handle fapl = file_access();
  impl_->file = Handle(H5Fopen(path.c_str(), H5F_ACC_RDONLY, fapl.get()));
  HNN_CHECK(impl_->file.valid(), "cannot open the HDF5 file '{}'{}", path, h5_detail());
  Handle fcpl(H5Fget_create_plist(impl_->file.get()));
  hsize_t user_block = 0;
  if (fcpl.valid() && H5Pget_userblock(fcpl.get(), &user_block) >= 0) impl_->base = user_block;
  size_t address_size = 0, length_size = 0;
  if (fcpl.valid() && H5Pget_sizes(fcpl.get(), &address_size, &length_size) >= 0 && address_size > 0 &&
      length_size > 0) {
    impl_->address_size = address_size;
    impl_->length_size = length_size;
  }
  H5Eclear2(H5E_DEFAULT);
  try {
    HNN_CHECK(impl_->address_size <= 8 && impl_->length_size <= 8,
              "HDF5 file '{}': addresses of {} bytes and lengths of {} are not supported (at most 8)", path,
              impl_->address_size, impl_->length_size);
    impl_->check_group_btrees();
  } catch (...) {
    impl_->file.reset();  // closed here, under the lock
    throw;
  }
}

H5Reader::~H5Reader() {
  HNN_H5_LOCK;
  impl_.reset();
}

bool H5Reader::has(const std::string& dataset) const {
  HNN_H5_LOCK;
  return impl_->kind(clean(dataset)) == H5I_DATASET;
}

bool H5Reader::is_group(const std::string& group) const {
  HNN_H5_LOCK;
  return impl_->kind(clean(group)) == H5I_GROUP;
}

bool H5Reader::is_string(const std::string& dataset) const {
  HNN_H5_LOCK;
  Handle type(H5Dget_type(impl_->open(clean(dataset))));
  return type.valid() && H5Tget_class(type.get()) == H5T_STRING;
}

std::vector<std::string> H5Reader::read_strings(const std::string& dataset) const {
  HNN_H5_LOCK;
  const std::string name = clean(dataset);
  const hid_t d = impl_->open(name);
  Handle space(H5Dget_space(d));
  Handle type(H5Dget_type(d));
  HNN_CHECK(space.valid() && type.valid(), "HDF5 file '{}': dataset '{}'{}", impl_->path, name, h5_detail());
  const H5T_class_t cls = H5Tget_class(type.get());
  HNN_CHECK(cls == H5T_STRING, "HDF5 file '{}': dataset '{}' holds {} values, not strings", impl_->path, name,
            class_name(cls));
  impl_->check_size(d, space.get(), type.get(), sizeof(char*), name);
  const hssize_t n = H5Sget_simple_extent_npoints(space.get());
  auto read = [d](hid_t mem, void* buf) { return H5Dread(d, mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf); };
  if (H5Tis_variable_str(type.get()) > 0) impl_->check_variable_strings(n, read, fmt::format("dataset '{}'", name));
  return read_string_values(type.get(), n, read, [&] {
    return fmt::format("HDF5 file '{}': cannot read dataset '{}'{}", impl_->path, name, h5_detail());
  });
}

std::vector<int64_t> H5Reader::shape(const std::string& dataset) const {
  HNN_H5_LOCK;
  const std::string name = clean(dataset);
  Handle space(H5Dget_space(impl_->open(name)));
  HNN_CHECK(space.valid(), "HDF5 file '{}': dataset '{}'{}", impl_->path, name, h5_detail());
  return dims_of(space.get());
}

std::vector<std::string> H5Reader::list(const std::string& group) const {
  HNN_H5_LOCK;
  const std::string name = clean(group);
  HNN_CHECK(impl_->exists(name), "HDF5 file '{}': no group '{}'", impl_->path, name);
  Handle g(H5Gopen2(impl_->file.get(), name.c_str(), H5P_DEFAULT));
  HNN_CHECK(g.valid(), "HDF5 file '{}': '{}' is not a group{}", impl_->path, name, h5_detail());
  H5G_info_t info;
  HNN_CHECK(H5Gget_info(g.get(), &info) >= 0, "HDF5 file '{}': group '{}'{}", impl_->path, name, h5_detail());
  std::vector<std::string> names;
  for (hsize_t i = 0; i < info.nlinks; ++i) {
    const ssize_t n = H5Lget_name_by_idx(g.get(), ".", H5_INDEX_NAME, H5_ITER_INC, i, nullptr, 0, H5P_DEFAULT);
    HNN_CHECK(n >= 0, "HDF5 file '{}': group '{}': link {}{}", impl_->path, name, i, h5_detail());
    std::vector<char> buf((size_t)n + 1, '\0');
    H5Lget_name_by_idx(g.get(), ".", H5_INDEX_NAME, H5_ITER_INC, i, buf.data(), buf.size(), H5P_DEFAULT);
    names.emplace_back(buf.data());
  }
  return names;
}

at::Tensor H5Reader::read(const std::string& dataset) const {
  HNN_H5_LOCK;
  const std::string name = clean(dataset);
  const hid_t d = impl_->open(name);
  Handle space(H5Dget_space(d));
  Handle type(H5Dget_type(d));
  HNN_CHECK(space.valid() && type.valid(), "HDF5 file '{}': dataset '{}'{}", impl_->path, name, h5_detail());
  const at::ScalarType dtype = dtype_of(type.get(), impl_->path, name);
  if (H5Sget_simple_extent_type(space.get()) == H5S_NULL) return at::empty({0}, at::TensorOptions().dtype(dtype));
  impl_->check_size(d, space.get(), type.get(), c10::elementSize(dtype), name);
  at::Tensor t = at::empty(dims_of(space.get()), at::TensorOptions().dtype(dtype));
  if (t.numel() == 0) return t;
  HNN_CHECK(H5Dread(d, types_of(dtype, impl_->path, name).memory, H5S_ALL, H5S_ALL, H5P_DEFAULT, t.data_ptr()) >= 0,
            "HDF5 file '{}': cannot read dataset '{}'{}", impl_->path, name, h5_detail());
  return t;
}

at::Tensor H5Reader::read_rows(const std::string& dataset, int64_t first, int64_t count) const {
  HNN_H5_LOCK;
  const std::string name = clean(dataset);
  const hid_t d = impl_->open(name);
  Handle fspace(H5Dget_space(d));
  Handle type(H5Dget_type(d));
  HNN_CHECK(fspace.valid() && type.valid(), "HDF5 file '{}': dataset '{}'{}", impl_->path, name, h5_detail());
  const at::ScalarType dtype = dtype_of(type.get(), impl_->path, name);
  std::vector<int64_t> dims = dims_of(fspace.get());
  HNN_CHECK(!dims.empty(), "HDF5 file '{}': dataset '{}' is a scalar (no rows)", impl_->path, name);
  impl_->check_size(d, fspace.get(), type.get(), c10::elementSize(dtype), name);
  HNN_CHECK(first >= 0 && count >= 0 && first + count <= dims[0],
            "HDF5 file '{}': rows [{}, {}) of dataset '{}', which has {} rows", impl_->path, first, first + count, name,
            dims[0]);
  dims[0] = count;
  at::Tensor t = at::empty(dims, at::TensorOptions().dtype(dtype));
  if (t.numel() == 0) return t;
  const int rank = (int)dims.size();
  std::vector<hsize_t> start(rank, 0), cnt(dims.begin(), dims.end());
  start[0] = (hsize_t)first;
  bool ok = H5Sselect_hyperslab(fspace.get(), H5S_SELECT_SET, start.data(), nullptr, cnt.data(), nullptr) >= 0;
  Handle mspace(ok ? H5Screate_simple(rank, cnt.data(), nullptr) : -1);
  ok =
      ok && mspace.valid() &&
      H5Dread(d, types_of(dtype, impl_->path, name).memory, mspace.get(), fspace.get(), H5P_DEFAULT, t.data_ptr()) >= 0;
  HNN_CHECK(ok, "HDF5 file '{}': cannot read rows [{}, {}) of dataset '{}'{}", impl_->path, first, first + count, name,
            h5_detail());
  return t;
}

std::string H5Reader::attribute(const std::string& object, const std::string& name) const {
  HNN_H5_LOCK;
  const std::string obj_name = clean(object);
  Handle obj = impl_->open_object(obj_name);
  impl_->check_attribute_messages(obj.get(), obj_name);
  if (H5Aexists(obj.get(), name.c_str()) <= 0) {
    H5Eclear2(H5E_DEFAULT);
    return "";
  }
  Handle attr(H5Aopen(obj.get(), name.c_str(), H5P_DEFAULT));
  Handle type(attr.valid() ? H5Aget_type(attr.get()) : -1);
  Handle space(attr.valid() ? H5Aget_space(attr.get()) : -1);
  HNN_CHECK(type.valid() && space.valid(), "HDF5 file '{}': attribute '{}' of '{}'{}", impl_->path, name, obj_name,
            h5_detail());
  const hssize_t n = H5Sget_simple_extent_npoints(space.get());
  const H5T_class_t cls = H5Tget_class(type.get());
  auto bad = [&] {
    return fmt::format("HDF5 file '{}': cannot read the attribute '{}' of '{}'{}", impl_->path, name, obj_name,
                       h5_detail());
  };
  if (n <= 0) return "";
  // Attribute values are stored uncompressed: never more than the file.
  const unsigned __int128 want = logical_bytes(space.get(), std::max<size_t>(H5Tget_size(type.get()), 8));
  if (want > (unsigned __int128)impl_->file_size + kSlackBytes)
    fail("HDF5 file '{}': the attribute '{}' of '{}' claims {} bytes, more than the file's {} (corrupt or hostile)",
         impl_->path, name, obj_name, bytes_str(want), impl_->file_size);
  std::vector<std::string> parts;
  if (cls == H5T_STRING) {
    auto read = [&](hid_t mem, void* buf) { return H5Aread(attr.get(), mem, buf); };
    if (H5Tis_variable_str(type.get()) > 0)
      impl_->check_variable_strings(n, read, fmt::format("the attribute '{}' of '{}'", name, obj_name));
    parts = read_string_values(type.get(), n, read, bad);
  } else if (cls == H5T_INTEGER) {
    std::vector<long long> v((size_t)n);
    if (H5Aread(attr.get(), H5T_NATIVE_LLONG, v.data()) < 0) throw Error(bad());
    for (long long x : v) parts.push_back(std::to_string(x));
  } else if (cls == H5T_FLOAT) {
    std::vector<double> v((size_t)n);
    if (H5Aread(attr.get(), H5T_NATIVE_DOUBLE, v.data()) < 0) throw Error(bad());
    for (double x : v) parts.push_back(fmt::format("{}", x));
  } else {
    fail("HDF5 file '{}': the attribute '{}' of '{}' is of an unsupported type ({})", impl_->path, name, obj_name,
         class_name(cls));
  }
  return fmt::format("{}", fmt::join(parts, " "));
}

}  // namespace hnn::io
