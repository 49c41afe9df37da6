"""Neurons as torch.nn.Modules: each holds its parameters (nn.Parameter when learned, a buffer
otherwise) and calls the fused C++ kernel (``hnn.multistep``) on a sequence [T, B, ...].

    lif = hnn.Lif(tau=2.0, threshold=1.0, reset="soft", surrogate="sigmoid:4")
    spikes = lif(x)                              # x [T, B, ...] -> spikes [T, B, ...]
    spikes = lif(x, threshold=theta)             # a parameter replaced for this call (modulation)
"""
import math

import torch
from torch import nn

from . import functional as F


class Neuron(nn.Module):
    """A spiking neuron layer. ``charge`` is "if", "lif_ode" or "lif_decay"; ``reset`` "hard",
    "soft" or "none"; ``surrogate`` e.g. "rect", "sigmoid:4". ``threshold_shape`` and
    ``decay_shape`` shape those parameters (broadcast against one step [B, ...]: () scalar,
    (C, 1, 1) per channel, (N,) per neuron). ``learn`` names the learned parameters, e.g.
    ("threshold", "decay"); the others are buffers. ``decay_sigmoid`` stores logit(decay) and
    uses sigmoid of it (PLIF). ``output`` is "spikes", "membrane" or "both" (a tuple).
    ``stateful``: forward() continues from the previous call's state (reset_state() clears it).
    ``saved_state="bfloat16"``: the fused kernel keeps the membrane for the backward in half the
    bytes (see hnn.multistep).
    """

    def __init__(self, charge="lif_decay", reset="hard", surrogate="rect", threshold=1.0,
                 decay=0.5, v_reset=0.0, v_rest=0.0, rho=0.9, beta=0.5, *, detach_reset=False,
                 inclusive=False, adaptive=False, decay_sigmoid=False, learn=(),
                 threshold_shape=(), decay_shape=(), output="spikes", stateful=False,
                 saved_state="full"):
        super().__init__()
        if output not in ("spikes", "membrane", "both"):
            raise ValueError(f"output '{output}': expected spikes, membrane or both")
        learn = set(learn)
        unknown = learn - set(F._PARAMS)
        if unknown:
            raise ValueError(f"learn: unknown parameters {sorted(unknown)} "
                             f"(expected some of {', '.join(F._PARAMS)})")
        self.charge, self.reset, self.surrogate = charge, reset, surrogate
        self.detach_reset, self.inclusive, self.adaptive = detach_reset, inclusive, adaptive
        self.decay_sigmoid, self.output, self.stateful = decay_sigmoid, output, stateful
        if saved_state not in ("full", "bfloat16"):
            raise ValueError(f"saved_state '{saved_state}': expected full or bfloat16")
        self.saved_state = saved_state
        if decay_sigmoid:
            if not 0 < decay < 1:
                raise ValueError(f"a sigmoid-parametrised decay must lie in (0, 1), got {decay}")
            decay = math.log(decay / (1 - decay))
        values = dict(threshold=torch.full(tuple(threshold_shape), float(threshold)),
                      v_reset=torch.tensor(float(v_reset)))
        if charge != "if":
            values["decay"] = torch.full(tuple(decay_shape), float(decay))
        if charge == "lif_ode":
            values["v_rest"] = torch.tensor(float(v_rest))
        if adaptive:
            values["rho"] = torch.tensor(float(rho))
            values["beta"] = torch.tensor(float(beta))
        for name in F._PARAMS:
            if name in values:
                self.set_param(name, values[name], learn=name in learn)
            else:
                setattr(self, name, None)
        self.state = None

    def set_param(self, name, value, learn=False):
        """Replaces a parameter by ``value`` (any shape that broadcasts against one step),
        learned (an nn.Parameter) or a buffer."""
        if name not in F._PARAMS:
            raise ValueError(f"unknown neuron parameter '{name}'")
        value = torch.as_tensor(value).detach().clone()
        if not value.is_floating_point():
            value = value.to(torch.get_default_dtype())
        if hasattr(self, name):
            delattr(self, name)
        if learn:
            self.register_parameter(name, nn.Parameter(value))
        else:
            self.register_buffer(name, value)

    def params(self, **overrides):
        """The parameters as the functional code takes them (sigmoid applied for PLIF)."""
        p = {name: getattr(self, name) for name in F._PARAMS}
        if self.charge == "if":
            p["decay"] = None
        elif self.decay_sigmoid:
            p["decay"] = torch.sigmoid(p["decay"])
        for name, value in overrides.items():
            if name not in F._PARAMS:
                raise TypeError(f"unknown neuron parameter '{name}'")
            if value is not None:
                p[name] = value
        return p

    def spec(self):
        return F._spec(self.charge, self.reset, self.surrogate, self.detach_reset, self.inclusive,
                       self.adaptive)

    def run(self, x, state=None, **modulation):
        """x [T, B, ...] -> (spikes, membrane or None, final NeuronState), from ``state`` (None:
        v = v_reset). Keyword parameters replace the module's for this call."""
        spikes, membrane, v, a = F._call(F._C.multistep, x, state, self.params(**modulation),
                                         self.spec(), want_membrane=self.output != "spikes",
                                         saved_state=self.saved_state)
        return spikes, membrane, F.NeuronState(v, a)

    def forward(self, x, **modulation):
        if x.dim() < 2:
            raise ValueError(f"expected an input sequence [T, B, ...], got shape {tuple(x.shape)}")
        state = self.state if self.stateful else None
        if state is not None and tuple(state.v.shape) != tuple(x.shape[1:]):
            raise ValueError(f"the kept state is {tuple(state.v.shape)} but this input's steps are "
                             f"{tuple(x.shape[1:])}; call reset_state() first")
        spikes, membrane, state = self.run(x, state, **modulation)
        self.state = state if self.stateful else None
        return self._output(spikes, membrane)

    def step(self, x, **modulation):
        """One step x [B, ...] -> [B, ...]; always continues from (and keeps) the state."""
        spikes, membrane, self.state = self.run(x.unsqueeze(0), self.state, **modulation)
        return self._output(spikes[0], None if membrane is None else membrane[0])

    def _output(self, spikes, membrane):
        if self.output == "spikes":
            return spikes
        if self.output == "membrane":
            return membrane
        return spikes, membrane

    def reset_state(self):
        self.state = None

    def detach_state(self):
        if self.state is not None:
            self.state = F.NeuronState(*(t.detach() if t is not None else None
                                         for t in self.state))

    def extra_repr(self):
        parts = [f"charge={self.charge}", f"reset={self.reset}", f"surrogate={self.surrogate}"]
        for name in F._PARAMS:
            t = getattr(self, name)
            if t is None or (name == "decay" and self.charge == "if"):
                continue
            shown = f"{t.item():g}" if t.numel() == 1 else f"shape {tuple(t.shape)}"
            learned = "*" if isinstance(t, nn.Parameter) else ""
            parts.append(f"{name}{learned}={shown}")
        if self.adaptive:
            parts.append("adaptive")
        if self.stateful:
            parts.append("stateful")
        return ", ".join(parts)


