// One rank of the distributed tests (test_distributed.cpp starts them through dist::launch): a
// small regression net trained by the Trainer in the process group of the environment. Writes its
// final parameters and buffers to <out>/rank<r>.pt.
#include <torch/torch.h>
#include <unistd.h>

#include <csignal>

#include <cstdio>
#include <string>

#include "hnn/core/error.h"
#include "hnn/train/distributed.h"
#include "hnn/train/trainer.h"

namespace {

struct Net : torch::nn::Module {
  explicit Net(bool bn) {
    fc1 = register_module("fc1", torch::nn::Linear(6, 16));
    if (bn) norm = register_module("norm", torch::nn::BatchNorm1d(16));
    fc2 = register_module("fc2", torch::nn::Linear(16, 1));
  }
  at::Tensor forward(at::Tensor x) {
    x = fc1(x);
    if (norm) x = norm(x);
    return fc2(torch::tanh(x));
  }
  torch::nn::Linear fc1{nullptr}, fc2{nullptr};
  torch::nn::BatchNorm1d norm{nullptr};
};

}  // namespace

int main(int argc, char** argv) {
  std::string out = ".", checkpoint, resume, optimizer = "sgd";
  int64_t batch = 8, epochs = 3, die_at = -1, kill_at = -1, every = 0, n = 64;
  bool bn = false, average = false, overlap = true;
  double bucket_mb = 25;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--out")
      out = v;
    else if (k == "--batch")
      batch = std::stoll(v);
    else if (k == "--epochs")
      epochs = std::stoll(v);
    else if (k == "--samples")
      n = std::stoll(v);
    else if (k == "--checkpoint")
      checkpoint = v;
    else if (k == "--resume")
      resume = v;
    else if (k == "--optimizer")
      optimizer = v;
    else if (k == "--die-at")
      die_at = std::stoll(v);
    else if (k == "--kill-at")
      kill_at = std::stoll(v);
    else if (k == "--checkpoint-every")
      every = std::stoll(v);
    else if (k == "--bn")
      bn = v == "1";
    else if (k == "--average")
      average = v == "1";
    else if (k == "--overlap")
      overlap = v == "1";
    else if (k == "--bucket-mb")
      bucket_mb = std::stod(v);
  }
  try {
    torch::set_num_threads(1);
    hnn::train::dist::GroupOptions go;
    go.timeout_s = 20;
    go.average_buffers = average;
    go.overlap = overlap;
    go.bucket_mb = bucket_mb;
    auto group = hnn::train::dist::init(go);
    const int rank = group->rank();
    // The data is the same on every rank; the weights are not (rank 0's are broadcast).
    auto gen = at::make_generator<at::CPUGeneratorImpl>(7);
    auto x = at::randn({n, 6}, gen, at::TensorOptions().dtype(at::kFloat));
    auto y = (x.sum(1, true) * 0.5).sin();
    torch::manual_seed(1 + rank);
    auto net = std::make_shared<Net>(bn);
    hnn::train::Trainer trainer(*net, hnn::train::TrainerOptions()
                                          .epochs(epochs)
                                          .batch_size(batch)
                                          .optimizer(optimizer)
                                          .lr(optimizer == "sgd" ? 0.1 : 0.01)
                                          .checkpoint(checkpoint)
                                          .checkpoint_every(every)
                                          .resume(resume));
    // Rank 0 draws the epoch seeds: it must start from the same generator state in every run.
    torch::manual_seed(11);
    int64_t steps = 0;
    trainer.fit(n, [&](const at::Tensor& idx) {
      if (++steps == die_at && rank == 1) _exit(3);
      if (steps == kill_at) ::raise(SIGKILL);  // as the OOM killer or a pulled plug would
      auto pred = net->forward(x.index_select(0, idx));
      return hnn::train::StepResult{torch::mse_loss(pred, y.index_select(0, idx))};
    });
    std::vector<at::Tensor> state;
    for (auto& p : net->parameters()) state.push_back(p.detach().clone());
    for (auto& b : net->buffers()) state.push_back(b.detach().clone().to(at::kFloat));
    torch::save(state, out + "/rank" + std::to_string(rank) + ".pt");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "dist_worker: error: %s\n", e.what());
    return 2;
  }
  return 0;
}
