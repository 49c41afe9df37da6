#!/usr/bin/env python3
"""hnn's LIF from Python against the LIF neurons of SpikingJelly (torch backend), Norse and
snnTorch, on this CPU, in one run: forward (no grad) and forward+backward at [T, B, N].

Each peer is timed against hnn configured as the same neuron (same dynamics, reset and surrogate),
alternating the two call by call, after warm-up; the table gives medians, the ratio peer / hnn of
the medians (> 1: hnn is faster) and the minima (fresh memory faulting in, which is erratic on
some machines, inflates single calls). The peers' sources are read from ../shared/peers (not
part of hnn; never committed). With Debian's python3 (the one with python3-torch):

    P=../shared/peers
    PYTHONPATH=build/python:$P/norse:$P/spikingjelly-torch1.13:$P/snntorch \
        /usr/bin/python3 bench/python/bench_peers.py

Options: --shapes 64x32x4096,500x16x16384  --reps 5  --warmup 2  --threads N (default: the
CPU count, as the hnn command does; the same for every framework)  --no-caching-allocator.

Fresh memory is slow to fault in on some machines (~15 us per 4 KiB page), which would time the
kernel's page faults rather than its work. So, as the hnn command does, the run installs hnn's
caching CPU allocator as LibTorch's: process-wide, so the peers' tensors come from it too.
"""
import argparse
import os
import statistics
import sys
import time

import torch

import hnn


def spikingjelly_lif():
    from spikingjelly.activation_based import neuron, surrogate
    node = neuron.LIFNode(tau=2.0, decay_input=True, v_threshold=1.0, v_reset=0.0,
                          surrogate_function=surrogate.Sigmoid(alpha=4.0), detach_reset=False,
                          step_mode="m", backend="torch")

    def run(x):
        node.reset()
        return node(x)
    # H = V + (X - (V - V_reset)) / tau, hard reset to 0, sigmoid surrogate (alpha 4).
    return run, hnn.Lif(tau=2.0, reset="hard", surrogate="sigmoid:4")


def norse_lif():
    from norse.torch.module.lif_box import LIFBox
    from norse.torch.functional.lif_box import LIFBoxParameters
    p = LIFBoxParameters(tau_mem_inv=torch.as_tensor(500.0), v_leak=torch.as_tensor(0.0),
                         v_th=torch.as_tensor(1.0), v_reset=torch.as_tensor(0.0),
                         method="triangle", alpha=1.0)
    node = LIFBox(p, dt=0.001)  # dt / tau = 0.5: v += 0.5 (x - v)

    def run(x):
        return node(x)[0]
    # The same ODE with tau = 2 steps, hard reset, triangle surrogate relu(1 - |x|). (Norse's
    # SuperSpike uses torch 2's setup_context and does not run on torch 1.13.)
    return run, hnn.Lif(tau=2.0, reset="hard", surrogate="triangle:1")


def snntorch_lif():
    import snntorch
    from snntorch import surrogate
    node = snntorch.Leaky(beta=0.5, threshold=1.0, spike_grad=surrogate.fast_sigmoid(slope=25),
                          reset_mechanism="zero")

    def run(x):
        mem = node.reset_mem()
        out = []
        for xt in x:  # snnTorch's documented way: a Python loop over time
            spk, mem = node(xt, mem)
            out.append(spk)
        return torch.stack(out)
    # mem = beta (1 - s_prev) mem + x (reset to zero, detached), fast-sigmoid surrogate (slope 25).
    return run, hnn.LifDecay(decay=0.5, reset="hard", detach_reset=True,
                             surrogate="fast_sigmoid:25")


PEERS = [("SpikingJelly (torch)", spikingjelly_lif), ("Norse (LIFBox)", norse_lif),
         ("snnTorch (Leaky)", snntorch_lif)]


def timed(fn):
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def bench_pair(peer, ours, x, mode, warmup, reps):
    """Median and minimum seconds of (peer, hnn), alternating the two."""
    if mode == "forward":
        def call(f):
            with torch.no_grad():
                f(x)
    else:
        xg = x.clone().requires_grad_()
        gy = torch.rand_like(x)

        def call(f):
            xg.grad = None
            f(xg).backward(gy)
    times = {0: [], 1: []}
    for i in range(warmup + reps):
        for k, f in ((0, peer), (1, ours)):
            t = timed(lambda: call(f))
            if i >= warmup:
                times[k].append(t)
    return [(statistics.median(times[k]), min(times[k])) for k in (0, 1)]


def agreement(peer, ours, x):
    with torch.no_grad():
        a, b = peer(x), ours(x)
    return (a == b).float().mean().item(), b.mean().item()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--shapes", default="64x32x4096,500x16x16384")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--no-caching-allocator", action="store_true")
    ap.add_argument("--peers", default="all",
                    help="comma-separated subset: spikingjelly,norse,snntorch")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    if not args.no_caching_allocator:
        hnn.install_caching_allocator()
    wanted = None if args.peers == "all" else args.peers.lower().split(",")
    peers = []
    for name, make in PEERS:
        if wanted and not any(w in name.lower() for w in wanted):
            continue
        try:
            peers.append((name, *make()))
        except ImportError as e:
            print(f"skipping {name}: {e}", file=sys.stderr)
    alloc = "hnn caching" if hnn.caching_allocator_installed() else "LibTorch default"
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, hnn kernel ISA "
          f"{hnn.fused_kernel_isa()}, {alloc} CPU allocator; medians of {args.reps} after "
          f"{args.warmup} warm-up calls, float32, input x ~ U(0, 1.5)")
    print()
    print("| shape [T, B, N] | peer | pass | peer ms | hnn ms | peer / hnn | min: peer / hnn ms "
          "| spikes equal | rate |")
    print("|---|---|---|---:|---:|---:|---:|---:|---:|")
    for shape in args.shapes.split(","):
        T, B, N = (int(v) for v in shape.split("x"))
        torch.manual_seed(0)
        x = torch.rand(T, B, N) * 1.5
        for name, peer, ours in peers:
            same, rate = agreement(peer, ours, x[: min(T, 64)])
            for mode in ("forward", "forward+backward"):
                (tp, mp), (th, mh) = bench_pair(peer, ours, x, mode, args.warmup, args.reps)
                print(f"| {T}x{B}x{N} | {name} | {mode} | {tp * 1e3:.1f} | {th * 1e3:.1f} | "
                      f"{tp / th:.1f} | {mp * 1e3:.1f} / {mh * 1e3:.1f} | {same:.4f} | "
                      f"{rate:.3f} |",
                      flush=True)


if __name__ == "__main__":
    main()
