#include "hnn/data/omniglot.h"

#include <torch/torch.h>

#include <algorithm>
#include <map>
#include <sstream>

#include "hnn/core/error.h"
#include "hnn/data/png.h"
#include "hnn/data/zip.h"

namespace hnn::data {
namespace {

// uint8 [H, W] images -> float [N, 1, S, S] in [0, 1], antialiased bilinear.
at::Tensor to_float(const std::vector<at::Tensor>& images, int64_t size) {
  auto x = torch::stack(images).unsqueeze(1).to(torch::kFloat) / 255.0;
  if (x.size(2) == size && x.size(3) == size) return x;
  namespace F = torch::nn::functional;
  return F::interpolate(x, F::InterpolateFuncOptions()
                               .size(std::vector<int64_t>{size, size})
                               .mode(torch::kBilinear)
                               .align_corners(false)
                               .antialias(true))
      .clamp(0, 1);
}

}  // namespace

OmniglotSet load_omniglot(const std::string& zip_path, int64_t size) {
  HNN_CHECK(size > 0, "omniglot: image size must be positive, got {}", size);
  ZipArchive zip(zip_path);
  // <root>/<alphabet>/<character>/<file>.png, grouped by character in name order.
  std::map<std::string, std::vector<std::string>> by_class;
  for (const auto& name : zip.names()) {
    if (name.size() < 4 || name.compare(name.size() - 4, 4, ".png") != 0) continue;
    const auto slash3 = name.rfind('/');
    const auto slash2 = slash3 == std::string::npos ? std::string::npos : name.rfind('/', slash3 - 1);
    const auto slash1 = slash2 == std::string::npos || slash2 == 0 ? std::string::npos : name.rfind('/', slash2 - 1);
    HNN_CHECK(slash1 != std::string::npos, "'{}': '{}' is not <root>/<alphabet>/<character>/<image>.png", zip_path,
              name);
    by_class[name.substr(slash1 + 1, slash3 - slash1 - 1)].push_back(name);
  }
  HNN_CHECK(!by_class.empty(), "'{}': no Omniglot images (<root>/<alphabet>/<character>/<image>.png)", zip_path);
  OmniglotSet set;
  std::vector<at::Tensor> per_class;
  size_t k = 0;
  for (auto& [cls, files] : by_class) {
    std::sort(files.begin(), files.end());
    if (k == 0) k = files.size();
    HNN_CHECK(files.size() == k, "'{}': character '{}' has {} drawings, others {}", zip_path, cls, files.size(), k);
    std::vector<at::Tensor> imgs;
    for (const auto& f : files) imgs.push_back(decode_png_gray(zip.read(f), zip_path + ":" + f));
    per_class.push_back(to_float(imgs, size));
    set.classes.push_back(cls);
  }
  set.images = torch::stack(per_class);
  return set;
}

std::vector<OneShotRun> load_one_shot_runs(const std::string& zip_path, int64_t size) {
  ZipArchive zip(zip_path);
  std::vector<OneShotRun> runs;
  for (int r = 1;; ++r) {
    const std::string dir = fmt::format("run{:02d}/", r);
    if (!zip.contains(dir + "class_labels.txt")) break;
    OneShotRun run;
    std::vector<at::Tensor> train, test;
    for (int i = 1; i <= 20; ++i) {
      const std::string tr = fmt::format("{}training/class{:02d}.png", dir, i);
      const std::string te = fmt::format("{}test/item{:02d}.png", dir, i);
      train.push_back(decode_png_gray(zip.read(tr), zip_path + ":" + tr));
      test.push_back(decode_png_gray(zip.read(te), zip_path + ":" + te));
    }
    run.train = to_float(train, size);
    run.test = to_float(test, size);
    // Lines "runNN/test/itemII.png runNN/training/classCC.png", in item order.
    std::istringstream labels(zip.read(dir + "class_labels.txt"));
    std::string item, cls;
    run.answer.assign(20, -1);
    while (labels >> item >> cls) {
      int ii = 0, cc = 0;
      HNN_CHECK(std::sscanf(item.c_str() + item.rfind('/') + 1, "item%d.png", &ii) == 1 &&
                    std::sscanf(cls.c_str() + cls.rfind('/') + 1, "class%d.png", &cc) == 1 && ii >= 1 && ii <= 20 &&
                    cc >= 1 && cc <= 20,
                "'{}': bad line '{} {}' in {}class_labels.txt", zip_path, item, cls, dir);
      run.answer[ii - 1] = cc - 1;
    }
    HNN_CHECK(std::count(run.answer.begin(), run.answer.end(), -1) == 0,
              "'{}': {}class_labels.txt does not name all 20 test items", zip_path, dir);
    runs.push_back(std::move(run));
  }
  HNN_CHECK(!runs.empty(), "'{}': no one-shot runs (run01/class_labels.txt ...)", zip_path);
  return runs;
}

}  // namespace hnn::data
