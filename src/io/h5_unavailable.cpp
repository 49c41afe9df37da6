// hnn::io::H5Writer and H5Reader for builds without HDF5 (HNN_WITH_HDF5=OFF or libhdf5 not
// found): the constructors throw a clear error, so no other member is ever reached.
#include "hnn/core/error.h"
#include "hnn/io/h5.h"

namespace hnn::io {

namespace {

[[noreturn]] void unavailable(const std::string& path) {
  fail("cannot use the HDF5 file '{}': hnn was built without HDF5 (install libhdf5-dev and reconfigure)", path);
}

}  // namespace

struct H5Writer::Impl {};
struct H5Reader::Impl {};

H5Writer::H5Writer(const std::string& path) {
  unavailable(path);
}
H5Writer::~H5Writer() = default;
void H5Writer::write(const std::string&, const at::Tensor&, int64_t, int) {
  unavailable("");
}
void H5Writer::create_extendable(const std::string&, at::ScalarType, at::IntArrayRef, int64_t, int) {
  unavailable("");
}
void H5Writer::append(const std::string&, const at::Tensor&) {
  unavailable("");
}
void H5Writer::set_attribute(const std::string&, const std::string&, const std::string&) {
  unavailable("");
}
void H5Writer::write_strings(const std::string&, const std::vector<std::string>&, const std::vector<int64_t>&) {
  unavailable("");
}
void H5Writer::commit() {
  unavailable("");
}

H5Reader::H5Reader(const std::string& path) {
  unavailable(path);
}
H5Reader::~H5Reader() = default;
bool H5Reader::has(const std::string&) const {
  unavailable("");
}
bool H5Reader::is_group(const std::string&) const {
  unavailable("");
}
bool H5Reader::is_string(const std::string&) const {
  unavailable("");
}
std::vector<std::string> H5Reader::read_strings(const std::string&) const {
  unavailable("");
}
std::vector<int64_t> H5Reader::shape(const std::string&) const {
  unavailable("");
}
std::vector<std::string> H5Reader::list(const std::string&) const {
  unavailable("");
}
at::Tensor H5Reader::read(const std::string&) const {
  unavailable("");
}
at::Tensor H5Reader::read_rows(const std::string&, int64_t, int64_t) const {
  unavailable("");
}
std::string H5Reader::attribute(const std::string&, const std::string&) const {
  unavailable("");
}

}  // namespace hnn::io
