// libFuzzer target: the models' JSON configs as their checkpoints store them (read back to rebuild
// a model from a file: outside input) on arbitrary text: every system's config parser, the HSN
// tracker's (which builds the small tracker it names) and the HMN's continual-learning log.
#include "fuzz_common.h"
#include "hnn/models/dasbe/model.h"
#include "hnn/models/hmn/model.h"
#include "hnn/models/hmn/train.h"
#include "hnn/models/hp/cifar.h"
#include "hnn/models/hp/cnn.h"
#include "hnn/models/hp/mlp.h"
#include "hnn/models/hp/multitask.h"
#include "hnn/models/hrn/collision_hu.h"
#include "hnn/models/hsn/trainer.h"

namespace {

template <class F>
void accept(F&& f) {
  try {
    f();
  } catch (const hnn::Error&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace hnn::models;
  const std::string in = hnn::fuzz::bytes(data, size);
  accept([&] { dasbe::config_from_json(in); });
  accept([&] { hmn::BackboneConfig::from_json(in); });
  accept([&] { hmn::BranchConfig::from_json(in); });
  accept([&] { hmn::ContinualLog::from_json(in); });
  accept([&] { hp::CifarConfig::from_json(in); });
  accept([&] { hp::CnnConfig::from_json(in); });
  accept([&] { hp::MlpConfig::from_json(in); });
  accept([&] { hp::MultitaskConfig::from_json(in); });
  accept([&] { hrn::CollisionHuConfig::from_json(in, "fuzz.json"); });
  accept([&] { hsn::tracker_from_config(in, "fuzz.json"); });
  return 0;
}
