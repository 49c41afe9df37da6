// hnn::data::ZipArchive, the reader of the Omniglot zips, is the library's one ZIP reader,
// hnn::ZipArchive (hnn/core/zip.h), which also vets checkpoints.
#pragma once
#include "hnn/core/zip.h"

namespace hnn::data {
using ZipArchive = hnn::ZipArchive;
}  // namespace hnn::data
