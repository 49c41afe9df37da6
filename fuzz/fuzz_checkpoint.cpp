// libFuzzer target: the checkpoint reader on arbitrary bytes (a LibTorch archive: a ZIP of pickles
// and tensors): the config and meta, then the weights into a small module (nn::Linear(3, 2), the
// module the seeds were saved from) with its optimiser state and the RNG state.
#include <torch/torch.h>

#include "fuzz_common.h"
#include "hnn/train/checkpoint.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace hnn::train;
  const std::string path = hnn::fuzz::temp_file(data, size, ".pt");
  try {
    read_checkpoint_meta(path);
    read_checkpoint_config(path);
  } catch (const hnn::Error&) {
  }
  for (bool strict : {true, false}) {
    try {
      torch::nn::Linear model(3, 2);
      torch::optim::SGD opt(model->parameters(), torch::optim::SGDOptions(0.1).momentum(0.9));
      LoadOptions o;
      o.strict = strict;
      o.rng = !strict;
      load_checkpoint(path, *model, &opt, o);
    } catch (const hnn::Error&) {
    }
  }
  return 0;
}
