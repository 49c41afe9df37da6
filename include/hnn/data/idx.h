// IDX files (MNIST, Fashion-MNIST): read (plain or gzip) into a tensor of the file's own type
// and shape, e.g. uint8 [N, 28, 28] images or uint8 [N] labels.
#pragma once
#include <ATen/core/Tensor.h>

#include <string>

namespace hnn::data {

// Reads an IDX file; hnn::Error naming the file and byte offset on bad magic, sizes or length.
// max_items > 0 keeps only the first max_items entries of the first dimension.
at::Tensor read_idx(const std::string& path, int64_t max_items = 0);
// Parses IDX bytes already in memory; `name` is used in error messages.
at::Tensor parse_idx(const std::string& bytes, const std::string& name, int64_t max_items = 0);
// Writes a uint8 tensor as an IDX file (atomically).
void write_idx(const std::string& path, const at::Tensor& t);

// An image classification set: images float [N, 1, H, W] in [0, 1], labels int64 [N].
struct ImageSet {
  at::Tensor images;
  at::Tensor labels;
  int64_t size() const { return labels.defined() ? labels.size(0) : 0; }
};

// Loads "<prefix>-images-idx3-ubyte[.gz]" and "<prefix>-labels-idx1-ubyte[.gz]" from dir,
// prefix "train" or "t10k". Also accepts MNIST's "train-images-idx3-ubyte.first22699.gz" style
// names through explicit paths in load_image_set_files.
ImageSet load_image_set(const std::string& dir, const std::string& prefix, int64_t max_items = 0);
ImageSet load_image_set_files(const std::string& images, const std::string& labels, int64_t max_items = 0);

// Folder of Fashion-MNIST: $HNN_FASHION_MNIST, else /usr/share/datasets/fashion-mnist (Debian
// package dataset-fashion-mnist). hnn::Error with the install hint when absent.
std::string fashion_mnist_dir();

// "mnist" or "fashion", split "train" or "t10k". MNIST comes from ../shared/data/mnist (or
// $HNN_DATA_DIR/mnist), whose training set is the first 22,699 of the 60,000 images; Fashion-MNIST
// from fashion_mnist_dir(). hnn::Error naming what is missing.
ImageSet load_digits(const std::string& dataset, const std::string& split, int64_t max_items = 0);

}  // namespace hnn::data
