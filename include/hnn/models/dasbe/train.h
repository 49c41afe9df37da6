// Training DASBE's autoencoders on single objects (spec §2.7) with the library's Trainer: pepper
// noise drawn once per minibatch, BCE against the clean image, Adam with the multistep schedule,
// early stopping, and the best validation checkpoint kept (never overwritten by the last epoch).
// Images are [N, H, W] (or [N, H*W]) in {0, 1}.
#pragma once
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "hnn/models/dasbe/model.h"
#include "hnn/train/trainer.h"

namespace hnn::models::dasbe {

struct AeTrainOptions {
  int64_t epochs = 300;
  int64_t batch = 1024;
  double lr = 0.01;
  double drop_min = 0.6, drop_max = 0.8;  // pixel drop p ~ U(drop_min, drop_max) per minibatch
  int64_t patience = 40;
  std::vector<int64_t> milestones = {60, 100, 130, 150, 170};
  std::vector<double> gammas = {0.5, 0.5, 0.5, 0.5, 0.1};
  // BCDAE: sum-reduced BCE plus contractive * ||dh/dx||_F^2 of the encoder (estimated with one
  // random projection per sample, so it works for any depth; the reference's version crashed).
  double contractive = 0.0;
  bool sum_loss = false;
  // CLRNet: NT-Xent as the mean over each class pair's B x B entries instead of their sum (which
  // outweighs the mean BCE by B^2, so the reconstruction barely trained); the clrnet recipe's.
  bool contrast_mean = false;
  double val_fraction = 0.1;  // the last 10% validate
  // Validation inputs carry the training corruption (p = the middle of the range, drawn once with
  // a fixed seed), so the monitored loss measures denoising, the AE's job in the loop; the
  // reference validated on clean inputs, where a net trained on 60-80% dropped pixels saturates
  // and its Bars validation loss rose while training improved. false: clean, as the reference.
  bool corrupt_validation = true;
  // RBAE (moving shapes): windows of `chunk` frames; per window, frames blanked with probability
  // blank_frames (the same frames for the whole batch), then pixel drop p and salt (pixels set to
  // 1 with probability `salt`).
  int64_t chunk = 20;
  double blank_frames = 0.2, salt = 0.05;
  int64_t max_batches = 0;      // per epoch, for smoke tests
  std::string best_checkpoint;  // the best validation epoch, written on improvement only
  std::string checkpoint;       // the last epoch (to resume from)
  std::string resume;
};

// The recipe of §2.7 for a dataset: bars/corners/shapes lr 0.01, p in [0.6, 0.8] (bars with batch
// 16 instead of 1024: its 180 training images made one step per epoch); mnist_shape lr
// 0.031685, p = 0.6; multi_mnist (BCDAE) lr 1e-4, p = 0.6, batch 128, 200 epochs, x0.1 after
// 50 and 80, contractive 1e-4 on a sum loss; clrnet Adam 1e-3, p = 0.6, batch 512, 500 epochs,
// x0.1 at 100 and 150, patience 100, NT-Xent averaged (contrast_mean); rbae Adam 1e-3, p = 0.5, salt 0.05, 20% of the
// frames blanked, batch 32, chunks of 20 frames, 300 epochs, x0.1 at 60 and 150, patience 20, validated on clean
// sequences.
AeTrainOptions train_recipe(const std::string& dataset);

// CLRNet's loss on the spike codes of one batch per class (spec §2.6, NT_Xent_batch): S_ab[i, j] =
// cos(Z_a[i], Z_b[j]) / tau (eps 1e-8, so silent codes give 0); sum over a of (S_aa - 1)^2 plus
// sum over a < b of S_ab^2, summed over all entries: same-class codes pulled to cosine tau,
// different classes pushed to 0. codes: [B, code] each, at least 2.
at::Tensor nt_xent_batch(const std::vector<at::Tensor>& codes, double tau = 0.5);

// CLRNet (spec §2.4, §2.7): one batch of each class per step, pixel drop on each, loss =
// nt_xent_batch(spikes) + the sum of the classes' mean BCE; validation with the same corruption.
// images: one [N_c, H, W] tensor per class (the shapes' train_single_0/1/2).
train::FitResult train_clrnet(Autoencoder& ae, const std::vector<at::Tensor>& images, const AeTrainOptions& opt,
                              const std::vector<std::shared_ptr<train::Callback>>& callbacks = {});

// RBAE (spec §2.5, §2.7): next-frame prediction on videos [S, F, H, W] (or [S, F, H*W]) of single
// moving shapes, 90/10 split over the videos. A sample is a window of `chunk` frames [a, a + chunk)
// of one video, a = 0, chunk, 2 chunk, ... (the last frames that do not fill a window are left out);
// its input frames are corrupted, its targets are the clean frames [a + 1, a + chunk] (MSE), and its
// pre is the encoder's code of the corrupted frame a - 1 (zeros at a = 0), without gradient: the
// reference's truncated BPTT, whose carried state is exactly that code, with the windows shuffled
// across videos instead of walked in order (one Adam step per batch of windows either way).
// Validation: the whole clean videos from pre = 0 (MSE).
train::FitResult train_rbae(Autoencoder& ae, const at::Tensor& videos, const AeTrainOptions& opt,
                            const std::vector<std::shared_ptr<train::Callback>>& callbacks = {});

// Pepper noise: each pixel kept when U >= p (zeros stay zeros).
at::Tensor drop_pixels(const at::Tensor& x, double p);

// Mean binary cross-entropy of the reconstructions of `inputs` against `targets` (both [N, ...]).
double validation_loss(Autoencoder& ae, const at::Tensor& inputs, const at::Tensor& targets);
inline double validation_loss(Autoencoder& ae, const at::Tensor& images) {
  return validation_loss(ae, images, images);
}

// Trains ae on images; callbacks get the Trainer's logs. Ends with the best epoch's weights.
train::FitResult train_autoencoder(Autoencoder& ae, const at::Tensor& images, const AeTrainOptions& opt,
                                   const std::vector<std::shared_ptr<train::Callback>>& callbacks = {});

// Saves/loads an autoencoder with its config (the library's checkpoint format).
void save_autoencoder(const std::string& path, const Autoencoder& ae);
Autoencoder load_autoencoder(const std::string& path);

}  // namespace hnn::models::dasbe
