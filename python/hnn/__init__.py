"""hnn from Python: spiking neurons with fused LibTorch kernels, surrogate gradients, hybrid units
and event-camera files.

Sequences are time-major, ``[T, B, ...]``. The neurons are ``torch.nn.Module`` s and the
functional ``hnn.multistep`` is an autograd function, so they drop into any PyTorch model::

    import torch, hnn
    net = torch.nn.Sequential(torch.nn.Linear(100, 50), hnn.Lif(tau=2.0, surrogate="sigmoid:4"))
    spikes = net(torch.rand(16, 8, 100))        # [T=16, B=8, 100] -> [16, 8, 50]

The C++ core is the extension ``hnn._C``, built against Debian's python3-torch (the same libtorch
as the C++ library). Build tree: ``PYTHONPATH=build/python``.
"""
import torch  # noqa: F401  (first: the extension's tensor arguments need torch's types)

from . import _C  # noqa: F401
from ._C import (Error, allocator_stats, caching_allocator_installed, fused_kernel_isa,
                 has_fused_kernel, install_caching_allocator, release_cached_memory,
                 reset_peak_memory, surrogate_names)
from .functional import NeuronState, multistep, multistep_loop, spike, step, surrogate_grad
from .neurons import Alif, IfNeuron, Lif, LifDecay, Neuron, Plif, reset_states
from . import hu
from .events import Events, read_events, read_recording

__all__ = [
    "Alif", "Error", "Events", "IfNeuron", "Lif", "LifDecay", "Neuron", "NeuronState", "Plif",
    "allocator_stats", "caching_allocator_installed", "fused_kernel_isa", "has_fused_kernel", "hu",
    "install_caching_allocator", "multistep", "multistep_loop", "read_events",
    "release_cached_memory", "reset_peak_memory",
    "read_recording", "reset_states", "spike", "step", "surrogate_grad", "surrogate_names",
]
