#include "hnn/train/launch.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <thread>

#include "hnn/core/error.h"
#include "hnn/core/fs.h"

extern char** environ;

namespace hnn::train::dist {
namespace {

std::atomic<int> g_signal{0};
void on_signal(int sig) {
  g_signal = sig;
}

int exit_code_of(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 1;
}

// This process's environment with `set` replacing or adding variables.
std::vector<std::string> environment_with(const std::vector<std::pair<std::string, std::string>>& set) {
  std::vector<std::string> out;
  for (char** e = environ; *e; ++e) {
    std::string kv = *e;
    const std::string key = kv.substr(0, kv.find('='));
    bool replaced = false;
    for (auto& [k, v] : set) replaced = replaced || k == key;
    if (!replaced) out.push_back(kv);
  }
  for (auto& [k, v] : set) out.push_back(k + "=" + v);
  return out;
}

std::vector<char*> c_strings(std::vector<std::string>& v) {
  std::vector<char*> out;
  for (auto& s : v) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

}  // namespace

int free_port(const std::string& addr) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  HNN_CHECK(fd >= 0, "launch: cannot open a socket to find a free port ({})", std::strerror(errno));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = 0;
  if (::inet_pton(AF_INET, addr.c_str(), &a.sin_addr) != 1) a.sin_addr.s_addr = htonl(INADDR_ANY);
  socklen_t len = sizeof(a);
  const bool ok = ::bind(fd, (sockaddr*)&a, sizeof(a)) == 0 && ::getsockname(fd, (sockaddr*)&a, &len) == 0;
  ::close(fd);
  HNN_CHECK(ok, "launch: cannot find a free port on {} ({})", addr, std::strerror(errno));
  return ntohs(a.sin_port);
}

LaunchResult launch(const std::vector<std::string>& argv, const LaunchOptions& o) {
  HNN_CHECK(!argv.empty(), "launch: no command to run");
  HNN_CHECK(o.nproc >= 1, "launch: --nproc must be at least 1, got {}", o.nproc);
  HNN_CHECK(o.grace_s >= 0, "launch: the grace period must be >= 0, got {}", o.grace_s);
  const int port = o.master_port > 0 ? o.master_port : free_port(o.master_addr);
  if (!o.log_dir.empty()) make_dirs(o.log_dir);

  struct sigaction sa {
  }, old_int{}, old_term{};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  g_signal = 0;
  sigaction(SIGINT, &sa, &old_int);
  sigaction(SIGTERM, &sa, &old_term);
  auto restore = [&] {
    sigaction(SIGINT, &old_int, nullptr);
    sigaction(SIGTERM, &old_term, nullptr);
  };

  const auto t0 = std::chrono::steady_clock::now();
  auto seconds = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); };
  std::vector<pid_t> pids(o.nproc, -1);
  LaunchResult r;
  r.codes.assign(o.nproc, -1);
  auto kill_all = [&](int sig) {
    for (int k = 0; k < o.nproc; ++k)
      if (pids[k] > 0 && r.codes[k] < 0) ::kill(pids[k], sig);
  };
  for (int rank = 0; rank < o.nproc; ++rank) {
    std::vector<std::pair<std::string, std::string>> set = o.env;
    set.insert(set.end(), {{"RANK", std::to_string(rank)},
                           {"LOCAL_RANK", std::to_string(rank)},
                           {"WORLD_SIZE", std::to_string(o.nproc)},
                           {"LOCAL_WORLD_SIZE", std::to_string(o.nproc)},
                           {"GROUP_RANK", "0"},
                           {"MASTER_ADDR", o.master_addr},
                           {"MASTER_PORT", std::to_string(port)}});
    auto envs = environment_with(set);
    auto args = argv;
    auto c_env = c_strings(envs);
    auto c_args = c_strings(args);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    if (!o.log_dir.empty()) {
      const std::string log = o.log_dir + "/rank" + std::to_string(rank) + ".log";
      posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      posix_spawn_file_actions_adddup2(&fa, 1, 2);
    }
    pid_t pid = -1;
    const int err = argv[0].find('/') == std::string::npos
                        ? posix_spawnp(&pid, argv[0].c_str(), &fa, nullptr, c_args.data(), c_env.data())
                        : posix_spawn(&pid, argv[0].c_str(), &fa, nullptr, c_args.data(), c_env.data());
    posix_spawn_file_actions_destroy(&fa);
    if (err != 0) {
      kill_all(SIGTERM);
      for (int k = 0; k < rank; ++k) ::waitpid(pids[k], nullptr, 0);
      restore();
      fail("launch: cannot start '{}' for rank {} ({})", argv[0], rank, std::strerror(err));
    }
    pids[rank] = pid;
  }

  int running = o.nproc;
  double failed_at = -1;
  bool terminated = false, killed = false;
  int forwarded = 0;
  while (running > 0) {
    bool any = false;
    for (int k = 0; k < o.nproc; ++k) {
      if (r.codes[k] >= 0) continue;
      int status = 0;
      if (::waitpid(pids[k], &status, WNOHANG) == pids[k]) {
        r.codes[k] = exit_code_of(status);
        --running;
        any = true;
        if (r.codes[k] != 0 && r.failed_rank < 0) {
          r.failed_rank = k;
          r.exit_code = r.codes[k];
          failed_at = seconds();
          if (running > 0)
            spdlog::warn("launch: rank {} failed (exit code {}); the other ranks have {} s to stop", k, r.codes[k],
                         o.grace_s);
        }
      }
    }
    if (g_signal != 0 && forwarded != g_signal) {
      forwarded = g_signal;
      kill_all(forwarded);
    }
    if (failed_at >= 0 && running > 0) {
      if (!terminated && seconds() - failed_at >= o.grace_s) {
        kill_all(SIGTERM);
        terminated = true;
      } else if (terminated && !killed && seconds() - failed_at >= o.grace_s + 10) {
        kill_all(SIGKILL);
        killed = true;
      }
    }
    if (!any && running > 0) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  restore();
  r.seconds = seconds();
  return r;
}

}  // namespace hnn::train::dist
