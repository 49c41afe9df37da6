// Where the shared real data lives (../shared/data beside the checkout, or $HNN_DATA_DIR).
#pragma once
#include <string>

namespace hnn {

// The data folder; empty when it does not exist.
std::string shared_data_dir();
// shared_data_dir() + "/" + rel, or empty when the folder is absent.
std::string shared_data_path(const std::string& rel);

}  // namespace hnn
