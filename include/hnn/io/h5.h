// HDF5 files of named tensors (DASBE datasets, NIR graphs): a writer that creates a new file
// atomically (datasets of uint8, int8, int16, int32, int64, float32 or float64 of any shape, whole
// or appended by rows along dim 0) and a reader that returns a dataset, or rows of it, as a CPU
// tensor of the matching dtype. Needs the HDF5 component; without it every call throws hnn::Error.
//
// Dataset and group names are HDF5 paths ("train/default"; a leading "/" is optional). HDF5 (serial
// build) is not thread-safe: use one file object from one thread at a time.
#pragma once
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace hnn::io {

// Writes named tensors into a new HDF5 file, atomically: to "<path>.tmp-<pid>", renamed to path on
// commit(); the temporary file is removed on error or if commit() is never called.
class H5Writer {
 public:
  explicit H5Writer(const std::string& path);
  ~H5Writer();
  H5Writer(const H5Writer&) = delete;
  H5Writer& operator=(const H5Writer&) = delete;

  // Creates the dataset "group/name" (groups created as needed) of the tensor's dtype and shape;
  // gzip level 0..9 (0 = none), chunks of chunk_rows along dim 0 (clamped to [1, rows]).
  void write(const std::string& dataset, const at::Tensor& t, int64_t chunk_rows = 100, int gzip = 4);
  // A dataset whose first dimension grows: created empty with the shape of one row, then append()
  // adds rows [n, ...row_shape], so large sets are written in slices.
  void create_extendable(const std::string& dataset, at::ScalarType dtype, at::IntArrayRef row_shape,
                         int64_t chunk_rows = 100, int gzip = 4);
  void append(const std::string& dataset, const at::Tensor& rows);
  // A string attribute on a group or dataset ("/" = the root group); replaces an existing one.
  void set_attribute(const std::string& object, const std::string& name, const std::string& value);
  // A dataset of variable-length UTF-8 strings (what h5py writes for Python str): a scalar when
  // shape is empty, else an array of that shape holding values in row-major order.
  void write_strings(const std::string& dataset, const std::vector<std::string>& values,
                     const std::vector<int64_t>& shape = {});
  // Closes the file and renames it to its final path; the writer cannot be used afterwards.
  void commit();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Reads an HDF5 file (ours or written by others, e.g. h5py).
class H5Reader {
 public:
  // hnn::Error naming the path when it is missing or not an HDF5 file.
  explicit H5Reader(const std::string& path);
  ~H5Reader();
  H5Reader(const H5Reader&) = delete;
  H5Reader& operator=(const H5Reader&) = delete;

  // True when `dataset` exists and is a dataset (not a group).
  bool has(const std::string& dataset) const;
  // True when `group` exists and is a group.
  bool is_group(const std::string& group) const;
  // True when the dataset holds strings (fixed or variable length).
  bool is_string(const std::string& dataset) const;
  std::vector<int64_t> shape(const std::string& dataset) const;
  // Names of the children (groups and datasets) of a group, in name order.
  std::vector<std::string> list(const std::string& group = "/") const;
  // The whole dataset in its own dtype: integers as uint8, int8, int16, int32 or int64 (uint16 as
  // int32, uint32 as int64), floats as float32 (16 or 32 bits) or float64, of any byte order.
  at::Tensor read(const std::string& dataset) const;
  // Rows [first, first + count) of dim 0; hnn::Error when out of range.
  at::Tensor read_rows(const std::string& dataset, int64_t first, int64_t count) const;
  // A string (or numeric scalar, formatted) attribute of a group or dataset; "" when the object
  // has no such attribute.
  std::string attribute(const std::string& object, const std::string& name) const;
  // A string dataset (fixed or variable length, scalar or any shape) in row-major order; its
  // shape is shape(dataset). hnn::Error when the dataset does not hold strings.
  std::vector<std::string> read_strings(const std::string& dataset) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace hnn::io
