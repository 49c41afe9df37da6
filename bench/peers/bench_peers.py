#!/usr/bin/env python3
"""One LIF layer in hnn and in its peers, timed in one interleaved run on this CPU.

Every framework runs the same neuron on the same input x [T, B, N] (float32): the LIF ODE form
v <- v + (x - v) / 2 (tau = 2), threshold 1, hard reset to 0, with the same surrogate gradient
(rect: width 1 and height 1; sigmoid: alpha 4; arctan: alpha 2):

  hnn fused      hnn.multistep (the fused C++ kernel)
  hnn bf16       the same with saved_state="bfloat16" (the backward's membrane in half the bytes)
  hnn loop       hnn.multistep_loop (hnn's per-step LibTorch loop, the fallback for other
                 devices and custom neurons)
  minimal loop   the shortest correct PyTorch loop: a Python loop over x.unbind(0) with a
                 torch.autograd.Function for the spike
  SpikingJelly   LIFNode(tau=2, decay_input=True, v_reset=0), step_mode="m", backend="torch"
  Norse          LIFBox (dt / tau = 0.5); Norse has none of the three surrogates, so the
                 benchmark's spike function replaces its `threshold` call (its dynamics and loop
                 are untouched)
  snnTorch       Leaky(beta=0.5, reset_mechanism="zero"), its documented Python loop over T; it
                 integrates v <- beta v + x, so it runs on 0.5 x (the same neuron) and the
                 halving is inside its timing

Each repetition calls every framework once, in an order that rotates, after warm-up calls; the
tables give medians. Forward runs under torch.no_grad(); forward+backward is y = f(x) with x
requiring grad, then y.backward(g). "memcpy" is torch's copy of as many bytes as the fused kernel
must move (forward alone, inference: read x, write the spikes; forward+backward: the forward also
writes the saved membrane, the backward reads it and the spike gradient and writes the input
gradient), timed in the same rotation: %memcpy = memcpy time / hnn fused time. Peak memory is the most memory in use during a call, counted
by hnn's caching allocator (installed as LibTorch's CPU allocator for every framework: fresh
memory is slow to fault in on some machines): every block, large ones rounded up to 2 MiB.

The peers are read from ../shared/peers (never part of hnn). With Debian's python3-torch:

    P=../shared/peers
    PYTHONPATH=build/python:$P/norse:$P/spikingjelly-torch1.13:$P/snntorch \\
        /usr/bin/python3 bench/peers/bench_peers.py

Options: --shapes 64x32x4096,500x16x16384  --surrogates rect,sigmoid,arctan
--passes forward,backward  --frameworks (a comma-separated subset)  --reps 5  --warmup 2
--threads 2  --max-seconds 20 (a framework whose warm-up call takes longer is timed once)
--markdown FILE (also write the tables there).
"""
import argparse
import math
import os
import statistics
import sys
import time

import torch

import hnn

SURROGATES = {"rect": ("rect:1", 1.0), "sigmoid": ("sigmoid:4", 4.0), "arctan": ("arctan:2", 2.0)}


def surrogate_grad(kind, alpha, x):
    """The surrogate derivative at x = membrane - threshold, the same formulas as hnn's."""
    if kind == "rect":
        return (x.abs() < alpha / 2).to(x.dtype) / alpha
    if kind == "sigmoid":
        s = torch.sigmoid(alpha * x)
        return alpha * s * (1 - s)
    return (alpha / 2) / (1 + (math.pi / 2 * alpha * x) ** 2)


class Spike(torch.autograd.Function):
    """Heaviside forward (x > 0), surrogate derivative backward."""

    @staticmethod
    def forward(ctx, x, kind, alpha):
        ctx.save_for_backward(x)
        ctx.kind, ctx.alpha = kind, alpha
        return (x > 0).to(x.dtype)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * surrogate_grad(ctx.kind, ctx.alpha, x), None, None


def hnn_fused(kind, alpha, name):
    return lambda x: hnn.multistep(x, charge="lif_ode", reset="hard", surrogate=name)


def hnn_fused_bf16(kind, alpha, name):
    return lambda x: hnn.multistep(x, charge="lif_ode", reset="hard", surrogate=name,
                                   saved_state="bfloat16")


def hnn_loop(kind, alpha, name):
    return lambda x: hnn.multistep_loop(x, charge="lif_ode", reset="hard", surrogate=name)


