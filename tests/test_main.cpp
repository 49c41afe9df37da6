#include <gtest/gtest.h>
#include <torch/torch.h>

#include "hnn/core/seed.h"

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  torch::set_num_threads(1);
  hnn::seed_everything(1234);
  return RUN_ALL_TESTS();
}
