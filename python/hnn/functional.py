"""The functional neuron: one step and whole sequences [T, B, ...], calling the C++ library.

Every neuron is charge -> fire -> reset (see include/hnn/spike/neuron.h):

* charge ``"if"``: h = v + x; ``"lif_ode"``: h = v + decay (x - (v - v_rest)) with decay = 1/tau;
  ``"lif_decay"``: h = decay v + x
* fire: s = H(h - theta) forward, the surrogate's derivative backward; ``adaptive`` (ALIF):
  theta_t = threshold + beta a, a = rho a + (1 - rho) s
* reset ``"hard"``: v = h (1 - s) + v_reset s; ``"soft"``: v = h - theta s; ``"none"``: v = h

Parameters are numbers or tensors broadcast against one step [B, ...] (scalar, per channel,
per neuron); a threshold with as many dimensions as x varies per step. None takes the library's
default (threshold 1, decay 0.5, v_reset 0, v_rest 0, rho 0.9, beta 0.5). Gradients flow to x,
to the initial state and to every parameter tensor that requires them (a v_reset or v_rest that
requires grad runs the per-step loop, whose autograd computes them).
"""
from typing import NamedTuple, Optional

import torch

from . import _C

_PARAMS = ("threshold", "decay", "v_reset", "v_rest", "rho", "beta")


class NeuronState(NamedTuple):
    v: torch.Tensor                    # membrane [B, ...]
    a: Optional[torch.Tensor] = None   # adaptation trace (adaptive neurons)


def _as_tensor(value, like):
    if value is None or isinstance(value, torch.Tensor):
        return value
    return torch.tensor(float(value), dtype=like.dtype, device=like.device)


def _call(fn, x, state, params, spec, **extra):
    kwargs = {name: _as_tensor(params[name], x) for name in _PARAMS}
    if state is not None:
        kwargs["v"] = state[0]
        kwargs["a"] = state[1] if len(state) > 1 else None
    return fn(x, **kwargs, **spec, **extra)


def _spec(charge, reset, surrogate, detach_reset, inclusive, adaptive):
    return dict(charge=charge, reset=reset, surrogate=surrogate, detach_reset=detach_reset,
                inclusive=inclusive, adaptive=adaptive)


def _sequence(fn, x, state, params, spec, return_membrane, return_state, **extra):
    spikes, membrane, v, a = _call(fn, x, state, params, spec, want_membrane=return_membrane,
                                   **extra)
    out = (spikes,)
    if return_membrane:
        out += (membrane,)
    if return_state:
        out += (NeuronState(v, a),)
    return out[0] if len(out) == 1 else out


def multistep(x, threshold=None, decay=None, v_reset=None, v_rest=None, rho=None, beta=None, *,
              charge="lif_decay", reset="hard", surrogate="rect", detach_reset=False,
              inclusive=False, adaptive=False, state=None, return_membrane=False,
              return_state=False, saved_state="full"):
    """A sequence x [T, B, ...] through the fused C++ kernel (float or double CPU tensors; other
    devices and types run the per-step loop). Returns spikes [T, B, ...], followed by the
    membrane [T, B, ...] (``return_membrane``) and the final ``NeuronState``
    (``return_state``). ``state`` (a NeuronState or (v, a)) continues a sequence; None starts
    from v = v_reset. ``saved_state="bfloat16"`` keeps the membrane the backward needs in half
    the bytes (float inputs; the forward is unchanged, see docs/spiking.md)."""
    params = dict(threshold=threshold, decay=decay, v_reset=v_reset, v_rest=v_rest, rho=rho,
                  beta=beta)
    return _sequence(_C.multistep, x, state, params,
                     _spec(charge, reset, surrogate, detach_reset, inclusive, adaptive),
                     return_membrane, return_state, saved_state=saved_state)


def multistep_loop(x, threshold=None, decay=None, v_reset=None, v_rest=None, rho=None, beta=None,
                   *, charge="lif_decay", reset="hard", surrogate="rect", detach_reset=False,
                   inclusive=False, adaptive=False, state=None, return_membrane=False,
                   return_state=False):
    """The same as ``multistep`` through the library's plain per-step loop (the reference)."""
    params = dict(threshold=threshold, decay=decay, v_reset=v_reset, v_rest=v_rest, rho=rho,
                  beta=beta)
    return _sequence(_C.multistep_loop, x, state, params,
                     _spec(charge, reset, surrogate, detach_reset, inclusive, adaptive),
                     return_membrane, return_state)


def step(x, state=None, threshold=None, decay=None, v_reset=None, v_rest=None, rho=None,
         beta=None, *, charge="lif_decay", reset="hard", surrogate="rect", detach_reset=False,
         inclusive=False, adaptive=False):
    """One time step x [B, ...] from ``state`` (None: v = v_reset).
    Returns (spikes, NeuronState)."""
    params = dict(threshold=threshold, decay=decay, v_reset=v_reset, v_rest=v_rest, rho=rho,
                  beta=beta)
    spikes, _, _, v, a = _call(_C.step, x, state, params,
                               _spec(charge, reset, surrogate, detach_reset, inclusive, adaptive))
    return spikes, NeuronState(v, a)


def spike(x, surrogate="rect", inclusive=False):
    """Heaviside(x) (x > 0, or x >= 0 when inclusive) with the surrogate's derivative backward.
    ``surrogate``: "rect", "sigmoid", "arctan", "fast_sigmoid" (alias "superspike"),
    "triangle", optionally with ":alpha", e.g. "sigmoid:4"."""
    return _C.spike(x, surrogate, inclusive)


def surrogate_grad(x, surrogate="rect"):
    """The surrogate derivative at x, elementwise."""
    return _C.surrogate_grad(x, surrogate)
