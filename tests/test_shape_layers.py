"""Every layer kind the shape engine models, against torch: for each (layer, input) the
static engine and torch agree on whether the call is accepted, on the output shape(s),
and on the parameter count; PT005 fires exactly when torch raises."""
from __future__ import annotations

import itertools
import warnings

import pytest

torch = pytest.importorskip("torch")

from ptlint.rules import Config, lint_text  # noqa: E402
from ptlint.rules.shapes import ShapeAnalysis  # noqa: E402
from ptlint.rules.shapes.report import value_shapes  # noqa: E402
from ptlint.rules.shapes.values import LayerV  # noqa: E402

R = "torch.randn"
CASES = [
    # --- convolutions
    ("nn.Conv1d(3, 4, 3)", f"{R}(2, 3, 10)"),
    ("nn.Conv1d(3, 4, 3, stride=2)", f"{R}(3, 10)"),  # unbatched
    ("nn.Conv2d(3, 4, (3, 5), stride=(2, 1), padding=(1, 2), dilation=(2, 1))", f"{R}(1, 3, 11, 9)"),
    ("nn.Conv2d(4, 8, 3, groups=2, padding='same')", f"{R}(1, 4, 6, 7)"),
    ("nn.Conv2d(4, 8, 4, padding='same', dilation=3)", f"{R}(1, 4, 6, 7)"),
    ("nn.Conv2d(3, 4, 3, padding='valid')", f"{R}(1, 3, 6, 7)"),
    ("nn.Conv3d(2, 4, 3, stride=2)", f"{R}(1, 2, 7, 8, 9)"),
    ("nn.Conv2d(3, 4, 3, padding=2, padding_mode='reflect')", f"{R}(1, 3, 5, 5)"),
    ("nn.Conv2d(3, 4, 3, padding=5, padding_mode='circular')", f"{R}(1, 3, 5, 5)"),
    ("nn.Conv2d(3, 4, 3, padding=5, padding_mode='reflect')", f"{R}(1, 3, 5, 5)"),  # pad >= size
    ("nn.Conv2d(2, 4, 3)", f"{R}(1, 3, 8, 8)"),  # wrong channels
    ("nn.Conv2d(3, 4, 7)", f"{R}(1, 3, 5, 5)"),  # kernel larger than input
    ("nn.Conv2d(3, 4, 3, dilation=3)", f"{R}(1, 3, 6, 6)"),  # dilated kernel 7 > 6
    ("nn.Conv2d(3, 4, 3)", f"{R}(3, 5)"),  # rank
    ("nn.Conv2d(3, 4, 3, groups=2)", f"{R}(1, 3, 8, 8)"),  # constructor: groups
    ("nn.Conv2d(4, 6, 3, groups=4)", f"{R}(1, 4, 8, 8)"),  # constructor: out_channels
    ("nn.Conv2d(3, 4, 3, stride=2, padding='same')", f"{R}(1, 3, 8, 8)"),  # constructor
    # --- transposed convolutions
    ("nn.ConvTranspose1d(3, 2, 4, stride=3, output_padding=2)", f"{R}(2, 3, 5)"),
    ("nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2)", f"{R}(1, 4, 5, 6)"),
    ("nn.ConvTranspose2d(3, 4, 3, stride=1, output_padding=1, dilation=2)", f"{R}(1, 3, 5, 5)"),
    ("nn.ConvTranspose3d(2, 3, (2, 3, 1), stride=(1, 2, 3))", f"{R}(1, 2, 3, 4, 5)"),
    ("nn.ConvTranspose2d(3, 4, 3, stride=2, output_padding=2)", f"{R}(1, 3, 5, 5)"),  # output_padding too big
    ("nn.ConvTranspose2d(3, 4, 1, padding=3)", f"{R}(1, 3, 5, 5)"),  # output below 1
    ("nn.ConvTranspose2d(5, 4, 3)", f"{R}(1, 3, 5, 5)"),  # wrong channels
    # --- pooling
    ("nn.MaxPool1d(3)", f"{R}(2, 3, 10)"),
    ("nn.MaxPool2d(2)", f"{R}(1, 3, 7, 9)"),  # default stride = kernel
    ("nn.MaxPool2d(3, stride=2, padding=1, ceil_mode=True)", f"{R}(1, 3, 8, 8)"),
    ("nn.MaxPool2d(2, stride=2, padding=1, ceil_mode=True)", f"{R}(1, 3, 4, 4)"),  # last window dropped
    ("nn.MaxPool2d(3, dilation=2)", f"{R}(1, 3, 9, 10)"),
    ("nn.MaxPool3d((1, 2, 2))", f"{R}(1, 2, 4, 6, 6)"),
    ("nn.MaxPool2d(2, return_indices=True)", f"{R}(1, 3, 6, 6)"),
    ("nn.AvgPool1d(4, stride=2, ceil_mode=True)", f"{R}(1, 2, 11)"),
    ("nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False)", f"{R}(1, 3, 5, 5)"),
    ("nn.AvgPool3d(2)", f"{R}(1, 2, 4, 5, 6)"),
    ("nn.MaxPool2d(3, padding=2)", f"{R}(1, 3, 8, 8)"),  # padding > kernel / 2
    ("nn.AvgPool2d(3, padding=2)", f"{R}(1, 3, 8, 8)"),
    ("nn.MaxPool2d(6)", f"{R}(1, 3, 5, 5)"),  # output size 0
    ("nn.MaxPool2d(2)", f"{R}(5, 5)"),  # rank
    # --- adaptive pooling
    ("nn.AdaptiveAvgPool1d(4)", f"{R}(2, 3, 10)"),
    ("nn.AdaptiveAvgPool2d((None, 3))", f"{R}(2, 3, 5, 6)"),
    ("nn.AdaptiveMaxPool2d(1, return_indices=True)", f"{R}(3, 5, 6)"),
    ("nn.AdaptiveAvgPool3d((2, None, 1))", f"{R}(1, 2, 4, 5, 6)"),
    ("nn.AdaptiveAvgPool2d(3)", f"{R}(5, 6)"),  # rank
    # --- normalisation
    ("nn.BatchNorm1d(3)", f"{R}(4, 3)"),
    ("nn.BatchNorm1d(3)", f"{R}(4, 3, 5)"),
    ("nn.BatchNorm1d(5)", f"{R}(4, 3, 5)"),  # features
    ("nn.BatchNorm1d(3)", f"{R}(3)"),  # rank
    ("nn.BatchNorm2d(4)", f"{R}(2, 3, 5, 5)"),
    ("nn.BatchNorm2d(3)", f"{R}(3, 5, 5)"),  # rank
    ("nn.BatchNorm2d(4, affine=False, track_running_stats=False)", f"{R}(2, 3, 5, 5)"),  # nothing to check
    ("nn.BatchNorm3d(2)", f"{R}(2, 2, 3, 4, 5)"),
    ("nn.GroupNorm(2, 4)", f"{R}(2, 4, 5, 5)"),
    ("nn.GroupNorm(2, 4)", f"{R}(2, 3, 5, 5)"),  # not divisible
    ("nn.GroupNorm(2, 4)", f"{R}(2, 6, 5)"),  # divisible, but the affine weight has 4
    ("nn.GroupNorm(2, 4, affine=False)", f"{R}(2, 6, 5)"),
    ("nn.GroupNorm(3, 4)", f"{R}(2, 4, 5)"),  # constructor
    ("nn.LayerNorm(5)", f"{R}(2, 3, 5)"),
    ("nn.LayerNorm((3, 5))", f"{R}(2, 3, 5)"),
    ("nn.LayerNorm((4, 5))", f"{R}(2, 3, 5)"),
    ("nn.RMSNorm(5)", f"{R}(2, 5)"),
    # --- linear
    ("nn.Linear(5, 7)", f"{R}(2, 3, 5)"),
    ("nn.Linear(5, 7)", f"{R}(5)"),
    ("nn.Linear(4, 7)", f"{R}(2, 5)"),
    ("nn.Linear(5, 7, bias=False)", f"{R}(1, 5)"),
    ("nn.Bilinear(3, 4, 5)", f"{R}(2, 3), {R}(2, 4)"),
    ("nn.Bilinear(3, 4, 5)", f"{R}(2, 3), {R}(2, 5)"),
    # --- reshaping layers
    ("nn.Flatten()", f"{R}(2, 3, 4, 5)"),
    ("nn.Flatten(0)", f"{R}(3, 4)"),
    ("nn.Flatten(2, 3)", f"{R}(2, 3, 4, 5)"),
    ("nn.Flatten()", f"{R}(3)"),  # start_dim out of range
    ("nn.Unflatten(1, (2, 5))", f"{R}(3, 10)"),
    ("nn.Unflatten(1, (2, -1))", f"{R}(3, 10)"),
    ("nn.Unflatten(1, (2, 4))", f"{R}(3, 10)"),
    ("nn.Identity()", f"{R}(2, 3)"),
    # --- dropout and every activation from the notes
    ("nn.Dropout(0.3)", f"{R}(2, 3)"),
    ("nn.Dropout2d()", f"{R}(2, 3, 4, 4)"),
    ("nn.AlphaDropout(0.2)", f"{R}(2, 3)"),
    ("nn.Sigmoid()", f"{R}(2, 3)"), ("nn.Tanh()", f"{R}(2, 3)"), ("nn.ReLU(inplace=True)", f"{R}(2, 3)"),
    ("nn.ReLU6()", f"{R}(2, 3)"), ("nn.LeakyReLU(0.1)", f"{R}(2, 3)"), ("nn.PReLU()", f"{R}(2, 3)"),
    ("nn.PReLU(3)", f"{R}(2, 3, 4)"), ("nn.PReLU(3)", f"{R}(2, 4)"),
    ("nn.ELU(alpha=0.5)", f"{R}(2, 3)"), ("nn.SELU()", f"{R}(2, 3)"), ("nn.GELU(approximate='tanh')", f"{R}(2, 3)"),
    ("nn.SiLU()", f"{R}(2, 3)"), ("nn.Mish()", f"{R}(2, 3)"), ("nn.LogSigmoid()", f"{R}(2, 3)"),
    ("nn.Softplus(beta=2)", f"{R}(2, 3)"), ("nn.Softmax(dim=1)", f"{R}(2, 3)"),
    ("nn.LogSoftmax(dim=-1)", f"{R}(2, 3)"), ("nn.Hardsigmoid()", f"{R}(2, 3)"),
    ("nn.Hardswish()", f"{R}(2, 3)"), ("nn.Hardtanh(-2.0, 2.0)", f"{R}(2, 3)"),
    # --- embedding
    ("nn.Embedding(10, 4)", "torch.randint(0, 10, (2, 3))"),
    ("nn.Embedding(10, 4)", "torch.tensor([[1, 2], [3, 4]])"),
    ("nn.Embedding(10, 4)", "torch.tensor(3)"),
    ("nn.Embedding(10, 4)", "torch.randint(0, 10, (5,), dtype=torch.int32)"),
    ("nn.Embedding(10, 4)", f"{R}(2, 3)"),  # float indices
    ("nn.Embedding(10, 4)", "torch.randint(0, 10, (2, 3), dtype=torch.int16)"),
    ("nn.Embedding(10, 4, padding_idx=0)", "torch.zeros(2, 3, dtype=torch.long)"),
    # --- recurrent
    ("nn.RNN(10, 20)", f"{R}(5, 3, 10)"),
    ("nn.RNN(10, 20, 2, 'relu')", f"{R}(5, 3, 10)"),
    ("nn.LSTM(10, 20, num_layers=2, bidirectional=True, batch_first=True)", f"{R}(3, 7, 10)"),
    ("nn.LSTM(10, 20, proj_size=5, num_layers=2)", f"{R}(3, 7, 10)"),
    ("nn.GRU(10, 20, num_layers=3, bidirectional=True)", f"{R}(7, 10)"),  # unbatched
    ("nn.LSTM(10, 20)", f"{R}(3, 7, 11)"),  # input_size
    ("nn.GRU(10, 20)", f"{R}(3, 7, 1, 10)"),  # rank
    # --- upsampling
    ("nn.Upsample(scale_factor=2)", f"{R}(1, 3, 5)"),
    ("nn.Upsample(size=(7, 9))", f"{R}(1, 3, 5, 5)"),
    ("nn.Upsample(scale_factor=1.5, mode='bilinear')", f"{R}(1, 3, 5, 5)"),
    ("nn.Upsample(scale_factor=(2, 3), mode='nearest')", f"{R}(1, 3, 5, 5)"),
    ("nn.Upsample(scale_factor=2, mode='bilinear')", f"{R}(1, 3, 5)"),  # mode needs 4-D
    ("nn.UpsamplingNearest2d(scale_factor=2)", f"{R}(1, 3, 4, 4)"),
]


