// Example 3: an AEDAT 4 recording read into event tensors and run through a spiking conv net.
//
// What it shows: real event-camera I/O at the edge of the library. events::read_recording reads
// the file (AEDAT 4 with any compression, AEDAT 2 or N-MNIST, by content), events::represent bins
// the DVS events into a time-major tensor [T, C, H, W] (ON/OFF counts per 5 ms bin, resized to
// 64 x 48), and two SpikingConv2d blocks (conv -> BatchNorm -> IF neuron, time folded into the batch,
// fused kernel) turn it into spike maps [T, 1, 16, 12, 16]. Without a file it first writes a
// small synthetic recording (a dot circling on a 128 x 96 sensor) with the AEDAT 4 writer.
//
// Run: events_to_snn [--in FILE.aedat4] [--bins T] [--seed S]
#include <hnn/core/seed.h>
#include <hnn/events/formats.h>
#include <hnn/events/representation.h>
#include <hnn/nn/spiking_layers.h>
#include <torch/torch.h>

#include <cmath>
#include <iostream>

#include "example_args.h"

using namespace hnn;

// A 3x3 dot circling the sensor centre for 100 ms: ON events at its leading edge, OFF behind.
std::string write_synthetic(const std::string& path) {
  events::Recording rec;
  rec.events = events::EventStream(128, 96);
  for (int64_t t = 0; t < 100000; t += 50) {
    double a = 2 * M_PI * t / 100000.0;
    int x = 64 + (int)std::lround(30 * std::cos(a)), y = 48 + (int)std::lround(30 * std::sin(a));
    for (int dy = -1; dy <= 1; ++dy) {
      rec.events.push_back(t, x, y + dy, true);
      rec.events.push_back(t, x - 3, y + dy, false);
    }
  }
  events::write_recording(path, rec);
  return path;
}

int main(int argc, char** argv) try {
  examples::Args args(argc, argv);
  seed_everything(args.num("seed", 1));
  std::string path = args.str("in", "");
  if (path.empty()) path = write_synthetic("events_to_snn_synthetic.aedat4");
  events::Recording rec = events::read_recording(path);
  const auto& ev = rec.events;
  std::cout << path << ": " << ev.size() << " events on a " << ev.width << "x" << ev.height << " sensor over "
            << ev.duration() / 1000.0 << " ms, " << rec.frames.size() << " APS frames\n";

  const int64_t T = args.num("bins", 10);
  events::BinOptions bo;
  bo.bins = T;
  bo.t_begin = ev.t_first();
  bo.t_end = std::min(ev.t_last() + 1, ev.t_first() + T * 5000);  // T bins of 5 ms
  bo.size = std::pair{64, 48};
  auto x = events::represent(ev, events::Kind::Counts, bo).unsqueeze(1).clamp_max(4);  // [T, 1, 2, 48, 64]

  using nn::SpikingConv2d;
  using nn::SpikingConv2dOptions;
  // Integrate-and-fire neurons with a low threshold: untrained weights still give spikes.
  auto lif = spike::NeuronOptions::integrate_and_fire().threshold(0.25);
  torch::nn::Sequential net(SpikingConv2d(SpikingConv2dOptions(2, 8, 3).stride(2).padding(1).neuron(lif)),
                            SpikingConv2d(SpikingConv2dOptions(8, 16, 3).stride(2).padding(1).neuron(lif)));
  net->eval();  // BatchNorm with its initial running statistics: an untrained forward pass
  torch::NoGradGuard no_grad;
  auto spikes = net->forward(x);
  std::cout << "input " << x.sizes() << " -> spikes " << spikes.sizes() << "\n";
  for (int64_t t = 0; t < T; ++t)
    std::cout << "  bin " << t << ": " << x[t].sum().item<double>() << " events, spike rate "
              << spikes[t].mean().item<double>() << "\n";
  return 0;
} catch (const std::exception& e) {
  std::cerr << "events_to_snn: " << e.what() << "\n";
  return 2;
}
