"""The fused kernel from Python against a plain PyTorch per-step loop (reference.py): values and
gradients, for every charge, reset and surrogate; the modules against the functional form."""
import itertools

import pytest
import torch

import hnn
import reference

CHARGES = ["if", "lif_ode", "lif_decay"]
RESETS = ["hard", "soft", "none"]
SURROGATES = ["rect", "sigmoid", "arctan:3", "fast_sigmoid", "triangle:0.7"]


def close(a, b):
    torch.testing.assert_close(a, b, rtol=1e-9, atol=1e-10)


def inputs(shape=(7, 3, 6), seed=0):
    g = torch.Generator().manual_seed(seed)
    x = (torch.randn(shape, generator=g, dtype=torch.float64) * 0.8 + 0.5).requires_grad_()
    n = shape[-1]
    threshold = (1.0 + 0.2 * torch.rand(n, generator=g, dtype=torch.float64)).requires_grad_()
    decay = torch.tensor(0.6, dtype=torch.float64, requires_grad=True)
    return x, threshold, decay


def grads(outputs, tensors, seed=1):
    g = torch.Generator().manual_seed(seed)
    weights = [torch.randn(o.shape, generator=g, dtype=o.dtype) for o in outputs]
    loss = sum((o * w).sum() for o, w in zip(outputs, weights))
    return torch.autograd.grad(loss, tensors, allow_unused=True)


@pytest.mark.parametrize("charge,reset,surrogate", itertools.product(CHARGES, RESETS, SURROGATES))
def test_multistep_matches_plain_loop(charge, reset, surrogate):
    x, threshold, decay = inputs()
    spec = dict(charge=charge, reset=reset, surrogate=surrogate)
    s, v = hnn.multistep(x, threshold, decay, return_membrane=True, **spec)
    rs, rv = reference.loop(x, threshold, decay, **spec)
    assert s.shape == x.shape and 0 < s.sum() < s.numel()
    close(s, rs)
    close(v, rv)
    params = [x, threshold] + ([decay] if charge != "if" else [])
    for a, b in zip(grads([s, v], params), grads([rs, rv], params)):
        close(a, b)


@pytest.mark.parametrize("options", [
    dict(adaptive=True, charge="lif_ode", surrogate="sigmoid"),
    dict(detach_reset=True, reset="soft"),
    dict(detach_reset=True, reset="hard", surrogate="arctan"),
    dict(inclusive=True, charge="if", surrogate="triangle"),
])
def test_multistep_variants(options):
    x, threshold, decay = inputs(seed=3)
    # Integer-valued inputs make h == theta happen, where inclusive matters.
    if options.get("inclusive"):
        x = torch.randint(0, 2, x.shape).double().requires_grad_()
        threshold = torch.ones_like(threshold).requires_grad_()
    rho = torch.tensor(0.8, dtype=torch.float64, requires_grad=True)
    beta = torch.tensor(0.3, dtype=torch.float64, requires_grad=True)
    extra = dict(rho=rho, beta=beta) if options.get("adaptive") else {}
    s, v = hnn.multistep(x, threshold, decay, return_membrane=True, **extra, **options)
    rs, rv = reference.loop(x, threshold, decay, **extra, **options)
    close(s, rs)
    close(v, rv)
    params = [x, threshold] + ([] if options.get("charge") == "if" else [decay])
    params += list(extra.values())
    for a, b in zip(grads([s, v], params), grads([rs, rv], params)):
        close(a, b)


def test_learned_reset_values_run_the_loop_with_gradients():
    x, threshold, decay = inputs(seed=4)
    v_reset = torch.tensor(-0.2, dtype=torch.float64, requires_grad=True)
    v_rest = torch.full((6,), 0.1, dtype=torch.float64, requires_grad=True)
    spec = dict(charge="lif_ode", surrogate="sigmoid")
    s, v = hnn.multistep(x, threshold, decay, v_reset, v_rest, return_membrane=True, **spec)
    rs, rv = reference.loop(x, threshold, decay, v_reset, v_rest, **spec)
    close(v, rv)
    params = [x, threshold, decay, v_reset, v_rest]
    for a, b in zip(grads([s, v], params), grads([rs, rv], params)):
        close(a, b)


def test_float32_fused_matches_library_loop():
    torch.manual_seed(0)
    x = torch.randn(20, 8, 300) + 0.4
    assert hnn.has_fused_kernel(x)
    assert hnn.fused_kernel_isa() in ("avx512", "avx2", "sse2")
    s, v, st = hnn.multistep(x, 1.0, 0.7, return_membrane=True, return_state=True)
    ls, lv, lst = hnn.multistep_loop(x, 1.0, 0.7, return_membrane=True, return_state=True)
    torch.testing.assert_close(s, ls)
    torch.testing.assert_close(v, lv)
    torch.testing.assert_close(st.v, lst.v)
    torch.testing.assert_close(st.v, v[-1])


def test_state_continues_a_sequence_and_step_matches():
    x, threshold, decay = inputs(seed=5)
    x = x.detach()
    whole = hnn.multistep(x, threshold, decay, charge="lif_ode", adaptive=True)
    first, state = hnn.multistep(x[:3], threshold, decay, charge="lif_ode", adaptive=True,
                                 return_state=True)
    second = hnn.multistep(x[3:], threshold, decay, charge="lif_ode", adaptive=True, state=state)
    close(torch.cat([first, second]), whole)
    state, out = None, []
    for xt in x:
        s, state = hnn.step(xt, state, threshold, decay, charge="lif_ode", adaptive=True)
        out.append(s)
    close(torch.stack(out), whole)


