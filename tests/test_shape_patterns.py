"""The model-writing patterns of issue 13, one by one (the whole models are in
tests/test_models_vs_torch.py): attention modules, nn.Sequential subclasses, factories that
forward **kwargs, nn.Parameter tokens, F.pad with computed amounts, modules passed as
constructor arguments."""
from __future__ import annotations

from ptlint.rules import Config, lint_text
from ptlint.rules.shapes import shapes_report


def steps(src: str, model: str | None = None) -> list[dict]:
    doc = shapes_report(src)
    m = doc["models"][0] if model is None else next(x for x in doc["models"] if x["name"] == model)
    return m["steps"]


def layer_out(src: str, name: str, model: str | None = None, key: str = "output"):
    return [s.get(key) for s in steps(src, model) if s.get("layer") == name]


def pt005(src: str):
    return lint_text(src, "m.py", Config(select=("PT005",))).findings


# ---------------------------------------------------------------------- attention
MHA = """import torch
import torch.nn as nn

class A(nn.Module):
    def __init__(self):
        super().__init__()
        self.attn = nn.MultiheadAttention(32, 4{bf})
        self.fc = nn.Linear(32, 3)

    def forward(self, x, mem):
        out, w = self.attn(x, x, x{kw})  # self-attention (mem: a second input, shape unknown)
        return self.fc(out), w

A()(torch.randn({q}), torch.randn({k}))
"""


def test_multihead_attention_returns_output_and_weights_in_both_layouts():
    seq_first = MHA.format(bf="", kw="", q="7, 2, 32", k="5, 2, 32")
    s = steps(seq_first)
    attn = next(x for x in s if x.get("layer") == "attn")
    assert attn["outputs"] == [[7, 2, 32], [2, 7, 7]]
    assert layer_out(seq_first, "fc") == [[7, 2, 3]]
    batch_first = MHA.format(bf=", batch_first=True", kw=", average_attn_weights=False", q="2, 7, 32", k="2, 5, 32")
    attn = next(x for x in steps(batch_first) if x.get("layer") == "attn")
    assert attn["outputs"] == [[2, 7, 32], [2, 4, 7, 7]]
    no_weights = MHA.format(bf="", kw=", need_weights=False", q="7, 2, 32", k="5, 2, 32")
    assert layer_out(no_weights, "fc") == [[7, 2, 3]]


def test_multihead_attention_with_the_wrong_embedding_size_is_flagged():
    src = MHA.format(bf="", kw="", q="7, 2, 16", k="5, 2, 16")
    fs = pt005(src)
    assert len(fs) == 1 and "the query (7, 2, 16) ends in 16, but embed_dim of attn" in fs[0].message_en


ENCODER = """import torch
import torch.nn as nn

class TextClassifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(100, {d})
        layer = nn.TransformerEncoderLayer(d_model=64, nhead=4, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, num_layers=2)
        self.fc = nn.Linear(64, 2)

    def forward(self, tokens, mask):
        x = self.encoder(self.emb(tokens), src_key_padding_mask=mask)
        return self.fc(x[:, 0])

TextClassifier()(torch.randint(0, 100, (3, 9)), torch.zeros(3, 9, dtype=torch.bool))
"""


def test_shapes_continue_after_a_transformer_encoder():
    src = ENCODER.format(d=64)
    assert layer_out(src, "encoder") == [[3, 9, 64]]
    assert layer_out(src, "fc") == [[3, 2]]
    assert pt005(src) == []


def test_transformer_encoder_with_the_wrong_d_model_is_flagged():
    fs = pt005(ENCODER.format(d=32))
    assert len(fs) == 1 and "whose last dim is 32, but encoder.layers.0.d_model = 64" in fs[0].message_en
    assert fs[0].line == 13  # the call (the wrong number is in another constructor)


# ---------------------------------------------------------------------- nn.Sequential subclasses
SEQ_SUB = """import torch
import torch.nn as nn

class ConvBNReLU(nn.Sequential):
    def __init__(self, cin, cout, stride=1):
        super().__init__(
            nn.Conv2d(cin, cout, 3, stride, 1, bias=False),
            nn.BatchNorm2d(cout),
            nn.ReLU6(inplace=True),
        )

class Transition(nn.Sequential):
    def __init__(self, cin, cout):
        super().__init__()
        self.add_module("norm", nn.BatchNorm2d(cin))
        self.conv = nn.Conv2d(cin, cout, 1)
        self.add_module("pool", nn.AvgPool2d(2))

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = ConvBNReLU(3, 16, stride=2)
        self.trans = Transition(16, {c})
        self.head = nn.Linear(8 * 8 * 8, 10)

    def forward(self, x):
        x = self.trans(self.stem(x))
        return self.head(x.flatten(1))

Net()(torch.randn(2, 3, 32, 32))
"""


def test_sequential_subclasses_run_their_entries_in_order():
    src = SEQ_SUB.format(c=8)
    doc = shapes_report(src)
    net = next(m for m in doc["models"] if m["name"] == "Net")
    names = [la["name"] for la in net["layers"]]
    assert names[:6] == ["stem.0", "stem.1", "stem.2", "trans.norm", "trans.conv", "trans.pool"]
    assert layer_out(src, "trans.pool", "Net") == [[2, 8, 8, 8]]
    assert layer_out(src, "head", "Net") == [[2, 10]]
    assert pt005(src) == []


def test_a_mismatch_inside_a_sequential_subclass_is_flagged():
    fs = pt005(SEQ_SUB.format(c=4))
    assert len(fs) == 1 and "flattened to 256, but head.in_features = 512" in fs[0].message_en


