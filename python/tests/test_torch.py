"""dpa.torch: layouts of any module, the zoo CNN as the zoo's layout, early stopping in a loop."""
import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="Debian python3-torch is not installed: dpa.torch is untested here")
from torch import nn  # noqa: E402

import dpa  # noqa: E402
import dpa.torch  # noqa: E402


def zoo_cnn():
    return nn.Sequential(nn.Conv2d(1, 16, 3, stride=2), nn.ReLU(), nn.Conv2d(16, 16, 3, stride=2), nn.ReLU(),
                         nn.Conv2d(16, 16, 3, stride=2), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                         nn.Linear(16, 10))


def test_the_zoo_cnn_flattens_to_the_zoo_layout():
    net = zoo_cnn()
    assert dpa.torch.layout_of(net) == dpa.zoo_layout()
    w = dpa.torch.flatten(net)
    assert w.dtype == np.float32 and w.shape == (4970,)
    assert np.array_equal(w[:16], net[0].bias.detach().numpy())  # bias before kernel
    assert np.array_equal(w[16:160], net[0].weight.detach().numpy().ravel())


def test_any_architecture_batchnorm_and_32_channels():
    net = nn.Sequential(nn.Conv2d(3, 32, 3), nn.BatchNorm2d(32), nn.ReLU(), nn.Conv2d(32, 32, 3, bias=False),
                        nn.BatchNorm2d(32), nn.Flatten(), nn.LazyLinear(10) if False else nn.Linear(32, 10))
    layout = dpa.torch.layout_of(net)
    kinds = [s.kind for s in layout]
    assert kinds == ["bias", "kernel", "bias", "other", "kernel", "bias", "other", "bias", "kernel"]
    assert [s.length for s in layout] == [32, 864, 32, 32, 9216, 32, 32, 10, 320]
    assert sum(s.length for s in layout) == dpa.torch.flatten(net).size
    stats = dpa.stats(dpa.torch.flatten(net), layout)
    assert stats.shape == (9, 7) and np.all(np.isfinite(stats))


def test_a_model_of_another_layout_is_an_error(models):
    stopper = dpa.torch.EarlyStopper(models["final"], stop_below=0.3)
    other = nn.Sequential(nn.Linear(4970, 1))
    with pytest.raises(ValueError, match="layout"):
        stopper.check(other, epoch=1, **{"config.optimizer": "adam"})


def test_early_stopper_in_a_loop(models):
    stopper = dpa.torch.EarlyStopper(models["final"], stop_below=0.99)  # every run looks hopeless
    net = zoo_cnn()
    assert stopper.check(net, epoch=1, **{"config.optimizer": "adam"}) is True
    assert 0 <= stopper.last_prediction <= 1
    assert stopper.state.checks == 1 and stopper.state.stops == 1
    with pytest.raises(KeyError, match="config.optimizer"):
        stopper.check(net, epoch=2)
    with pytest.raises(ValueError, match="final accuracy"):
        dpa.torch.EarlyStopper(models["weights"])
