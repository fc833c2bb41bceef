"""Whole models in the styles tutorials and courses write them: the static shapes must
equal what torch computes when the same file runs, and PT005 must stay silent."""
from __future__ import annotations

import warnings

import pytest

torch = pytest.importorskip("torch")

from ptlint.rules import Config, lint_text  # noqa: E402
from ptlint.rules.shapes import ShapeAnalysis  # noqa: E402

HEADER = "import math\nimport torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n" \
         "from collections import OrderedDict\n"

MODELS = {
    "cifar_tutorial_view": """
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 6, 5)
        self.pool = nn.MaxPool2d(2, 2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        x = x.view(-1, 16 * 5 * 5)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        x = self.fc3(x)
        return x

net = Net()
out = net(torch.randn(2, 3, 32, 32))
""",
    "old_tutorial_num_flat_features": """
class Net(nn.Module):
    def __init__(self):
        super(Net, self).__init__()
        self.conv1 = nn.Conv2d(1, 6, 3)
        self.conv2 = nn.Conv2d(6, 16, 3)
        self.fc1 = nn.Linear(16 * 6 * 6, 120)
        self.fc2 = nn.Linear(120, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), (2, 2))
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = x.view(-1, self.num_flat_features(x))
        return self.fc2(F.relu(self.fc1(x)))

    def num_flat_features(self, x):
        size = x.size()[1:]
        num_features = 1
        for s in size:
            num_features *= s
        return num_features

net = Net()
input = torch.randn(1, 1, 32, 32)
out = net(input)
""",
    "dummy_forward_in_init": """
class Probe(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(3, 8, 5), nn.MaxPool2d(2), nn.Conv2d(8, 4, 3))
        with torch.no_grad():
            n = self.features(torch.zeros(1, 3, 40, 30)).numel()
        self.fc = nn.Linear(n, 3)

    def forward(self, x):
        return self.fc(self.features(x).flatten(1))

net = Probe()
out = net(torch.randn(2, 3, 40, 30))
""",
    "lenet_padding_mnist": """
class LeNet(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.c1 = nn.Conv2d(1, 6, kernel_size=5, padding=2)
        self.s2 = nn.AvgPool2d(kernel_size=2, stride=2)
        self.c3 = nn.Conv2d(6, 16, kernel_size=5)
        self.s4 = nn.AvgPool2d(2)
        self.f5 = nn.Linear(16 * 5 * 5, 120)
        self.f6 = nn.Linear(120, 84)
        self.out = nn.Linear(84, num_classes)

    def forward(self, x):
        x = self.s2(torch.sigmoid(self.c1(x)))
        x = self.s4(torch.sigmoid(self.c3(x)))
        x = x.flatten(1)
        x = torch.sigmoid(self.f5(x))
        return self.out(torch.sigmoid(self.f6(x)))

net = LeNet()
out = net(torch.rand(1, 1, 28, 28))
""",
    "vgg_cfg_loop": """
CFG = [16, 'M', 32, 'M', 64, 64, 'M']

def make_layers(cfg, in_channels=3):
    layers = []
    for v in cfg:
        if v == 'M':
            layers += [nn.MaxPool2d(kernel_size=2, stride=2)]
        else:
            layers += [nn.Conv2d(in_channels, v, kernel_size=3, padding=1), nn.BatchNorm2d(v), nn.ReLU(inplace=True)]
            in_channels = v
    return nn.Sequential(*layers)

class VGG(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = make_layers(CFG)
        self.classifier = nn.Linear(64 * 4 * 4, 10)

    def forward(self, x):
        out = self.features(x)
        out = out.view(out.size(0), -1)
        return self.classifier(out)

net = VGG()
out = net(torch.randn(2, 3, 32, 32))
""",
    "text_lstm": """
class TextRNN(nn.Module):
    def __init__(self, vocab=1000, emb=64, hidden=32, classes=5):
        super().__init__()
        self.embedding = nn.Embedding(vocab, emb)
        self.lstm = nn.LSTM(emb, hidden, num_layers=2, batch_first=True, bidirectional=True)
        self.fc = nn.Linear(hidden * 2, classes)

    def forward(self, x):
        x = self.embedding(x)
        out, (h, c) = self.lstm(x)
        return self.fc(out[:, -1, :])

net = TextRNN()
out = net(torch.randint(0, 1000, (4, 12)))
""",
    "gru_hidden_state": """
class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = nn.GRU(8, 16, num_layers=3)
        self.head = nn.Linear(16, 2)

    def forward(self, x):
        output, h_n = self.rnn(x)
        return self.head(h_n[-1])

net = Encoder()
out = net(torch.randn(7, 5, 8))
""",
    "dense_cat": """
class DenseLayer(nn.Module):
    def __init__(self, in_ch, growth):
        super().__init__()
        self.bn = nn.BatchNorm2d(in_ch)
        self.conv = nn.Conv2d(in_ch, growth, 3, padding=1)

    def forward(self, x):
        out = self.conv(F.relu(self.bn(x)))
        return torch.cat([x, out], 1)

class Dense(nn.Module):
    def __init__(self):
        super().__init__()
        self.l1 = DenseLayer(8, 4)
        self.l2 = DenseLayer(12, 4)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(16, 3)

    def forward(self, x):
        x = self.l2(self.l1(x))
        x = self.pool(x)
        x = torch.flatten(x, 1)
        return self.fc(x)

net = Dense()
out = net(torch.randn(2, 8, 9, 9))
""",
    "conv_autoencoder": """
class AE(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(
            nn.Conv2d(1, 16, 3, stride=2, padding=1), nn.ReLU(),
            nn.Conv2d(16, 32, 3, stride=2, padding=1), nn.ReLU(),
            nn.Conv2d(32, 64, 7),
        )
        self.decoder = nn.Sequential(
            nn.ConvTranspose2d(64, 32, 7), nn.ReLU(),
            nn.ConvTranspose2d(32, 16, 3, stride=2, padding=1, output_padding=1), nn.ReLU(),
            nn.ConvTranspose2d(16, 1, 3, stride=2, padding=1, output_padding=1), nn.Sigmoid(),
        )

    def forward(self, x):
        return self.decoder(self.encoder(x))

net = AE()
out = net(torch.randn(3, 1, 28, 28))
""",
    "unet_up_cat": """
class Up(nn.Module):
    def __init__(self, in_ch, out_ch):
        super().__init__()
        self.up = nn.Upsample(scale_factor=2, mode='bilinear', align_corners=True)
        self.conv = nn.Conv2d(in_ch, out_ch, 3, padding=1)

    def forward(self, x1, x2):
        x1 = self.up(x1)
        x = torch.cat([x2, x1], dim=1)
        return self.conv(x)

class UNetTiny(nn.Module):
    def __init__(self):
        super().__init__()
        self.inc = nn.Conv2d(3, 8, 3, padding=1)
        self.down = nn.Sequential(nn.MaxPool2d(2), nn.Conv2d(8, 16, 3, padding=1))
        self.up = Up(24, 8)
        self.outc = nn.Conv2d(8, 2, 1)

    def forward(self, x):
        x1 = self.inc(x)
        x2 = self.down(x1)
        x = self.up(x2, x1)
        return self.outc(x)

net = UNetTiny()
out = net(torch.randn(1, 3, 16, 16))
""",
    "attention": """
class SelfAttention(nn.Module):
    def __init__(self, d_model=32):
        super().__init__()
        self.q = nn.Linear(d_model, d_model)
        self.k = nn.Linear(d_model, d_model)
        self.v = nn.Linear(d_model, d_model)
        self.d = d_model

    def forward(self, x):
        q, k, v = self.q(x), self.k(x), self.v(x)
        scores = q @ k.transpose(-2, -1) / math.sqrt(self.d)
        attn = F.softmax(scores, dim=-1)
        return torch.matmul(attn, v)

net = SelfAttention()
out = net(torch.randn(2, 10, 32))
""",
    "ordered_dict_sequential": """
net = nn.Sequential(OrderedDict([
    ('conv1', nn.Conv2d(1, 20, 5)),
    ('relu1', nn.ReLU()),
    ('conv2', nn.Conv2d(20, 64, 5)),
    ('relu2', nn.ReLU()),
    ('pool', nn.AdaptiveMaxPool2d((2, 3))),
    ('flat', nn.Flatten()),
    ('fc', nn.Linear(64 * 2 * 3, 7)),
]))
out = net(torch.randn(2, 1, 20, 24))
""",
    "modulelist_loop": """
class MLP(nn.Module):
    def __init__(self, sizes=(10, 32, 16, 4)):
        super().__init__()
        self.layers = nn.ModuleList([nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:]) if a > 0])
        self.blocks = nn.ModuleList()
        for i in range(2):
            self.blocks.append(nn.Linear(4, 4))

    def forward(self, x):
        for layer in self.layers:
            x = F.relu(layer(x))
        for block in self.blocks:
            x = x + block(x)
        return x

net = MLP()
out = net(torch.randn(5, 10))
""",
    "alexnet_style": """
class AlexNetSmall(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 16, kernel_size=11, stride=4, padding=2), nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
            nn.Conv2d(16, 32, kernel_size=5, padding=2), nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
        )
        self.avgpool = nn.AdaptiveAvgPool2d((6, 6))
        self.classifier = nn.Sequential(
            nn.Dropout(), nn.Linear(32 * 6 * 6, 64), nn.ReLU(inplace=True), nn.Linear(64, num_classes))

    def forward(self, x):
        x = self.features(x)
        x = self.avgpool(x)
        x = x.view(x.size(0), 32 * 6 * 6)
        return self.classifier(x)

net = AlexNetSmall()
out = net(torch.randn(1, 3, 224, 224))
""",
    "inheritance_super": """
class Base(nn.Module):
    def __init__(self, width):
        super().__init__()
        self.stem = nn.Conv2d(3, width, 3, padding=1)
        self.width = width

    def forward(self, x):
        return self.head(self.stem(x).mean(dim=(2, 3)))

class Child(Base):
    def __init__(self):
        super().__init__(width=12)
        self.head = nn.Linear(self.width, 4)

net = Child()
out = net(torch.randn(2, 3, 8, 8))
""",
    "norms_and_activations": """
net = nn.Sequential(
    nn.Conv1d(4, 8, 3, padding='same'), nn.GroupNorm(2, 8), nn.GELU(), nn.Dropout1d(0.1),
    nn.MaxPool1d(2), nn.BatchNorm1d(8), nn.SiLU(),
    nn.Flatten(), nn.LayerNorm(8 * 10), nn.Linear(8 * 10, 6), nn.Tanh(), nn.Unflatten(1, (2, 3)),
    nn.Identity(), nn.Softmax(dim=-1),
)
out = net(torch.randn(3, 4, 20))
""",
    "reshape_methods": """
class Heads(nn.Module):
    def __init__(self):
        super().__init__()
        self.proj = nn.Linear(16, 24)

    def forward(self, x):
        b, t, _ = x.shape
        y = self.proj(x).reshape(b, t, 4, 6).permute(0, 2, 1, 3)
        y = y.transpose(1, 2).contiguous().view(b, t, -1)
        y = y.unsqueeze(1).squeeze(1)
        return y.sum(dim=1, keepdim=True) * 0.5 + 1

net = Heads()
out = net(torch.randn(2, 5, 16))
""",
    "functional_pools": """
class F_Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv(x)), 2)
        x = F.avg_pool2d(x, kernel_size=3, stride=1, padding=1)
        x = F.adaptive_avg_pool2d(x, (1, 1))
        x = F.interpolate(x, scale_factor=3)
        return x

net = F_Net()
out = net(torch.randn(2, 3, 15, 15))
""",
    "bilinear_and_embedding_bag": """
class Pair(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(50, 6)
        self.bil = nn.Bilinear(6, 6, 3)

    def forward(self, idx):
        e = self.emb(idx)
        return self.bil(e[:, 0], e[:, 1])

net = Pair()
out = net(torch.randint(0, 50, (4, 2)))
""",
}