def reset_states(module):
    """Clears the state of every hnn neuron in ``module`` (between sequences)."""
    for m in module.modules():
        if isinstance(m, Neuron):
            m.reset_state()


class IfNeuron(Neuron):
    """Integrate-and-fire: h = v + x."""

    def __init__(self, **kwargs):
        super().__init__(charge="if", **kwargs)


class Lif(Neuron):
    """Leaky integrate-and-fire, ODE form: h = v + (x - (v - v_rest)) / tau."""

    def __init__(self, tau=2.0, **kwargs):
        if tau <= 0:
            raise ValueError(f"tau must be positive, got {tau}")
        super().__init__(charge="lif_ode", decay=1.0 / tau, **kwargs)


class LifDecay(Neuron):
    """Leaky integrate-and-fire, decay form: h = decay v + x (the reference systems' form)."""

    def __init__(self, decay=0.5, **kwargs):
        super().__init__(charge="lif_decay", decay=decay, **kwargs)


class Plif(Neuron):
    """Parametric LIF: the ODE form with a learned tau (decay = sigmoid(w), w learned)."""

    def __init__(self, init_tau=2.0, learn=(), **kwargs):
        super().__init__(charge="lif_ode", decay=1.0 / init_tau, decay_sigmoid=True,
                         learn=set(learn) | {"decay"}, **kwargs)


class Alif(Neuron):
    """Adaptive LIF: the threshold rises by beta per unit of a spike trace decaying by rho."""

    def __init__(self, tau=2.0, rho=0.9, beta=0.5, **kwargs):
        super().__init__(charge="lif_ode", decay=1.0 / tau, rho=rho, beta=beta, adaptive=True,
                         **kwargs)
