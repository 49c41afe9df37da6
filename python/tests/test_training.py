"""A short training run in Python: a spiking classifier with hnn's LIF (fused kernel) and a
Poisson hybrid unit learns two-class rate patterns."""
import torch

import hnn


def make_data(n, generator):
    labels = torch.randint(0, 2, (n,), generator=generator)
    up, down = torch.linspace(0.1, 0.9, 20), torch.linspace(0.9, 0.1, 20)
    rates = torch.where(labels[:, None] == 0, up, down)
    rates = (rates + 0.1 * torch.randn(n, 20, generator=generator)).clamp(0, 1)
    return rates, labels


class SpikingClassifier(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.encode = hnn.hu.poisson_encoder(16, normalize=False)
        self.fc1 = torch.nn.Linear(20, 32)
        self.lif = hnn.Lif(tau=2.0, surrogate="sigmoid:4", learn={"threshold"},
                           threshold_shape=(32,))
        self.fc2 = torch.nn.Linear(32, 2)

    def forward(self, rates):
        spikes = self.lif(self.fc1(self.encode(rates)))  # [T, B, 32]
        return self.fc2(spikes).mean(0)                   # rate read-out [B, 2]


def test_training_learns():
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(0)
    model = SpikingClassifier()
    opt = torch.optim.Adam(model.parameters(), lr=0.02)
    threshold0 = model.lif.threshold.detach().clone()
    losses = []
    for _ in range(60):
        rates, labels = make_data(32, g)
        loss = torch.nn.functional.cross_entropy(model(rates), labels)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    rates, labels = make_data(256, g)
    with torch.no_grad():
        accuracy = (model(rates).argmax(1) == labels).float().mean().item()
    assert sum(losses[-10:]) < 0.5 * sum(losses[:10])
    assert accuracy > 0.9
    assert not torch.equal(model.lif.threshold.detach(), threshold0)  # the threshold learned too
