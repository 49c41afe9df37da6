"""A plain PyTorch per-step neuron, written from the formulas of include/hnn/spike/neuron.h and
surrogate_math.h without hnn: the reference the fused kernel is checked against."""
import math

import torch

ALPHA = {"rect": 1.0, "sigmoid": 4.0, "arctan": 2.0, "fast_sigmoid": 25.0, "triangle": 1.0}


def surrogate_derivative(name, alpha, x):
    if name == "rect":
        return ((x < alpha / 2) & (x > -alpha / 2)).to(x.dtype) / alpha
    if name == "sigmoid":
        s = torch.sigmoid(alpha * x)
        return alpha * s * (1 - s)
    if name == "arctan":
        z = (math.pi / 2 * alpha) * x
        return (alpha / 2) / (1 + z * z)
    if name == "fast_sigmoid":
        return 1 / (1 + alpha * x.abs()) ** 2
    if name == "triangle":
        return torch.relu(1 - x.abs() / alpha) / alpha
    raise ValueError(name)


def parse(surrogate):
    name, _, alpha = surrogate.partition(":")
    return name, float(alpha) if alpha else ALPHA[name]


class Spike(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, name, alpha, inclusive):
        ctx.save_for_backward(x)
        ctx.name, ctx.alpha = name, alpha
        return (x >= 0 if inclusive else x > 0).to(x.dtype)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * surrogate_derivative(ctx.name, ctx.alpha, x), None, None, None


def spike(x, surrogate="rect", inclusive=False):
    name, alpha = parse(surrogate)
    return Spike.apply(x, name, alpha, inclusive)


def loop(x, threshold=1.0, decay=0.5, v_reset=0.0, v_rest=0.0, rho=0.9, beta=0.5,
         charge="lif_decay", reset="hard", surrogate="rect", detach_reset=False, inclusive=False,
         adaptive=False):
    """x [T, B, ...] -> (spikes, membrane) [T, B, ...]."""
    v = torch.zeros_like(x[0]) + v_reset
    a = torch.zeros_like(x[0])
    spikes, membrane = [], []
    for xt in x:
        if charge == "if":
            h = v + xt
        elif charge == "lif_decay":
            h = decay * v + xt
        else:
            h = v + (xt - (v - v_rest)) * decay
        theta = threshold + beta * a if adaptive else threshold
        s = spike(h - theta, surrogate, inclusive)
        sr = s.detach() if detach_reset else s
        if reset == "hard":
            v = h * (1 - sr) + v_reset * sr
        elif reset == "soft":
            v = h - theta * sr
        else:
            v = h
        if adaptive:
            a = rho * a + (1 - rho) * s
        spikes.append(s)
        membrane.append(v)
    return torch.stack(spikes), torch.stack(membrane)
