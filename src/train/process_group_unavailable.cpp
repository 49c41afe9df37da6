// ProcessGroup without c10d (the DISTRIBUTED component is off): one process only, and a clear
// error on any attempt to join a job of several.
#include "hnn/core/error.h"
#include "hnn/train/distributed.h"

namespace hnn::train::dist {

bool available() {
  return false;
}

struct ProcessGroup::Impl {};
struct ProcessGroup::Pending::Impl {};

ProcessGroup::Pending::Pending() = default;
ProcessGroup::Pending::Pending(Pending&&) noexcept = default;
ProcessGroup::Pending& ProcessGroup::Pending::operator=(Pending&&) noexcept = default;
ProcessGroup::Pending::~Pending() = default;
void ProcessGroup::Pending::wait() {}

std::shared_ptr<ProcessGroup> ProcessGroup::create(const Environment&, const GroupOptions&) {
  fail(
      "distributed: this build of hnn has no c10d (the DISTRIBUTED component is off: install libgloo-dev and "
      "reconfigure, or use a LibTorch with distributed support)");
}

ProcessGroup::ProcessGroup(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ProcessGroup::~ProcessGroup() = default;
int ProcessGroup::rank() const {
  return 0;
}
int ProcessGroup::size() const {
  return 1;
}
const std::string& ProcessGroup::backend() const {
  static const std::string none = "none";
  return none;
}
const GroupOptions& ProcessGroup::options() const {
  static const GroupOptions o;
  return o;
}
void ProcessGroup::all_reduce_sum(std::vector<at::Tensor>&) {}
void ProcessGroup::broadcast(std::vector<at::Tensor>&, int) {}
void ProcessGroup::barrier() {}
ProcessGroup::Pending ProcessGroup::all_reduce_sum_async(at::Tensor) {
  return {};
}

}  // namespace hnn::train::dist
