"""Hybrid-unit presets from Python: shapes and values of the designed ones, and the learnable
ones training through their shared parameters."""
import pytest
import torch

import hnn


def test_rate_encoder_and_decoder():
    x = torch.rand(4, 5)
    spikes = hnn.hu.rate_encoder(6)(x)
    assert spikes.shape == (6, 4, 5)
    torch.testing.assert_close(spikes, x.expand(6, 4, 5))
    s = (torch.rand(10, 4, 5) < 0.3).float()
    torch.testing.assert_close(hnn.hu.rate_decoder(squeeze=True)(s), s.mean(0))
    torch.testing.assert_close(hnn.hu.count_decoder(window=5)(s), s.view(2, 5, 4, 5).sum(1))


def test_poisson_encoder_follows_torch_seed():
    x = torch.rand(3, 8)
    enc = hnn.hu.poisson_encoder(16)
    torch.manual_seed(5)
    a = enc(x)
    torch.manual_seed(5)
    b = enc(x)
    assert a.shape == (16, 3, 8)
    assert set(a.unique().tolist()) <= {0.0, 1.0}
    torch.testing.assert_close(a, b)


def test_presets_by_name():
    names = hnn.hu.preset_names()
    assert {"rate", "poisson", "rate_decoder", "threshold_modulator"} <= set(names)
    unit = hnn.hu.make_preset("rate_decoder", steps=8)
    assert unit.direction == "SNN->ANN"
    assert "rate_decoder" in unit.name
    with pytest.raises(hnn.Error):
        hnn.hu.make_preset("no-such-unit")


def test_learnable_window_decoder_trains():
    torch.manual_seed(0)
    dec = hnn.hu.learnable_window_decoder(window=8, squeeze=True)
    params = list(dec.parameters())
    assert params and all(p.requires_grad for p in params)
    s = (torch.rand(8, 16, 4) < 0.4).float()
    target = s[:4].mean(0)  # the rate of the first half only: the kernel has to learn it
    opt = torch.optim.Adam(dec.parameters(), lr=0.05)
    first = None
    for _ in range(100):
        loss = torch.nn.functional.mse_loss(dec(s), target)
        first = first if first is not None else loss.item()
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert loss.item() < 0.3 * first
    # The state dict round-trips into a fresh unit (the C++ tensors are updated in place).
    fresh = hnn.hu.learnable_window_decoder(window=8, squeeze=True)
    fresh.load_state_dict(dec.state_dict())
    torch.testing.assert_close(fresh(s), dec(s))
    dec.freeze()
    assert not any(p.requires_grad for p in dec.parameters())


def test_threshold_modulator_drives_a_neuron():
    torch.manual_seed(1)
    mod = hnn.hu.threshold_modulator(3, 5)
    lif = hnn.Lif(surrogate="sigmoid")
    features = torch.rand(2, 3)
    theta = mod(features)
    assert theta.shape == (2, 5)
    s = lif(torch.rand(10, 2, 5) * 2, threshold=theta)
    s.sum().backward()
    assert all(p.grad is not None for p in mod.parameters())
    assert mod.double()(features.double()).dtype == torch.float64
