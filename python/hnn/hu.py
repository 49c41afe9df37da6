"""Hybrid units (Zhao et al. 2022): the presets of the C++ library as torch.nn.Modules.

ANN to SNN, x [B, ...] -> [T, B, ...]: rate_encoder, poisson_encoder, latency_encoder,
population_encoder ([T, B, ..., P]), delta_encoder ([T, B, ...] -> events), learnable_sampler.
SNN to ANN, spikes [T, B, ...] -> [K, B, ...] per window (window 0: whole sequence, [1, B, ...],
or [B, ...] with squeeze=True): rate_decoder, count_decoder, trace_decoder,
first_spike_decoder, learnable_window_decoder, integrator_decoder.
Modulation, features [B, F] -> parameter tensors [B, out]: threshold_modulator, spike_gate,
weight_scale (e.g. ``lif(x, threshold=modulator(features))``).

The module shares the C++ unit's tensors: its parameters() are the unit's own, so optimisers,
state_dict() and load_state_dict() act on the C++ unit directly.
"""
import functools

import torch
from torch import nn

from . import _C

_hu = _C.hu


class HybridUnit(nn.Module):
    """A C++ hybrid unit (``hnn._C._HybridUnit``) as a torch.nn.Module."""

    def __init__(self, unit):
        super().__init__()
        self.unit = unit
        self.unit.train(self.training)
        self._share()

    def _share(self):
        # The unit's tensors themselves (not copies), so gradients and updates reach C++. Their
        # dotted names (window.weight) become window_weight.
        self._parameters.clear()
        self._buffers.clear()
        for name, t in self.unit.named_parameters():
            self._parameters[name.replace(".", "_")] = t
        for name, t in self.unit.named_buffers():
            self._buffers[name.replace(".", "_")] = t

    def forward(self, x):
        return self.unit.forward(x)

    @property
    def name(self):
        return self.unit.name

    @property
    def direction(self):
        return self.unit.direction

    def freeze(self, frozen=True):
        """Stops (or restarts) training of every part: train independently, then freeze."""
        self.unit.freeze(frozen)
        self._share()
        return self

    def learnable(self):
        return self.unit.learnable()

    def train(self, mode=True):
        super().train(mode)
        self.unit.train(mode)
        return self

    def _apply(self, fn):
        # .double(), .to(device), ...: the C++ module converts its tensors in place.
        self.unit.to_(fn(torch.zeros((), dtype=torch.get_default_dtype())))
        self._share()
        return self

    def extra_repr(self):
        return f"{self.unit.name}, {self.unit.direction}"


def _preset(factory):
    @functools.wraps(factory)
    def make(*args, **kwargs):
        return HybridUnit(factory(*args, **kwargs))
    return make


rate_encoder = _preset(_hu.rate_encoder)
poisson_encoder = _preset(_hu.poisson_encoder)
latency_encoder = _preset(_hu.latency_encoder)
population_encoder = _preset(_hu.population_encoder)
delta_encoder = _preset(_hu.delta_encoder)
learnable_sampler = _preset(_hu.learnable_sampler)
rate_decoder = _preset(_hu.rate_decoder)
count_decoder = _preset(_hu.count_decoder)
trace_decoder = _preset(_hu.trace_decoder)
first_spike_decoder = _preset(_hu.first_spike_decoder)
learnable_window_decoder = _preset(_hu.learnable_window_decoder)
integrator_decoder = _preset(_hu.integrator_decoder)
threshold_modulator = _preset(_hu.threshold_modulator)
spike_gate = _preset(_hu.spike_gate)
weight_scale = _preset(_hu.weight_scale)
make_preset = _preset(_hu.make_preset)
preset_names = _hu.preset_names