def _torch_output(src: str):
    ns: dict = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exec(compile(src, "<model>", "exec"), ns)  # noqa: S102  (the test's own model source)
    return ns["out"]


def _static(src: str):
    res = lint_text(src, "model.py", Config(select=("PT005",)), keep_context=True)
    assert not res.rule_errors, res.rule_errors
    analysis = res.context.analysis(ShapeAnalysis)
    assert not analysis.internal_errors, analysis.internal_errors
    return res, analysis


@pytest.mark.parametrize("name", sorted(MODELS))
def test_static_output_shape_equals_torch(name):
    torch.manual_seed(0)
    src = HEADER + MODELS[name]
    out = _torch_output(src)
    res, analysis = _static(src)
    assert [f.message_en for f in res.findings] == []
    top = [m for m in analysis.models if m.input is not None]
    assert top, f"no model got an input shape: {[m.name for m in analysis.models]}"
    model = top[-1]
    assert model.input.source == "call"
    got = model.output.shape
    assert got is not None and got.exact, (name, got)
    assert tuple(got.dims) == tuple(out.shape), name
    # every step of the graph has a known shape for these models
    from ptlint.rules.shapes.report import model_json

    doc = model_json(analysis, model)
    assert doc["complete"], [s for s in doc["steps"] if s["output"] is None]