# ---------------------------------------------------------------------- factories
FACTORY = """import torch
import torch.nn as nn

CFG = {"tiny": [8, "M", 16, "M"]}

class VGG(nn.Module):
    def __init__(self, features, num_classes=1000):
        super().__init__()
        self.features = features
        self.fc = nn.Linear(16 * 8 * 8, num_classes)

    def forward(self, x):
        return self.fc(torch.flatten(self.features(x), 1))

def make_layers(cfg):
    layers, c = [], 3
    for v in cfg:
        if v == "M":
            layers += [nn.MaxPool2d(2)]
        else:
            layers += [nn.Conv2d(c, v, 3, padding=1), nn.ReLU(True)]
            c = v
    return nn.Sequential(*layers)

def _vgg(name, **kwargs):
    return VGG(make_layers(CFG[name]), **kwargs)

def vgg_tiny(**kwargs):
    return _vgg("tiny", **kwargs)

model = vgg_tiny(num_classes=10)
model(torch.randn(2, 3, 32, 32))
"""


def test_a_factory_passes_the_callers_kwargs_to_the_constructor():
    doc = shapes_report(FACTORY)
    vgg = doc["models"][0]
    fc = next(la for la in vgg["layers"] if la["name"] == "fc")
    assert fc["args"] == [1024, 10]  # num_classes=10 from the caller, not the default 1000
    assert vgg["input"]["source"] == "call"
    assert layer_out(FACTORY, "fc") == [[2, 10]]


# ---------------------------------------------------------------------- parameters and buffers
TOKENS = """import torch
import torch.nn as nn

class ViT(nn.Module):
    def __init__(self, dim=32, patches=16):
        super().__init__()
        self.proj = nn.Conv2d(3, dim, 4, 4)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos_embed = nn.Parameter(torch.randn(1, patches + {extra}, dim))
        self.register_buffer("scale", torch.ones(dim))
        self.norm = nn.LayerNorm(dim)

    def forward(self, x):
        B = x.shape[0]
        x = self.proj(x).flatten(2).transpose(1, 2)
        cls = self.cls_token.expand(B, -1, -1)
        x = torch.cat((cls, x), dim=1)
        x = x + self.pos_embed
        return self.norm(x * self.scale)

ViT()(torch.randn(2, 3, 16, 16))
"""


def test_class_token_and_position_embedding_keep_shapes():
    src = TOKENS.format(extra=1)
    s = steps(src)
    tokens = [x for x in s if x["op"] == "unknown" and x.get("attr") in ("cls_token", "pos_embed", "scale")]
    assert {x["attr"]: x["output"] for x in tokens} == {"cls_token": [1, 1, 32], "pos_embed": [1, 17, 32],
                                                       "scale": [32]}
    assert layer_out(src, "norm") == [[2, 17, 32]]
    assert pt005(src) == []


def test_a_position_embedding_of_the_wrong_length_is_flagged():
    fs = pt005(TOKENS.format(extra=0))
    assert len(fs) == 1 and "dim -2 is 17 vs 16" in fs[0].message_en


# ---------------------------------------------------------------------- F.pad
PAD = """import torch
import torch.nn as nn
import torch.nn.functional as F

class Up(nn.Module):  # ptlint: input=({shape})
    def __init__(self):
        super().__init__()
        self.up = nn.ConvTranspose2d(8, 4, 2, stride=2)
        self.conv = nn.Conv2d(4, 4, 3, padding=1)

    def forward(self, x1):
        x2 = torch.zeros(x1.size(0), 4, {skip})
        x1 = self.up(x1)
        diffY = x2.size()[2] - x1.size()[2]
        diffX = x2.size()[3] - x1.size()[3]
        x1 = F.pad(x1, [diffX // 2, diffX - diffX // 2, diffY // 2, diffY - diffY // 2])
        return self.conv(x1)
"""


def test_pad_with_computed_amounts():
    src = PAD.format(shape="1, 8, 7, 7", skip="15, 15")
    pad = [x for x in steps(src) if x.get("fn") == "torch.nn.functional.pad"]
    assert pad[0]["output"] == [1, 4, 15, 15]
    assert layer_out(src, "conv") == [[1, 4, 15, 15]]


def test_pad_with_unknown_amounts_keeps_batch_and_channels():
    src = PAD.format(shape="N, 8, H, W", skip="H2, W2").replace("torch.zeros(x1.size(0), 4, H2, W2)",
                                                                "torch.zeros(x1.size(0), 4, *x1.shape[2:])")
    pad = [x for x in steps(src) if x.get("fn") == "torch.nn.functional.pad"]
    assert pad[0]["output"] == ["N", 4, None, None]
    assert layer_out(src, "conv") == [["N", 4, None, None]]


# ---------------------------------------------------------------------- modules as arguments
DOWNSAMPLE = """import torch
import torch.nn as nn

class Block(nn.Module):
    def __init__(self, cin, cout, stride=1, downsample=None):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, 3, stride, 1)
        self.downsample = downsample

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        return self.conv(x) + identity

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        down = nn.Sequential(nn.Conv2d(3, 8, 1, 2), nn.BatchNorm2d(8))
        self.layer1 = nn.Sequential(Block(3, 8, 2, down), Block(8, 8))

    def forward(self, x):
        return self.layer1(x)

Net()(torch.randn(1, 3, 8, 8))
"""


def test_a_module_passed_to_a_constructor_gets_its_full_path():
    doc = shapes_report(DOWNSAMPLE)
    net = next(m for m in doc["models"] if m["name"] == "Net")
    names = [la["name"] for la in net["layers"]]
    assert "layer1.0.downsample.0" in names and "layer1.0.downsample.1" in names
    used = [s["layer"] for s in net["steps"] if s["op"] == "layer"]
    assert "layer1.0.downsample.0" in used and "downsample.0" not in used
