// The DASBE datasets (spec dasbe.md §1): binary images of overlapping objects (bars, shapes,
// corners, MNIST digits, moving shapes) with per-pixel group labels, generated in memory and
// written to HDF5 files with the reference's layout ("<split>/default", "<split>/groups").
//
// Shapes: images and groups are float32 [N, H, W], or [N, T, H, W] for the moving-shape videos.
// groups: 0 for background and for pixels covered by two or more objects, k for pixels of object k
// only (objects numbered from 1 in drawing order). Indexing is [row = y, col = x].
#pragma once
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <vector>

namespace hnn::models::dasbe {

struct LabeledImages {
  at::Tensor images;  // float32 {0, 1} [N, H, W] or [N, T, H, W]
  at::Tensor groups;  // float32 [N, H, W] or [N, T, H, W]
  // Where the objects are (from the generators only, undefined when read from a file): int64
  // [N, J, 3] (or [N, T, J, 3]) rows (stencil, y, x): the object's stencil and its top-left corner,
  // stencil -1 for an object not (yet) present. Stencils: bars 0 vertical / 1 horizontal bar;
  // shapes shape_stencil(); corners corner_stencil() 0-3 / 4 corner square; MNIST sets the digit's
  // index (in mnist_shape object 1 is a shape_stencil()).
  at::Tensor objects;
  at::Tensor pos;  // shapes_with_pos only: float64 [N, 2], (y, x) of the shape's top-left corner
  int64_t size() const { return images.defined() ? images.size(0) : 0; }
};

struct DatasetInfo {
  std::string name;
  int64_t height = 0, width = 0;
  int64_t frames = 0;    // T of the videos; 0 = static images
  int64_t clusters = 0;  // K for the evaluation: objects + background
  std::string file;      // default file name, e.g. "bars.h5"
  uint64_t seed = 0;     // the spec's seed (ours where the spec gives none)
};

// bars, shapes, corners, multi_mnist, mnist_shape, shapes_with_pos, moving_shapes, moving_shapes_3,
// moving_shapes_large.
std::vector<DatasetInfo> datasets();
// hnn::Error listing the valid names.
const DatasetInfo& dataset_info(const std::string& name);

// The stencils of §1.2, uint8 {0, 1} [h, w]: shape 0 square (7x7), 1 triangle up (7x12), 2 triangle
// down; corner orientation 0 top-left L, 1 flipped vertically (bottom-left), 2 flipped
// horizontally (top-right), 3 both (5x5); the corner square (20x20, one object).
at::Tensor shape_stencil(int64_t index);
at::Tensor corner_stencil(int64_t orientation);
at::Tensor corner_square_stencil();

struct DataOptions {
  double scale = 1.0;          // multiplies every split's count (at least 1 per split): 0.01 for tests and demos
  uint64_t seed = 0;           // 0: the dataset's own seed (DatasetInfo::seed)
  std::string mnist_dir = "";  // "": hnn::shared_data_path("mnist")
  // Called after each slice written (or generated).
  std::function<void(const std::string& split, int64_t done, int64_t total)> progress = {};
};

// The splits of a dataset in the order they are written (train_multi, test, train_single, then the
// extra groups such as train_single_0/1/2, train_single_hori/vert), and their sizes at a scale.
std::vector<std::string> split_names(const std::string& dataset);
int64_t split_size(const std::string& dataset, const std::string& split, double scale = 1.0);

// Generates every split (§1.3-§1.10) into an HDF5 file, atomically: "<split>/default" and
// "<split>/groups" as uint8 (the reference stored float32; the values are identical, and
// read_split returns float32), chunks of 100 images (10 videos) along dim 0, gzip; "pos" float64
// [N, 2] for shapes_with_pos. Splits are generated and appended in slices of about 8 M pixels
// (10,200 images of 28x28, 10 videos of 1000 frames), so memory stays bounded. Root attributes:
// dataset, seed, scale, generator ("hnn"), format, mnist_train_digits (MNIST sets). Every split
// has its own random stream and every image its own seed drawn from it, so a split does not
// depend on the others nor on the slicing.
//
// Where this differs from the reference: MNIST training digits are drawn from the images
// available (the shared copy holds the first 22,699 of 60,000: indices 0..22698 instead of
// 0..59999; multi_mnist train_single cycles digit i mod 22,699, about 13 times each instead of
// 5); mnist_shape train_multi uses digit i mod 22,699. moving_shapes_large has no generator in the
// reference (inferred): moving_shapes with train_single of 600 single-shape videos (T = 1000),
// and train_multi and test of 60 three-shape videos. Single-object images are labelled 1 (lone
// mnist_shape shapes 2, as in the reference). The moving sets' seeds are ours (the spec has none).
void generate_dataset(const std::string& name, const std::string& path, const DataOptions& opt);
// One split in memory, exactly as generate_dataset writes it (float32).
LabeledImages generate_split(const std::string& dataset, const std::string& split, const DataOptions& opt);
// Rows [first, first + count) of a split of a file (count -1: to the end), as float32.
LabeledImages read_split(const std::string& path, const std::string& split, int64_t first = 0, int64_t count = -1);

// ---- The generators (float32 results). Each image draws one 64-bit seed from rng, so
// generating n1 then n2 images equals generating n1 + n2 at once.

// 20x20, 6 vertical bars on distinct columns (labels 1-6) and 6 horizontal bars on distinct rows
// (labels 7-12); the 36 crossings are 0.
LabeledImages bars_images(int64_t n, std::mt19937_64& rng);
// 20x20, one bar (label 1).
LabeledImages single_bar_images(int64_t n, bool horizontal, std::mt19937_64& rng);
// size x size, `objects` shapes of type `type` (0-2) or uniformly random (-1), labels 1..objects;
// pos holds the first shape's top-left.
LabeledImages shape_images(int64_t n, int64_t objects, int64_t type, std::mt19937_64& rng, int64_t size = 28);
// 28x28, a corner square (label 1, top-left 0..8) and 4 corners of random orientation (labels 2-5).
LabeledImages corner_images(int64_t n, std::mt19937_64& rng);
// 28x28, a lone corner square or a lone corner of random orientation (label 1).
LabeledImages single_corner_images(int64_t n, bool square, std::mt19937_64& rng);

// Digits prepared for the MNIST sets from grayscale images (uint8 0-255 or float in [0, 1],
// [N, 28, 28] or [N, 1, 28, 28]).
struct Digits {
  at::Tensor full;             // uint8 [N, 28, 28]: gray > 0.5 (mnist_shape)
  at::Tensor cropped;          // uint8 [N, 28, 28]: every all-zero row and column deleted, then gray >= 0.5,
                               // at the top-left (multi_mnist)
  at::Tensor heights, widths;  // int64 [N]: size of each cropped digit (at least 1)
  int64_t size() const { return full.defined() ? full.size(0) : 0; }
};
Digits prepare_digits(const at::Tensor& images);
// The MNIST training (train = true) or test images of dir ("" = shared_data_path("mnist")): the full
// train-images-idx3-ubyte[.gz] when present, else the shared first 22,699
// (train-images-idx3-ubyte.first22699.gz). hnn::Error naming what is missing.
Digits load_mnist_digits(bool train, const std::string& dir = "");

// 48x48, 3 digits drawn uniformly with repetition (labels 1-3); the positions of all three are
// redrawn until the last digit's overlap fraction is below 0.2.
LabeledImages multi_mnist_images(int64_t n, const Digits& digits, std::mt19937_64& rng);
// 48x48, digit (first + i) mod N at a random position (label 1).
LabeledImages single_digit_images(int64_t n, int64_t first, const Digits& digits, std::mt19937_64& rng);
// 28x28, an uncropped digit at its own position (label 1) and a random shape (label 2): digit
// (first + i) mod N, or a random digit when first < 0.
LabeledImages mnist_shape_images(int64_t n, int64_t first, const Digits& digits, std::mt19937_64& rng);
// 28x28, a lone random digit (label 1) or a lone random shape (label 2).
LabeledImages lone_mnist_shape_images(int64_t n, bool digit, const Digits& digits, std::mt19937_64& rng);

// Videos [n, frames, 28, 28] of shapes moving 1 px per frame in one of 8 directions and bouncing
// off the borders (§1.10): shape j appears at frame appear_at[j] (labels 1.. in that order), of
// type `type` or random (-1).
LabeledImages moving_shape_videos(int64_t n, int64_t frames, const std::vector<int64_t>& appear_at, int64_t type,
                                  std::mt19937_64& rng);

}  // namespace hnn::models::dasbe