def minimal_loop(kind, alpha, name):
    def run(x):
        v = torch.zeros_like(x[0])
        out = []
        for xt in x.unbind(0):
            h = v + (xt - v) * 0.5
            s = Spike.apply(h - 1.0, kind, alpha)
            v = h * (1 - s)
            out.append(s)
        return torch.stack(out)
    return run


def spikingjelly(kind, alpha, name):
    from spikingjelly.activation_based import neuron, surrogate
    fn = {"rect": lambda: surrogate.PiecewiseLeakyReLU(w=alpha / 2, c=0.0),
          "sigmoid": lambda: surrogate.Sigmoid(alpha=alpha),
          "arctan": lambda: surrogate.ATan(alpha=alpha)}[kind]()
    node = neuron.LIFNode(tau=2.0, decay_input=True, v_threshold=1.0, v_reset=0.0,
                          surrogate_function=fn, detach_reset=False, step_mode="m",
                          backend="torch")

    def run(x):
        node.reset()
        return node(x)
    return run


def norse(kind, alpha, name):
    import norse.torch.functional.lif_box as lif_box
    from norse.torch.functional.lif_box import LIFBoxParameters
    from norse.torch.module.lif_box import LIFBox
    # Norse's own threshold dispatches on a method name; ours adds the three surrogates.
    lif_box.threshold = lambda x, method, a: Spike.apply(x, kind, alpha)
    p = LIFBoxParameters(tau_mem_inv=torch.as_tensor(500.0), v_leak=torch.as_tensor(0.0),
                         v_th=torch.as_tensor(1.0), v_reset=torch.as_tensor(0.0),
                         method="benchmark", alpha=alpha)
    node = LIFBox(p, dt=0.001)  # dt / tau = 0.5
    return lambda x: node(x)[0]


def snntorch(kind, alpha, name):
    import snntorch as snn
    from snntorch import surrogate
    grad = {"rect": lambda: surrogate.custom_surrogate(
                lambda x, g, s: g * surrogate_grad("rect", alpha, x)),
            "sigmoid": lambda: surrogate.sigmoid(slope=alpha),
            "arctan": lambda: surrogate.atan(alpha=alpha)}[kind]()
    node = snn.Leaky(beta=0.5, threshold=1.0, spike_grad=grad, reset_mechanism="zero")

    def run(x):
        mem = node.reset_mem()
        out = []
        for xt in (0.5 * x).unbind(0):  # v <- 0.5 v + 0.5 x: the LIF ODE form with tau 2
            spk, mem = node(xt, mem)
            out.append(spk)
        return torch.stack(out)
    return run


FRAMEWORKS = [("hnn fused", hnn_fused), ("hnn bf16", hnn_fused_bf16), ("hnn loop", hnn_loop),
              ("minimal loop", minimal_loop),
              ("SpikingJelly", spikingjelly), ("Norse", norse), ("snnTorch", snntorch)]
PEERS = ("SpikingJelly", "Norse", "snnTorch")


def call(f, x, gy, backward):
    if backward:
        x.grad = None
        f(x).backward(gy)
    else:
        with torch.no_grad():
            f(x)


