"""Torch's native functions bind numpy's keyword spellings (``axis`` for ``dim``) in the flow as in
the shape trace: ``torch.stack([a, b], axis=1)``. The agreement bench found the flow stacking
along dim 0 (d2l's bounding-box ``torch.stack((cx, cy, w, h), axis=-1)``), where the trace and
torch stack along the last dim. Each shape is torch's."""
import pytest

from flowcheck import value_of

torch = pytest.importorskip("torch")

SRC = """import torch
A = torch.zeros(3, 2)
B = torch.ones(3, 2)
Y = {CALL}
"""


@pytest.mark.parametrize("call", [
    "torch.stack([A, B], axis=1)", "torch.stack((A, B), axis=-1)", "torch.cat([A, B], axis=1)",
    "torch.concat([A, B], axis=0)", "torch.concatenate([A, B], axis=1)",
])
def test_numpy_spellings_bind_torch_parameters(call):
    A, B = torch.zeros(3, 2), torch.ones(3, 2)  # noqa: F841 - the call reads them
    expected = tuple(eval(call).shape)
    got = value_of(SRC.replace("{CALL}", call), call)
    assert got.shape is not None and tuple(d.coef for d in got.shape) == expected