def test_module_matches_functional_and_learns_its_parameters():
    x, _, _ = inputs(seed=6)
    lif = hnn.Lif(tau=2.5, reset="soft", surrogate="sigmoid:4", threshold=0.9,
                  learn={"threshold", "decay"}, threshold_shape=(6,)).double()
    assert {n for n, _ in lif.named_parameters()} == {"threshold", "decay"}
    assert {n for n, _ in lif.named_buffers()} == {"v_reset", "v_rest"}
    s = lif(x)
    threshold = lif.threshold.detach().clone().requires_grad_()
    decay = lif.decay.detach().clone().requires_grad_()
    rs, _ = reference.loop(x, threshold, decay, charge="lif_ode", reset="soft",
                           surrogate="sigmoid:4")
    close(s, rs)
    # Made in float32, then converted: float32 accuracy.
    torch.testing.assert_close(lif.decay.detach(), torch.tensor(0.4, dtype=torch.float64))
    for a, b in zip(grads([s], [x, lif.threshold, lif.decay]), grads([rs], [x, threshold, decay])):
        close(a, b)


def test_named_neurons():
    x, _, _ = inputs(seed=7)
    x = x.detach()
    close(hnn.IfNeuron()(x), reference.loop(x, charge="if")[0])
    close(hnn.LifDecay(decay=0.3)(x), reference.loop(x, decay=0.3)[0])
    close(hnn.Alif(tau=2.0, rho=0.8, beta=0.4)(x),
          reference.loop(x, decay=0.5, rho=0.8, beta=0.4, charge="lif_ode", adaptive=True)[0])
    plif = hnn.Plif(init_tau=3.0).double()
    s = plif(x)
    w = plif.decay.detach().clone().requires_grad_()
    rs, _ = reference.loop(x, decay=torch.sigmoid(w), charge="lif_ode")
    close(s, rs)
    close(grads([s], [plif.decay])[0], grads([rs], [w])[0])


def test_module_modulation_output_and_state():
    x, _, _ = inputs(seed=8)
    x = x.detach()
    theta = torch.full((6,), 1.2, dtype=torch.float64, requires_grad=True)
    lif = hnn.Lif(output="both").double()
    s, v = lif(x, threshold=theta)
    rs, rv = reference.loop(x, theta, 0.5, charge="lif_ode")
    close(s, rs)
    close(v, rv)
    assert grads([s, v], [theta])[0].abs().sum() > 0
    # Stateful: two halves equal the whole; step() continues the kept state too.
    lif = hnn.Lif(stateful=True).double()
    halves = torch.cat([lif(x[:4]), lif(x[4:])])
    lif.reset_state()
    close(halves, lif(x))
    lif.reset_state()
    close(torch.stack([lif.step(xt) for xt in x]), halves)
    with pytest.raises(ValueError):
        lif(x[:, :2])  # another batch shape while a state is kept


def test_drops_into_a_pytorch_model():
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(10, 20), hnn.Lif(surrogate="sigmoid"),
                              torch.nn.Linear(20, 3))
    y = net(torch.rand(8, 4, 10) * 2)
    assert y.shape == (8, 4, 3)
    y.sum().backward()
    assert net[0].weight.grad.abs().sum() > 0
    assert "Lif(charge=lif_ode" in repr(net)


def test_surrogates():
    names = hnn.surrogate_names()
    assert set(names) == set(reference.ALPHA)
    x = torch.linspace(-2, 2, 101, dtype=torch.float64).requires_grad_()
    for name in names + ["sigmoid:2.5", "superspike"]:
        s = hnn.spike(x, name)
        close(s, (x > 0).double())
        ref_name, alpha = reference.parse(name.replace("superspike", "fast_sigmoid"))
        expected = reference.surrogate_derivative(ref_name, alpha, x.detach())
        close(torch.autograd.grad(s.sum(), x)[0], expected)
        close(hnn.surrogate_grad(x.detach(), name), expected)
    assert hnn.spike(torch.zeros(1), inclusive=True).item() == 1.0


def test_bad_input_raises_hnn_error():
    with pytest.raises(hnn.Error, match="surrogate"):
        hnn.multistep(torch.zeros(2, 2), surrogate="nope")
    with pytest.raises(hnn.Error, match="reset"):
        hnn.multistep(torch.zeros(2, 2), reset="sometimes")
    with pytest.raises(ValueError):
        hnn.multistep(torch.zeros(3), 1.0)


def test_bfloat16_saved_state_keeps_the_forward_and_nearly_the_gradients():
    g = torch.Generator().manual_seed(5)
    x = (torch.rand(40, 4, 200, generator=g) * 1.5).requires_grad_()
    gy = torch.randn(40, 4, 200, generator=g)
    out = {}
    for saved in ("full", "bfloat16"):
        x.grad = None
        s = hnn.multistep(x, charge="lif_ode", surrogate="sigmoid:4", saved_state=saved)
        s.backward(gy)
        out[saved] = (s.detach(), x.grad.clone())
    assert torch.equal(out["full"][0], out["bfloat16"][0])
    rel = (out["bfloat16"][1] - out["full"][1]).norm() / out["full"][1].norm()
    assert rel < 0.05
    lif = hnn.Lif(saved_state="bfloat16")
    assert torch.equal(lif(x.detach()), out["full"][0])
    with pytest.raises(ValueError):
        hnn.Lif(saved_state="half")