def measure(f, x, gy, backward):
    """Seconds and peak bytes of one call."""
    before = hnn.allocator_stats()["in_use_bytes"]
    hnn.reset_peak_memory()
    t0 = time.perf_counter()
    call(f, x, gy, backward)
    dt = time.perf_counter() - t0
    return dt, hnn.allocator_stats()["peak_in_use_bytes"] - before


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__.split("\n", 2)[2])
    ap.add_argument("--shapes", default="64x32x4096,500x16x16384")
    ap.add_argument("--surrogates", default="rect,sigmoid,arctan")
    ap.add_argument("--passes", default="forward,backward",
                    help="forward, backward (= forward+backward)")
    ap.add_argument("--frameworks", default="all",
                    help="subset of: " + ", ".join(n for n, _ in FRAMEWORKS))
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--max-seconds", type=float, default=20.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--markdown", default="")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    hnn.install_caching_allocator()
    wanted = None if args.frameworks == "all" else [w.strip().lower() for w in args.frameworks.split(",")]
    chosen = [(n, m) for n, m in FRAMEWORKS if wanted is None or n.lower() in wanted]
    lines = [f"torch {torch.__version__}, {torch.get_num_threads()} threads, hnn kernel "
             f"{hnn.fused_kernel_isa()}, float32, x ~ U(0, 1.5) (seed {args.seed}), medians of "
             f"{args.reps} after {args.warmup} warm-up calls (one timed call where the warm-up "
             f"took over {args.max_seconds:g} s: marked *)", ""]
    names = [n for n, _ in chosen]
    head = ("| shape | surrogate | pass | memcpy | " + " | ".join(names) +
            " | %memcpy | fastest peer / hnn fused | minimal loop / hnn loop |")
    times_rows, mem_rows, spike_rows = [], [], []
    for shape in args.shapes.split(","):
        T, B, N = (int(v) for v in shape.split("x"))
        torch.manual_seed(args.seed)
        x = torch.rand(T, B, N) * 1.5
        gy = torch.rand(T, B, N)
        for sname in args.surrogates.split(","):
            hname, alpha = SURROGATES[sname]
            fns = []
            for n, make in chosen:
                try:
                    fns.append((n, make(sname, alpha, hname)))
                except ImportError as e:
                    print(f"skipping {n}: {e}", file=sys.stderr)
            counts = {}
            for n, f in fns:
                with torch.no_grad():
                    counts[n] = int(f(x).sum().item())
            spike_rows.append(f"| {shape} | {sname} | " +
                              " | ".join(f"{counts.get(n, float('nan')):,}" for n in names) + " |")
            for p in args.passes.split(","):
                backward = p.startswith("b")
                xin = x.clone().requires_grad_() if backward else x
                src = torch.ones((6 if backward else 2) * T * B * N // 2)
                dst = torch.empty_like(src)
                jobs = [("memcpy", lambda a, b, c: dst.copy_(src))] + fns
                samples = {n: [] for n, _ in jobs}
                peaks = {n: 0 for n, _ in jobs}
                slow = set()
                for i in range(args.warmup + args.reps):
                    order = jobs[i % len(jobs):] + jobs[:i % len(jobs)]
                    for n, f in order:
                        if n in slow and samples[n]:
                            continue
                        if n == "memcpy":
                            t0 = time.perf_counter()
                            dst.copy_(src)
                            dt, peak = time.perf_counter() - t0, 0
                        else:
                            dt, peak = measure(f, xin, gy, backward)
                        if i < args.warmup:
                            if dt > args.max_seconds:
                                slow.add(n)
                            continue
                        samples[n].append(dt)
                        peaks[n] = max(peaks[n], peak)
                med = {n: statistics.median(v) * 1e3 for n, v in samples.items() if v}
                label = "forward+backward" if backward else "forward"

                def cell(n):
                    if n not in med:
                        return "—"
                    return f"{med[n]:,.1f}" + ("*" if n in slow else "")
                peer_ms = [med[n] for n in PEERS if n in med]
                fused = med.get("hnn fused")
                ratio = f"{min(peer_ms) / fused:.1f}x" if peer_ms and fused else "—"
                pct = f"{100 * med['memcpy'] / fused:.0f}%" if fused else "—"
                loop = (f"{med['minimal loop'] / med['hnn loop']:.2f}"
                        if "minimal loop" in med and "hnn loop" in med else "—")
                row = (f"| {shape} | {sname} | {label} | {med['memcpy']:.1f} | " +
                       " | ".join(cell(n) for n in names) + f" | {pct} | {ratio} | {loop} |")
                times_rows.append(row)
                mem_rows.append(f"| {shape} | {sname} | {label} | " +
                                " | ".join(f"{peaks[n] / 2**20:,.0f}" if n in med else "—"
                                           for n in names) + " |")
                print(row, flush=True)
                del xin, src, dst
    out = lines + ["Median milliseconds per call:", "", head,
                   "|---|---|---|" + "---:|" * (len(names) + 4)] + times_rows
    out += ["", "Peak memory in use during a call, MiB (the input excluded):", "",
            "| shape | surrogate | pass | " + " | ".join(names) + " |",
            "|---|---|---|" + "---:|" * len(names)] + mem_rows
    out += ["", "Spikes in the forward pass (the same neuron gives the same count; SpikingJelly "
            "fires on >=, the others on >):", "",
            "| shape | surrogate | " + " | ".join(names) + " |",
            "|---|---|" + "---:|" * len(names)] + spike_rows
    text = "\n".join(out)
    print()
    print(text)
    if args.markdown:
        with open(args.markdown, "w") as fh:
            fh.write(text + "\n")


if __name__ == "__main__":
    main()
