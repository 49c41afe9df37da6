// hnn info: what this build is and what it runs on.
#include <ATen/Parallel.h>
#include <fmt/format.h>
#include <torch/torch.h>

#include "commands.h"
#include "hnn/config.h"
#include "hnn/core/data_dir.h"
#include "hnn/spike/neuron.h"

#ifndef HNN_BUILD_TYPE
#define HNN_BUILD_TYPE "unknown"
#endif

namespace hnn::cli {

void register_info(CLI::App& app, Globals& g) {
  auto* cmd = app.add_subcommand("info", "Show the build (LibTorch version, CUDA, threads, build type)");
  cmd->callback([&g] {
    apply_globals(g);
    bool cuda = torch::cuda::is_available();
    fmt::print("hnn            {}\n", HNN_VERSION_STRING);
    fmt::print("LibTorch       {}\n", TORCH_VERSION);
    fmt::print("build type     {}\n", HNN_BUILD_TYPE);
    fmt::print("CUDA kernels   none yet (CUDA tensors run the per-step LibTorch loop)\n");
    fmt::print("CUDA devices   {}\n", cuda ? std::to_string(torch::cuda::device_count()) : std::string("none"));
    fmt::print("CPU threads    {}\n", at::get_num_threads());
    fmt::print("parallel       {}\n", at::get_parallel_info().substr(0, at::get_parallel_info().find('\n')));
    fmt::print("fused CPU LIF  {} ({})\n", spike::has_fused_kernel(torch::zeros({1, 1})) ? "yes" : "no",
               spike::fused_kernel_isa());
    std::string data = shared_data_dir();
    auto yes = [](bool on) { return on ? "yes" : "no (reconfigure with its dependencies installed)"; };
    fmt::print("AEDAT 4 files  {}\n", yes(HNN_HAVE_AEDAT4));
    fmt::print("plots          {}\n", yes(HNN_HAVE_PLOTS));
    fmt::print("video          {}\n", yes(HNN_HAVE_VIDEO));
    fmt::print("HDF5 (NIR)     {}\n", yes(HNN_HAVE_HDF5));
    fmt::print("distributed    {}\n", HNN_HAVE_DISTRIBUTED ? "c10d (Gloo), see 'hnn launch'" : yes(false));
    fmt::print("shared data    {}\n", data.empty() ? "not found (set HNN_DATA_DIR)" : data);
  });
}

}  // namespace hnn::cli