def _torch(src: str):
    ns: dict = {}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            exec(compile(src, "<layer>", "exec"), ns)  # noqa: S102  (the test's own source)
    except (RuntimeError, ValueError, IndexError, NotImplementedError) as exc:
        return False, str(exc).splitlines()[0], None
    params = sum(p.numel() for p in ns["layer"].parameters())
    return True, _shapes(ns["out"]), params


def _shapes(out):
    if isinstance(out, torch.Tensor):
        return list(out.shape)
    return [_shapes(o) for o in out]


@pytest.mark.parametrize("layer,inp", CASES, ids=[f"{i}-{c[0][:40]}" for i, c in enumerate(CASES)])
def test_layer_against_torch(layer, inp):
    src = f"import torch\nimport torch.nn as nn\nlayer = {layer}\nout = layer({inp})\n"
    ok, want, params = _torch(src)
    res = lint_text(src, "layer.py", Config(select=("PT005",)), keep_context=True)
    assert not res.rule_errors
    analysis = res.context.analysis(ShapeAnalysis)
    assert not analysis.internal_errors, analysis.internal_errors
    flagged = [f.message_en for f in res.findings]
    if not ok:
        assert flagged, f"torch raises ({want}) but PT005 is silent"
        return
    assert flagged == [], f"torch accepts, PT005 says {flagged}"
    got = value_shapes(analysis.module_value("out"))
    assert got == want
    lv = analysis.module_value("layer")
    assert isinstance(lv, LayerV) and lv.layer.params() == params


def test_maxpool_padding_rule_matches_torch_exhaustively():
    """torch checks padding against the kernel, not the dilated kernel."""
    for n, k, d, p in itertools.product((1, 2, 3), range(1, 5), range(1, 4), range(0, 4)):
        size = ", ".join(["12"] * n)
        src = f"import torch\nimport torch.nn as nn\nlayer = nn.MaxPool{n}d({k}, padding={p}, dilation={d})\n" \
              f"out = layer(torch.randn(1, 1, {size}))\n"
        ok = _torch(src)[0]
        res = lint_text(src, "pool.py", Config(select=("PT005",)))
        assert ok == (not res.findings), (n, k, d, p)


def test_every_case_family_is_exercised_both_ways():
    """The table above must keep accepted and rejected cases (guards against a table
    that silently only tests one side)."""
    verdicts = [_torch(f"import torch\nimport torch.nn as nn\nlayer = {la}\nout = layer({i})\n")[0] for la, i in CASES]
    assert sum(verdicts) >= 70 and verdicts.count(False) >= 25
