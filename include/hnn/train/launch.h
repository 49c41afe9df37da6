// Starts the processes of a data-parallel job on this machine, as torchrun does: N copies of a
// command, each with RANK, LOCAL_RANK, WORLD_SIZE, LOCAL_WORLD_SIZE, MASTER_ADDR and MASTER_PORT
// set. When one fails, the others get a grace period to fail on their own (they notice the lost
// peer) and are then terminated. Used by `hnn launch` and by the distributed tests.
#pragma once
#include <string>
#include <utility>
#include <vector>

namespace hnn::train::dist {

struct LaunchOptions {
  int nproc = 2;
  std::string master_addr = "127.0.0.1";
  int master_port = 0;       // 0: a free port of this machine
  double grace_s = 30;       // after a rank fails, how long the others may take to stop by themselves
  std::string log_dir = "";  // when set, rank r's stdout and stderr go to <log_dir>/rank<r>.log
  std::vector<std::pair<std::string, std::string>> env = {};  // extra variables for every rank
};

struct LaunchResult {
  int exit_code = 0;       // 0 when every rank succeeded, else the first failure's code (128 + signal)
  int failed_rank = -1;    // the first rank that failed, -1 when none
  std::vector<int> codes;  // every rank's exit code
  double seconds = 0;
};

// Runs argv (argv[0] is the program, looked up in PATH when it has no '/'). hnn::Error when a
// process cannot be started. SIGINT and SIGTERM sent to this process are passed on to the ranks.
LaunchResult launch(const std::vector<std::string>& argv, const LaunchOptions& options);

// A TCP port on `addr` that was free a moment ago.
int free_port(const std::string& addr = "127.0.0.1");

}  // namespace hnn::train::dist
