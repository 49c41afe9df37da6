#include "hnn/io/h5.h"

#include <gtest/gtest.h>
#include <hdf5.h>
#include <torch/torch.h>
#include <unistd.h>
#include <zlib.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <sstream>
#include <thread>

#include "hnn/core/bytes.h"
#include "hnn/core/error.h"
#include "hnn/core/fs.h"
#include "test_util.h"

namespace {

using hnn::io::H5Reader;
using hnn::io::H5Writer;

std::string temp_path(const std::string& name) {
  return ::testing::TempDir() + "hnn_h5_" + std::to_string(getpid()) + "_" + name;
}

// Creates a dataset of file type `type` in the open file f (dcpl: its creation list) and returns
// it open (a negative id on failure).
hid_t create_dataset(hid_t f, const char* name, hid_t type, const std::vector<hsize_t>& dims, hid_t dcpl) {
  hid_t space = H5Screate_simple((int)dims.size(), dims.data(), nullptr);
  hid_t d = H5Dcreate2(f, name, type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
  H5Sclose(space);
  return d;
}

// A dataset creation list for chunks of these dims, deflated at `level` (0: not filtered).
hid_t chunked(const std::vector<hsize_t>& chunk, unsigned level = 0) {
  hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
  H5Pset_chunk(dcpl, (int)chunk.size(), chunk.data());
  if (level > 0) H5Pset_deflate(dcpl, level);
  return dcpl;
}

bool have_tool(const std::string& tool) {
  return std::system(("command -v " + tool + " >/dev/null 2>&1").c_str()) == 0;
}

at::Tensor sample(at::ScalarType dtype, at::IntArrayRef shape) {
  if (dtype == at::kFloat || dtype == at::kDouble) return torch::randn(shape, torch::dtype(dtype));
  const int64_t lo = dtype == at::kByte ? 0 : -100;
  return torch::randint(lo, 100, shape, torch::dtype(dtype));
}

TEST(H5, RoundTripEveryDtype) {
  const std::string path = temp_path("dtypes.h5");
  const std::vector<at::ScalarType> dtypes{at::kByte, at::kChar,  at::kShort, at::kInt,
                                           at::kLong, at::kFloat, at::kDouble};
  std::vector<at::Tensor> tensors;
  {
    H5Writer w(path);
    for (size_t i = 0; i < dtypes.size(); ++i) {
      tensors.push_back(sample(dtypes[i], {7, 3, 5}));
      w.write("types/t" + std::to_string(i), tensors.back(), 2, (int)i % 10);
    }
    w.write("scalar", torch::tensor(3.5, torch::kDouble));
    w.write("empty", torch::zeros({0, 4}, torch::kFloat));
    w.write("/flat", torch::arange(10, torch::kLong), 100, 0);
    // Non-contiguous input is written in its logical order.
    w.write("transposed", torch::arange(12, torch::kFloat).view({3, 4}).t());
    w.commit();
  }
  H5Reader r(path);
  for (size_t i = 0; i < dtypes.size(); ++i) {
    at::Tensor back = r.read("types/t" + std::to_string(i));
    EXPECT_EQ(back.scalar_type(), dtypes[i]);
    EXPECT_TRUE(back.equal(tensors[i])) << c10::toString(dtypes[i]);
  }
  EXPECT_EQ(r.read("scalar").dim(), 0);
  EXPECT_DOUBLE_EQ(r.read("scalar").item<double>(), 3.5);
  EXPECT_EQ(r.read("empty").sizes(), (std::vector<int64_t>{0, 4}));
  EXPECT_TRUE(r.read("flat").equal(torch::arange(10, torch::kLong)));
  EXPECT_TRUE(r.read("/transposed").equal(torch::arange(12, torch::kFloat).view({3, 4}).t().contiguous()));
  std::remove(path.c_str());
}

TEST(H5, UnsupportedDtypeIsAnError) {
  const std::string path = temp_path("bool.h5");
  H5Writer w(path);
  EXPECT_THROW(w.write("b", torch::ones({3}, torch::kBool)), hnn::Error);
  EXPECT_THROW(w.write("g", torch::ones({3}), 1, 11), hnn::Error);
}

TEST(H5, ExtendableAppendInSlices) {
  const std::string path = temp_path("ext.h5");
  const at::Tensor all = torch::randint(0, 255, {14, 4, 5}, torch::kByte);
  {
    H5Writer w(path);
    w.create_extendable("split/default", at::kByte, {4, 5}, 3, 4);
    w.append("split/default", all.slice(0, 0, 5));
    w.append("split/default", all.slice(0, 5, 5));  // empty slice
    w.append("split/default", all.slice(0, 5, 12));
    w.append("split/default", all.slice(0, 12, 14));
    EXPECT_THROW(w.append("split/default", torch::zeros({2, 4, 6}, torch::kByte)), hnn::Error);
    EXPECT_THROW(w.append("split/default", torch::zeros({2, 4, 5}, torch::kFloat)), hnn::Error);
    EXPECT_THROW(w.append("split/other", all), hnn::Error);
    w.create_extendable("split/never", at::kDouble, {2});
    w.commit();
  }
  H5Reader r(path);
  EXPECT_EQ(r.shape("split/default"), (std::vector<int64_t>{14, 4, 5}));
  EXPECT_TRUE(r.read("split/default").equal(all));
  EXPECT_EQ(r.shape("split/never"), (std::vector<int64_t>{0, 2}));
  EXPECT_EQ(r.read("split/never").scalar_type(), at::kDouble);
  std::remove(path.c_str());
}

TEST(H5, ReadRows) {
  const std::string path = temp_path("rows.h5");
  const at::Tensor x = torch::randn({20, 3, 2});
  {
    H5Writer w(path);
    w.write("x", x, 6);
    w.commit();
  }
  H5Reader r(path);
  EXPECT_TRUE(r.read_rows("x", 3, 4).equal(x.slice(0, 3, 7)));
  EXPECT_TRUE(r.read_rows("x", 0, 20).equal(x));
  EXPECT_TRUE(r.read_rows("x", 19, 1).equal(x.slice(0, 19, 20)));
  EXPECT_EQ(r.read_rows("x", 20, 0).size(0), 0);
  EXPECT_THROW(r.read_rows("x", 18, 3), hnn::Error);
  EXPECT_THROW(r.read_rows("x", -1, 2), hnn::Error);
  EXPECT_THROW(r.read_rows("y", 0, 1), hnn::Error);
  std::remove(path.c_str());
}

TEST(H5, Attributes) {
  const std::string path = temp_path("attrs.h5");
  {
    H5Writer w(path);
    w.write("g/d", torch::zeros({2}));
    w.set_attribute("/", "name", "bars");
    w.set_attribute("/", "seed", "1");
    w.set_attribute("/", "seed", "471958");  // replaced
    w.set_attribute("g", "empty", "");
    w.set_attribute("g/d", "unit", "pixels, µm");
    EXPECT_THROW(w.set_attribute("nope", "x", "y"), hnn::Error);
    w.commit();
  }
  H5Reader r(path);
  EXPECT_EQ(r.attribute("/", "name"), "bars");
  EXPECT_EQ(r.attribute("/", "seed"), "471958");
  EXPECT_EQ(r.attribute("g", "empty"), "");
  EXPECT_EQ(r.attribute("/g/d", "unit"), "pixels, µm");
  EXPECT_EQ(r.attribute("/", "absent"), "");
  EXPECT_THROW(r.attribute("nope", "x"), hnn::Error);
  std::remove(path.c_str());
}

TEST(H5, ListHasShape) {
  const std::string path = temp_path("list.h5");
  {
    H5Writer w(path);
    w.write("train/default", torch::zeros({5, 2, 2}, torch::kByte));
    w.write("train/groups", torch::zeros({5, 2, 2}, torch::kByte));
    w.write("test/default", torch::zeros({3, 2, 2}, torch::kByte));
    w.write("top", torch::zeros({1}));
    EXPECT_THROW(w.write("top", torch::zeros({1})), hnn::Error);  // exists
    w.commit();
  }
  H5Reader r(path);
  EXPECT_EQ(r.list(), (std::vector<std::string>{"test", "top", "train"}));
  EXPECT_EQ(r.list("train"), (std::vector<std::string>{"default", "groups"}));
  EXPECT_EQ(r.list("/test/"), (std::vector<std::string>{"default"}));
  EXPECT_TRUE(r.has("train/default"));
  EXPECT_TRUE(r.has("/top"));
  EXPECT_FALSE(r.has("train"));  // a group
  EXPECT_FALSE(r.has("train/missing"));
  EXPECT_FALSE(r.has("missing/default"));
  EXPECT_FALSE(r.has("top/x"));
  EXPECT_EQ(r.shape("test/default"), (std::vector<int64_t>{3, 2, 2}));
  EXPECT_THROW(r.list("missing"), hnn::Error);
  EXPECT_THROW(r.list("top"), hnn::Error);
  EXPECT_THROW(r.shape("train"), hnn::Error);
  try {
    r.read("train/nothing");
    FAIL() << "no error";
  } catch (const hnn::Error& e) {
    EXPECT_NE(std::string(e.what()).find("train/nothing"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
  }
  std::remove(path.c_str());
}

TEST(H5, UncommittedWriterLeavesNoFile) {
  const std::string path = temp_path("uncommitted.h5");
  const std::string tmp = path + ".tmp-" + std::to_string(getpid());
  {
    H5Writer w(path);
    w.write("x", torch::zeros({3}));
    EXPECT_TRUE(hnn::file_exists(tmp));
    EXPECT_FALSE(hnn::file_exists(path));
  }
  EXPECT_FALSE(hnn::file_exists(tmp));
  EXPECT_FALSE(hnn::file_exists(path));
  // An error half-way: the exception leaves the scope, the writer removes its file.
  EXPECT_THROW(
      {
        H5Writer w(path);
        w.write("x", torch::zeros({3}));
        w.write("x/y", torch::zeros({3}));  // "x" is a dataset
        w.commit();
      },
      hnn::Error);
  EXPECT_FALSE(hnn::file_exists(tmp));
  EXPECT_FALSE(hnn::file_exists(path));
  EXPECT_THROW(H5Writer("/nonexistent-folder/x.h5"), hnn::Error);
  // After commit the writer is closed.
  H5Writer w(path);
  w.commit();
  EXPECT_THROW(w.write("x", torch::zeros({1})), hnn::Error);
  EXPECT_TRUE(hnn::file_exists(path));
  std::remove(path.c_str());
}

std::string file_bytes(const std::string& path) {
  return hnn::read_file(path);
}

void put_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), (std::streamsize)bytes.size());
}

// Opens and reads every dataset; true when all went through, false on hnn::Error (any other
// exception or a crash fails the test).
bool read_everything(const std::string& path) {
  try {
    H5Reader r(path);
    for (const auto& g : r.list()) {
      for (const auto& d : r.list(g)) r.read(g + "/" + d);
    }
    return true;
  } catch (const hnn::Error&) {
    return false;
  }
}

TEST(H5, CorruptFilesGiveErrors) {
  const std::string good = temp_path("good.h5");
  {
    H5Writer w(good);
    w.write("g/a", torch::randn({300, 8}), 50, 4);
    w.write("g/b", torch::randint(0, 255, {300, 8}, torch::kByte), 50, 0);
    w.commit();
  }
  ASSERT_TRUE(read_everything(good));
  const std::string bytes = file_bytes(good);
  const std::string bad = temp_path("bad.h5");

  EXPECT_THROW(H5Reader(temp_path("missing.h5")), hnn::Error);
  put_bytes(bad, "");
  EXPECT_THROW(H5Reader r(bad), hnn::Error);
  put_bytes(bad, "this is plain text, not an HDF5 file\n");
  try {
    H5Reader r(bad);
    FAIL() << "no error";
  } catch (const hnn::Error& e) {
    EXPECT_NE(std::string(e.what()).find(bad), std::string::npos) << e.what();
  }
  // Truncated: the superblock's end-of-file address is past the end.
  for (size_t keep : {size_t(8), size_t(100), bytes.size() / 2, bytes.size() - 10}) {
    put_bytes(bad, bytes.substr(0, keep));
    EXPECT_FALSE(read_everything(bad)) << "truncated to " << keep;
  }
  // Flipped bytes in the data region: an error or (for raw data) other values, never a crash.
  for (size_t at = bytes.size() / 2; at < bytes.size(); at += bytes.size() / 17) {
    std::string flipped = bytes;
    for (size_t k = at; k < std::min(flipped.size(), at + 16); ++k) flipped[k] = (char)~flipped[k];
    put_bytes(bad, flipped);
    read_everything(bad);
  }
  std::remove(bad.c_str());
  std::remove(good.c_str());
}

// Files written by other tools (h5py, the reference): big-endian doubles, contiguous and compact
// float32, float16, variable-length string and numeric attributes, and types we do not read.
TEST(H5, ReadsForeignLayoutsAndTypes) {
  const std::string path = temp_path("foreign.h5");
  {
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    hid_t f = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    ASSERT_GE(f, 0);
    auto put = [&](const char* name, hid_t ftype, hid_t mtype, std::vector<hsize_t> dims, const void* data,
                   hid_t dcpl) {
      hid_t d = create_dataset(f, name, ftype, dims, dcpl);
      ASSERT_GE(d, 0) << name;
      ASSERT_GE(H5Dwrite(d, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, data), 0) << name;
      H5Dclose(d);
    };
    std::vector<double> dv(12);
    std::vector<float> fv(12);
    std::vector<int32_t> iv(12);
    for (int i = 0; i < 12; ++i) {
      dv[i] = i * 0.25 - 1;
      fv[i] = (float)(i * 0.5);
      iv[i] = i;
    }
    put("be_double", H5T_IEEE_F64BE, H5T_NATIVE_DOUBLE, {3, 4}, dv.data(), H5P_DEFAULT);
    put("contiguous_float", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, {4, 3}, fv.data(), H5P_DEFAULT);
    hid_t compact = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_layout(compact, H5D_COMPACT);
    put("compact_float", H5T_IEEE_F32BE, H5T_NATIVE_FLOAT, {12}, fv.data(), compact);
    H5Pclose(compact);
    hid_t half = H5Tcopy(H5T_IEEE_F32LE);  // IEEE binary16, as numpy float16
    H5Tset_fields(half, 15, 10, 5, 0, 10);
    H5Tset_size(half, 2);
    H5Tset_ebias(half, 15);
    put("half", half, H5T_NATIVE_FLOAT, {12}, fv.data(), H5P_DEFAULT);
    H5Tclose(half);
    put("uint16", H5T_STD_U16BE, H5T_NATIVE_INT32, {12}, iv.data(), H5P_DEFAULT);
    hid_t str = H5Tcopy(H5T_C_S1);
    H5Tset_size(str, 4);
    std::string sv(48, 'a');
    put("strings", str, str, {12}, sv.data(), H5P_DEFAULT);
    H5Tclose(str);
    // A variable-length UTF-8 string attribute (h5py's default) and a numeric one.
    hid_t vstr = H5Tcopy(H5T_C_S1);
    H5Tset_size(vstr, H5T_VARIABLE);
    H5Tset_cset(vstr, H5T_CSET_UTF8);
    hid_t scalar = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(f, "vname", vstr, scalar, H5P_DEFAULT, H5P_DEFAULT);
    const char* value = "shapes";
    H5Awrite(a, vstr, &value);
    H5Aclose(a);
    a = H5Acreate2(f, "count", H5T_STD_I64LE, scalar, H5P_DEFAULT, H5P_DEFAULT);
    int64_t count = 60000;
    H5Awrite(a, H5T_NATIVE_INT64, &count);
    H5Aclose(a);
    H5Sclose(scalar);
    H5Tclose(vstr);
    H5Fclose(f);
  }
  H5Reader r(path);
  at::Tensor d = r.read("be_double");
  EXPECT_EQ(d.scalar_type(), at::kDouble);
  EXPECT_TRUE(d.equal(torch::arange(12, torch::kDouble).mul(0.25).sub(1).view({3, 4})));
  EXPECT_TRUE(r.read("contiguous_float").equal(torch::arange(12, torch::kFloat).mul(0.5).view({4, 3})));
  EXPECT_TRUE(r.read("compact_float").equal(torch::arange(12, torch::kFloat).mul(0.5)));
  EXPECT_TRUE(r.read_rows("be_double", 1, 1).equal(d.slice(0, 1, 2)));
  at::Tensor h = r.read("half");
  EXPECT_EQ(h.scalar_type(), at::kFloat);
  EXPECT_TRUE(h.equal(torch::arange(12, torch::kFloat).mul(0.5)));
  at::Tensor u = r.read("uint16");
  EXPECT_EQ(u.scalar_type(), at::kInt);
  EXPECT_TRUE(u.equal(torch::arange(12, torch::kInt)));
  try {
    r.read("strings");
    FAIL() << "no error";
  } catch (const hnn::Error& e) {
    EXPECT_NE(std::string(e.what()).find("strings"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("string"), std::string::npos) << e.what();
  }
  EXPECT_EQ(r.attribute("/", "vname"), "shapes");
  EXPECT_EQ(r.attribute("/", "count"), "60000");
  std::remove(path.c_str());
}

// The serial library is not thread-safe; our calls are serialised, so threads may share files.
TEST(H5, ReadersInThreads) {
  const std::string path = temp_path("threads.h5");
  const at::Tensor x = torch::randn({64, 16});
  {
    H5Writer w(path);
    w.write("x", x, 8);
    w.commit();
  }
  std::vector<std::thread> threads;
  std::vector<int> ok(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      H5Reader r(path);
      bool good = true;
      for (int64_t i = 0; i < 64; ++i) good = good && r.read_rows("x", i, 1).equal(x.slice(0, i, i + 1));
      // A writer per thread too.
      H5Writer w(path + "." + std::to_string(t));
      w.write("y", x.slice(0, t, t + 4));
      w.commit();
      ok[(size_t)t] = good;
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < 4; ++t) {
    EXPECT_TRUE(ok[(size_t)t]) << "thread " << t;
    const std::string out = path + "." + std::to_string(t);
    EXPECT_TRUE(H5Reader(out).read("y").equal(x.slice(0, t, t + 4)));
    std::remove(out.c_str());
  }
  std::remove(path.c_str());
}

TEST(H5, H5dumpReadsOurFiles) {
  if (!have_tool("h5dump")) GTEST_SKIP() << "h5dump not installed (package hdf5-tools)";
  const std::string path = temp_path("dump.h5");
  const std::string out = temp_path("dump.txt");
  {
    H5Writer w(path);
    w.write("train_multi/default", torch::ones({250, 20, 20}, torch::kByte));
    w.create_extendable("train_single/default", at::kFloat, {20, 20});
    w.append("train_single/default", torch::ones({30, 20, 20}));
    w.set_attribute("/", "dataset", "bars");
    w.commit();
  }
  ASSERT_EQ(std::system(("h5dump -H '" + path + "' > '" + out + "' 2>&1").c_str()), 0);
  const std::string text = hnn::read_file(out);
  EXPECT_NE(text.find("DATASET \"default\""), std::string::npos) << text;
  EXPECT_NE(text.find("( 250, 20, 20 )"), std::string::npos) << text;
  EXPECT_NE(text.find("( 30, 20, 20 ) / ( H5S_UNLIMITED, 20, 20 )"), std::string::npos) << text;
  EXPECT_NE(text.find("H5T_STD_U8LE"), std::string::npos) << text;
  EXPECT_NE(text.find("ATTRIBUTE \"dataset\""), std::string::npos) << text;
  std::remove(out.c_str());
  std::remove(path.c_str());
}

}  // namespace

// Hostile input: a dataset's dims are a claim of the file's. A chunked dataset of 2^20 x 2^20
// doubles (8 TiB) whose chunks were never written takes a few KiB of file: reading it is refused
// before anything is allocated.
TEST(H5, HugeSizeInHeaderIsRefused) {
  const std::string path = ::testing::TempDir() + "hnn_h5_" + std::to_string(getpid()) + "_huge.h5";
  {
    hid_t f = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    ASSERT_GE(f, 0);
    const hsize_t dims[2] = {hsize_t{1} << 20, hsize_t{1} << 20}, chunk[2] = {1, 1024};
    hid_t s = H5Screate_simple(2, dims, nullptr);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_chunk(dcpl, 2, chunk);
    hid_t d = H5Dcreate2(f, "huge", H5T_IEEE_F64LE, s, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    ASSERT_GE(d, 0);
    hid_t sd = H5Dcreate2(f, "strings", H5T_C_S1, s, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    ASSERT_GE(sd, 0);
    // An attribute is stored whole, so its size is honest; a small one reads.
    const hsize_t one = 1;
    hid_t as = H5Screate_simple(1, &one, nullptr);
    hid_t a = H5Acreate2(d, "n", H5T_STD_I64LE, as, H5P_DEFAULT, H5P_DEFAULT);
    const long long v = 7;
    H5Awrite(a, H5T_NATIVE_LLONG, &v);
    for (hid_t id : {a, as, sd, d, dcpl, s}) H5Idec_ref(id);
    H5Fclose(f);
  }
  H5Reader r(path);
  EXPECT_EQ(r.shape("huge"), (std::vector<int64_t>{1 << 20, 1 << 20}));  // the claim itself is fine
  EXPECT_EQ(r.attribute("huge", "n"), "7");
  for (const auto& read : std::vector<std::function<void()>>{
           [&] { r.read("huge"); }, [&] { r.read_rows("huge", 0, 1); }, [&] { r.read_strings("strings"); }}) {
    try {
      read();
      ADD_FAILURE() << "no error";
    } catch (const hnn::Error& e) {
      const std::string m = e.what();
      EXPECT_NE(m.find(path), std::string::npos) << m;
      EXPECT_NE(m.find("claims"), std::string::npos) << m;
    }
  }
  std::remove(path.c_str());
}

// Hostile input: a global heap collection (where variable-length strings live) whose free-space
// object has size 0 makes libhdf5 loop forever (found by fuzz_nir); the reader refuses it before
// the first variable-length read.
TEST(H5, GlobalHeapThatHangsLibhdf5IsRefused) {
  const std::string path = temp_path("heap.h5"), bad = temp_path("heap_bad.h5");
  {
    H5Writer w(path);
    w.write_strings("names", {"alpha", "beta", "gamma"}, {3});
    w.commit();
  }
  {
    H5Reader r(path);
    EXPECT_EQ(r.read_strings("names"), (std::vector<std::string>{"alpha", "beta", "gamma"}));
  }
  std::string bytes = hnn::read_file(path);
  const size_t gcol = bytes.find("GCOL");
  ASSERT_NE(gcol, std::string::npos);
  // Walk the collection's objects to the free-space one (index 0) and set its size to 0.
  size_t p = gcol + 16;
  auto u = [&](size_t at, int n) { return hnn::read_le(bytes, at, n); };
  while (u(p, 2) != 0) p += 16 + ((u(p + 8, 8) + 7) & ~uint64_t{7});
  for (int i = 0; i < 8; ++i) bytes[p + 8 + (size_t)i] = 0;
  hnn::write_file_atomically(bad, bytes);
  H5Reader r(bad);
  expect_error([&] { r.read_strings("names"); }, "heap_bad.h5", {"corrupt global heap"});
  std::remove(path.c_str());
  std::remove(bad.c_str());
}

// Hostile input: libhdf5 follows a group B-tree's child address unchecked; the undefined address
// (all ones) made it read through a null pointer on listing the group (SIGSEGV, found by fuzz_h5).
// The reader checks every group node's children when it opens the file.
TEST(H5, GroupBTreeChildAtTheUndefinedAddressIsRefused) {
  const std::string path = temp_path("btree.h5"), bad = temp_path("btree_bad.h5");
  {
    H5Writer w(path);
    w.write("group/a", torch::zeros({2}));
    w.write("group/b", torch::ones({3}));
    w.commit();
  }
  {
    H5Reader r(path);
    EXPECT_EQ(r.list("group"), (std::vector<std::string>{"a", "b"}));
  }
  std::string bytes = hnn::read_file(path);
  // The first group node (type 0) with a child: the child follows the header (8 bytes and two
  // 8-byte sibling addresses) and key 0 (8 bytes).
  size_t node = bytes.find("TREE");
  while (node != std::string::npos && (bytes[node + 4] != 0 || hnn::read_le(bytes, node + 6, 2) == 0))
    node = bytes.find("TREE", node + 1);
  ASSERT_NE(node, std::string::npos);
  for (size_t i = 0; i < 8; ++i) bytes[node + 24 + 8 + i] = char(0xff);
  hnn::write_file_atomically(bad, bytes);
  expect_error([&] { H5Reader r(bad); }, "btree_bad.h5", {"group B-tree node", "the undefined address"});
  // A garbage right sibling does not hide the node: libhdf5 follows its children all the same.
  for (size_t i = 0; i < 8; ++i) bytes[node + 16 + i] = char(i == 0 ? 0x5b : 0xff);
  hnn::write_file_atomically(bad, bytes);
  expect_error([&] { H5Reader r(bad); }, "btree_bad.h5", {"group B-tree node", "the undefined address"});
  // Any other address outside the file gets libhdf5's own error, through the reader's.
  for (size_t i = 0; i < 8; ++i) bytes[node + 24 + 8 + i] = char(i == 7 ? 0x7f : 0xff);
  hnn::write_file_atomically(bad, bytes);
  EXPECT_THROW(H5Reader(bad).list("group"), hnn::Error);
  // Raw data that spells "TREE" is not taken for a node.
  {
    H5Writer w(path);
    w.write("text",
            torch::tensor({'T', 'R', 'E', 'E', 0, 0, 1, 0, 'x', 'y', 'z', 'w', 'a', 'b', 'c', 'd'}, torch::kByte));
    w.commit();
  }
  EXPECT_EQ(H5Reader(path).read("text").size(0), 16);
  std::remove(path.c_str());
  std::remove(bad.c_str());
}

// libhdf5 decodes every attribute message of an object (in H5Aexists) without checking its parts
// against the message: a value larger than what is left of it was copied from past the header's
// buffer (found by fuzz_h5). The reader checks the object's attribute messages first.
TEST(H5, AttributeMessagesMustHoldTheirParts) {
  const std::string path = temp_path("attrs.h5"), bad = temp_path("attrs_bad.h5");
  {
    H5Writer w(path);
    w.write("x", torch::zeros({2}));
    w.set_attribute("/", "dataset", "fuzz");
    w.set_attribute("x", "type", "LIF");
    w.commit();
  }
  {
    H5Reader r(path);
    EXPECT_EQ(r.attribute("/", "dataset"), "fuzz");
    EXPECT_EQ(r.attribute("/", "format"), "");
    EXPECT_EQ(r.attribute("x", "type"), "LIF");
  }
  const std::string good = hnn::read_file(path);
  // The root's attribute message (version 1): 8 bytes of header, then the name padded to 8 bytes,
  // then the datatype, whose size (the string's 5 bytes) is at its byte 4.
  const size_t name = good.find(std::string("dataset\0", 8));
  ASSERT_NE(name, std::string::npos);
  ASSERT_EQ(good[name - 8], 1);
  ASSERT_EQ(hnn::read_le(good, name + 12, 4), 5u);
  auto damaged = [&](size_t at, char value) {
    std::string bytes = good;
    bytes[at] = value;
    hnn::write_file_atomically(bad, bytes);
  };
  damaged(name + 12, 13);  // a 13-byte value in the 8 bytes left
  for (const char* which : {"dataset", "format"})
    expect_error([&] { H5Reader(bad).attribute("/", which); }, "attrs_bad.h5",
                 {"attribute message", "a value of 1 elements of 13 bytes in 8 bytes"});
  EXPECT_EQ(H5Reader(bad).attribute("x", "type"), "LIF");  // another object's header
  damaged(name + 7, 'x');                                  // the name loses its NUL
  expect_error([&] { H5Reader(bad).attribute("/", "dataset"); }, "attrs_bad.h5", {"no terminating NUL"});
  damaged(name - 4, 64);  // a 64-byte datatype
  expect_error([&] { H5Reader(bad).attribute("/", "dataset"); }, "attrs_bad.h5", {"a datatype of 64"});
  damaged(name + 17, 3);  // a dataspace of rank 3 in 8 bytes
  expect_error([&] { H5Reader(bad).attribute("/", "dataset"); }, "attrs_bad.h5", {"dataspace of rank 3 in 8 bytes"});
  std::remove(path.c_str());
  std::remove(bad.c_str());
}

// Version 2 object headers (the latest file format) with continuation chunks, and an object whose
// many attributes live in dense storage, pass the attribute check.
TEST(H5, AttributesOfTheLatestFormatAreRead) {
  const std::string path = temp_path("attrs_v2.h5");
  {
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    H5Pset_libver_bounds(fapl, H5F_LIBVER_LATEST, H5F_LIBVER_LATEST);
    hid_t f = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
    ASSERT_GE(f, 0);
    hid_t d = create_dataset(f, "x", H5T_NATIVE_FLOAT, {4}, H5P_DEFAULT),
          g = H5Gcreate2(f, "many", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    ASSERT_GE(d, 0);
    hid_t scalar = H5Screate(H5S_SCALAR);
    auto put = [&](hid_t obj, const std::string& name, long long v) {
      hid_t a = H5Acreate2(obj, name.c_str(), H5T_NATIVE_LLONG, scalar, H5P_DEFAULT, H5P_DEFAULT);
      H5Awrite(a, H5T_NATIVE_LLONG, &v);
      H5Aclose(a);
    };
    for (int i = 0; i < 6; ++i) put(d, "a" + std::to_string(i), i);        // compact, in continuation chunks
    for (int i = 0; i < 20; ++i) put(g, "b" + std::to_string(i), 10 + i);  // dense (more than 8)
    put(f, "root", 7);
    H5Sclose(scalar);
    H5Gclose(g);
    H5Dclose(d);
    H5Fclose(f);
    H5Pclose(fapl);
  }
  ASSERT_NE(hnn::read_file(path).find("OHDR"), std::string::npos);
  H5Reader r(path);
  EXPECT_EQ(r.attribute("x", "a5"), "5");
  EXPECT_EQ(r.attribute("x", "a0"), "0");
  EXPECT_EQ(r.attribute("many", "b19"), "29");
  EXPECT_EQ(r.attribute("/", "root"), "7");
  EXPECT_EQ(r.attribute("/", "none"), "");
  std::remove(path.c_str());
}

// libhdf5 keeps bookkeeping for every chunk a read spans, written or not (a 26 KB file took 23 GB,
// found by fuzz_h5): a dataset may span at most 65536 chunks more than its stored bytes.
TEST(H5, ChunksNeverWrittenAreBounded) {
  const std::string path = temp_path("sparse.h5");
  {
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    hid_t f = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    ASSERT_GE(f, 0);
    for (const auto& [name, side] : std::vector<std::pair<const char*, hsize_t>>{{"sparse", 1000}, {"few", 200}}) {
      hid_t dcpl = chunked({1, 1}), d = create_dataset(f, name, H5T_STD_U8LE, {side, side}, dcpl);
      ASSERT_GE(d, 0);
      H5Dclose(d);
      H5Pclose(dcpl);
    }
    H5Fclose(f);
  }
  H5Reader r(path);
  expect_error([&] { r.read("sparse"); }, "sparse.h5", {"spans 1000000 chunks", "never written"});
  EXPECT_EQ(r.read("few").sum().item<int64_t>(), 0);  // 40000 chunks of fill value
  std::remove(path.c_str());
}

// libhdf5 copies a whole chunk out of what its filters give back, however short (a heap
// overflow, found by fuzz_dasbe_split): each filtered chunk must unfilter to its dims.
TEST(H5, FilteredChunkThatInflatesShortIsRefused) {
  const std::string path = temp_path("short_chunk.h5");
  {
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    hid_t f = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    ASSERT_GE(f, 0);
    const hsize_t first[2] = {0, 0}, second[2] = {4, 0};
    hid_t dcpl = chunked({4, 64}, 4), d = create_dataset(f, "x", H5T_STD_U8LE, {8, 64}, dcpl);
    ASSERT_GE(d, 0);
    // Chunks written raw: the first inflates to its 256 bytes, the second to 100.
    for (const auto& [offset, bytes] : std::vector<std::pair<const hsize_t*, size_t>>{{first, 256}, {second, 100}}) {
      std::string raw(bytes, '\x07');
      uLongf n = compressBound((uLong)raw.size());
      std::string z(n, '\0');
      ASSERT_EQ(compress2(reinterpret_cast<Bytef*>(z.data()), &n, reinterpret_cast<const Bytef*>(raw.data()),
                          (uLong)raw.size(), 4),
                Z_OK);
      ASSERT_GE(H5Dwrite_chunk(d, H5P_DEFAULT, 0, offset, (size_t)n, z.data()), 0);
    }
    H5Dclose(d);
    H5Pclose(dcpl);
    H5Fclose(f);
  }
  H5Reader r(path);
  expect_error([&] { r.read("x"); }, "short_chunk.h5", {"chunk at [4, 0] holds 100 bytes once unfiltered, not 256"});
  expect_error([&] { r.read_rows("x", 0, 1); }, "short_chunk.h5", {"holds 100 bytes"});
  std::remove(path.c_str());
}

// libhdf5 allocates what a variable-length string's reference claims (up to 4 GiB) before it
// reads the heap object (found by fuzz_nir and fuzz_h5): every reference is checked first.
TEST(H5, VariableLengthStringReferencesAreChecked) {
  const std::string path = temp_path("vlref.h5"), bad = temp_path("vlref_bad.h5");
  {
    H5Writer w(path);
    w.write_strings("names", {"alpha", "beta"}, {2});
    w.commit();
  }
  const std::string bytes = hnn::read_file(path);
  const size_t gcol = bytes.find("GCOL");
  ASSERT_NE(gcol, std::string::npos);
  // The dataset's two references: length, the collection's address (8 bytes), object index.
  auto ref = [&](uint32_t length, uint32_t index) {
    std::string r;
    for (int i = 0; i < 4; ++i) r += static_cast<char>(length >> (8 * i) & 0xff);
    for (int i = 0; i < 8; ++i) r += static_cast<char>((uint64_t)gcol >> (8 * i) & 0xff);
    for (int i = 0; i < 4; ++i) r += static_cast<char>(index >> (8 * i) & 0xff);
    return r;
  };
  // libhdf5 numbers the objects in the order it pleases: "alpha" is object 1 or 2.
  uint32_t alpha = 1;
  size_t at = bytes.find(ref(5, 1) + ref(4, 2));
  if (at == std::string::npos) at = bytes.find(ref(5, alpha = 2) + ref(4, 1));
  ASSERT_NE(at, std::string::npos) << "no references to the heap collection at " << gcol;
  for (const auto& [patch, what] :
       std::vector<std::pair<std::string, std::string>>{{ref(0xF0000000u, alpha), "claims 4026531840 bytes"},
                                                        {ref(3, alpha), "holds 5 bytes"},
                                                        {ref(5, 7), "does not hold"}}) {
    std::string damaged = bytes;
    damaged.replace(at, patch.size(), patch);
    hnn::write_file_atomically(bad, damaged);
    H5Reader r(bad);
    expect_error([&] { r.read_strings("names"); }, "vlref_bad.h5", {what});
  }
  H5Reader r(path);
  EXPECT_EQ(r.read_strings("names"), (std::vector<std::string>{"alpha", "beta"}));
  std::remove(path.c_str());
  std::remove(bad.c_str());
}
