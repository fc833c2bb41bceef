"""PT005 also reports the layer calls the data flow finds raising where the shape trace has no
input (issue 12: the rules read the one core's facts): a tensor made through numpy, a layer
handed to a helper of the file, a model run by torchsummary / torchinfo. Each finding is one
torch raises on; a call the trace reports too is reported once."""
import pytest

from rulecheck import line_of, lint

torch = pytest.importorskip("torch")

FROM_NUMPY = """import numpy as np
import torch
import torch.nn as nn

arr = np.zeros((16, {COLS}), dtype=np.float32)
fc = nn.Linear(4, 2)
out = fc(torch.from_numpy(arr))
"""


def test_a_layer_fed_a_tensor_made_from_numpy():
    with pytest.raises(RuntimeError, match="cannot be multiplied"):
        torch.nn.Linear(4, 2)(torch.from_numpy(__import__("numpy").zeros((16, 5), dtype="float32")))
    src = FROM_NUMPY.replace("{COLS}", "5")
    [f] = lint(src, "PT005")
    assert f.line == line_of(src, "out = fc(")
    assert f.message_en == "fc gets (16, 5), but in_features of Linear = 4"
    assert f.message_zh == "fc 的输入是 (16, 5)，但 Linear 的 in_features = 4"
    assert [r.message_en for r in f.related] == ["Linear is defined here"]


def test_the_same_layer_fed_the_right_width_is_not_flagged():
    assert lint(FROM_NUMPY.replace("{COLS}", "4"), "PT005") == []


HELPER = """import torch
import torch.nn as nn

def comp(layer, X):
    X = X.reshape((1, 1) + X.shape)
    return layer(X)

conv = nn.Conv2d({C_IN}, 2, 3)
X = torch.rand(size=(8, 8))
comp(conv, X)
"""


def test_a_layer_handed_to_a_helper_names_the_call():
    with pytest.raises(RuntimeError, match="expected input"):
        torch.nn.Conv2d(3, 2, 3)(torch.rand(1, 1, 8, 8))
    src = HELPER.replace("{C_IN}", "3")
    [f] = lint(src, "PT005")
    assert f.line == line_of(src, "return layer(X)")
    assert "(1, 1, 8, 8)" in f.message_en and "in_channels" in f.message_en
    [site] = [r for r in f.related if r.message_en == "the input shape comes from this call"]
    assert site.range.start.line == len(src.splitlines())  # comp(conv, X)


def test_a_helper_given_the_right_channels_is_not_flagged():
    assert lint(HELPER.replace("{C_IN}", "1"), "PT005") == []


SUMMARY = """import torch.nn as nn
from torchsummary import summary

seq = nn.Sequential(nn.Conv2d(3, 8, 3), nn.Flatten(), nn.Linear({FC_IN}, 10))
summary(seq, (3, 32, 32))
"""


def test_a_summary_input_is_reported_once():
    # the shape trace takes summary()'s size as the model's input too: one finding, not two
    with pytest.raises(RuntimeError, match="cannot be multiplied"):
        torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3), torch.nn.Flatten(), torch.nn.Linear(100, 10))(
            torch.rand(2, 3, 32, 32))
    assert len(lint(SUMMARY.replace("{FC_IN}", "100"), "PT005")) == 1
    assert lint(SUMMARY.replace("{FC_IN}", "8 * 30 * 30"), "PT005") == []
