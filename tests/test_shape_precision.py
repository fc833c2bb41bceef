"""Shape-side false positives from real code (issue 12): exact dtypes, containers that are
not pipelines, facts tied to the call site that produced them, branches whose condition is
unknown. Each case is a must-not-flag reproduction, with a must-flag twin where the same
machinery should still find a real bug."""
from __future__ import annotations

import pytest

from ptlint.rules import lint_text
from ptlint.rules.shapes import shapes_report


def codes(src: str, select=("PT005", "PT006")) -> list[tuple[str, int]]:
    res = lint_text(src, "t.py")
    return [(f.code, f.range.start.line) for f in res.findings if f.code in select]


# ---------------------------------------------------------------------- dtype defaults
ARANGE_EMBEDDING = """import torch
from torch import nn

class Pos(nn.Module):
    def __init__(self):
        super().__init__()
        self.col_embed = nn.Embedding(50, 8)

    def forward(self, x):
        h, w = x.shape[-2:]
        i = torch.arange(w, device=x.device)
        return self.col_embed(i)

class Pos2(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(64, 8)

    def forward(self, x):
        n = x.shape[1]
        pos = torch.arange(n).unsqueeze(0)
        return x + self.emb(pos)
"""


def test_arange_of_a_size_is_int64_not_float():
    assert codes(ARANGE_EMBEDDING, ("PT005", "PT022")) == []


def test_arange_dtype_is_exact_or_unknown():
    doc = shapes_report("""import torch
from torch import nn

class M(nn.Module):  # ptlint: input=(2, 5, 8)
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(10, 8)

    def forward(self, x):
        a = torch.arange(x.shape[1])
        b = torch.arange(0.0, x.size(1))
        c = a * 0.5
        return self.emb(a) + x
""")
    steps = doc["models"][0]["steps"]
    creations = [s for s in steps if s.get("fn") == "torch.arange"]
    assert [s.get("dtype") for s in creations] == ["int64", "float32"]  # torch.arange(0.0, n): float32
    assert creations[0]["output"] == [5]
    binary = [s for s in steps if s["op"] == "binary" and s.get("operator") == "*"]
    assert binary and binary[0]["dtype"] == "float32"  # int64 * 0.5 is float32, not int64
    assert doc["models"][0]["errors"] == []


def test_float_arange_into_embedding_is_still_flagged():
    src = """import torch
from torch import nn
emb = nn.Embedding(10, 4)
out = emb(torch.arange(0.0, 5.0))
"""
    # PT022 explains float Embedding indices better and supersedes PT005 at the same place
    assert len(codes(src, ("PT005", "PT022"))) == 1


# ---------------------------------------------------------------------- container vs pipeline
def test_sequential_used_as_a_container_is_not_a_pipeline():
    src = """from torch import nn
net = nn.Sequential(
    nn.Embedding(num_embeddings=100, embedding_dim=8),
    nn.Embedding(num_embeddings=100, embedding_dim=8),
)
center, ctx = net[0], net[1]
"""
    assert codes(src) == []
    assert shapes_report(src)["models"] == []


def test_a_called_sequential_of_embeddings_is_still_a_pipeline():
    src = """import torch
from torch import nn
net = nn.Sequential(nn.Embedding(100, 8), nn.Embedding(100, 8))
first = net[0]
out = net(torch.tensor([[1, 2, 3]]))
"""
    assert len(codes(src, ("PT005", "PT022"))) == 1


def test_an_uncalled_unindexed_sequential_is_still_checked():
    src = """from torch import nn
model = nn.Sequential(nn.Conv2d(3, 16, 3), nn.ReLU(), nn.Conv2d(32, 64, 3))
"""
    assert [c for c, _ in codes(src)] == ["PT005"]


# ---------------------------------------------------------------------- call-site mix-ups
D2L_SSD = """import torch
from torch import nn

def down_sample_blk(in_channels, out_channels):
    blk = []
    for _ in range(2):
        blk.append(nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1))
        blk.append(nn.BatchNorm2d(out_channels))
        blk.append(nn.ReLU())
        in_channels = out_channels
    blk.append(nn.MaxPool2d(2))
    return nn.Sequential(*blk)

def forward(x, block):
    return block(x)

def base_net():
    blk = []
    num_filters = [3, 16, 32, 64]
    for i in range(len(num_filters) - 1):
        blk.append(down_sample_blk(num_filters[i], num_filters[i + 1]))
    return nn.Sequential(*blk)

def get_blk(i):
    if i == 0:
        blk = base_net()
    elif i == 1:
        blk = down_sample_blk(64, 128)
    elif i == 4:
        blk = nn.AdaptiveMaxPool2d((1, 1))
    else:
        blk = down_sample_blk(128, 128)
    return blk

def blk_forward(X, blk):
    Y = blk(X)
    return Y

print(forward(torch.zeros((2, 3, 20, 20)), down_sample_blk(3, 10)).shape)
print(forward(torch.zeros((2, 3, 256, 256)), base_net()).shape)
blk1 = down_sample_blk(64, 128)
blk2 = down_sample_blk(128, 128)
y = blk_forward(torch.zeros((2, 64, 32, 32)), blk1)
y = blk_forward(y, blk2)
"""


def test_blocks_from_one_helper_are_not_mixed_between_call_sites():
    assert codes(D2L_SSD) == []


def test_a_block_called_with_the_wrong_input_is_still_flagged():
    src = """import torch
from torch import nn

def down_sample_blk(in_channels, out_channels):
    return nn.Sequential(nn.Conv2d(in_channels, out_channels, 3, padding=1), nn.MaxPool2d(2))

blk = down_sample_blk(64, 128)
y = blk(torch.zeros((2, 3, 32, 32)))
"""
    assert [c for c, _ in codes(src)] == ["PT005"]


FASHION = """import torch
import torchvision
from torch import nn
from torchvision import transforms

def load_data_fashion_mnist(batch_size):
    trans = transforms.ToTensor()
    mnist_train = torchvision.datasets.FashionMNIST(root="../data", train=True, transform=trans, download=True)
    return torch.utils.data.DataLoader(mnist_train, batch_size, shuffle=True)

class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3 * 32 * 32, 10)

    def forward(self, x):
        return self.fc(x.view(x.size(0), -1))

net = MLP()
"""


def test_a_dataset_made_inside_a_helper_is_not_the_input_of_another_model():
    assert codes(FASHION) == []
    doc = shapes_report(FASHION)
    assert doc["models"][0]["input"] is None


def test_a_dataset_in_the_same_function_as_the_model_still_gives_the_input():
    src = FASHION.replace("net = MLP()\n", "") + """
def main():
    train = torchvision.datasets.FashionMNIST(root=".", train=True, transform=transforms.ToTensor())
    net = MLP()
    for images, _ in torch.utils.data.DataLoader(train, batch_size=64):
        net(images)
    return net, train
"""
    assert [c for c, _ in codes(src)] == ["PT005"]


# ---------------------------------------------------------------------- undecided branches
def test_a_branch_on_the_rank_is_followed_exactly():
    src = """import torch
from torch import nn

def batch_norm(X, eps):
    if len(X.shape) == 2:
        mean = X.mean(dim=0)
    else:
        mean = X.mean(dim=(0, 2, 3), keepdim=True)
    return (X - mean) / eps

class BatchNorm(nn.Module):
    def forward(self, X):
        return batch_norm(X, 1e-5)

net = nn.Sequential(nn.Linear(16, 120), BatchNorm())
net(torch.randn(2, 16))
"""
    assert codes(src) == []


def test_errors_only_inside_an_undecided_branch_are_not_reported():
    src = """import torch
from torch import nn

class Net(nn.Module):  # ptlint: input=(2, 8)
    def __init__(self, use_proj):
        super().__init__()
        self.use_proj = use_proj
        self.fc = nn.Linear(8, 4)
        self.proj = nn.Linear(16, 4)

    def forward(self, x):
        if self.use_proj:
            return self.proj(x)
        return self.fc(x)
"""
    assert codes(src) == []


@pytest.mark.parametrize("guard", ['if __name__ == "__main__":', "if True:"])
def test_main_guard_is_taken(guard):
    src = f"""import torch
{guard}
    c = torch.randn(2, 3) @ torch.randn(4, 5)
"""
    assert [c for c, _ in codes(src)] == ["PT005"]


# ---------------------------------------------------------------------- reductions
def test_norm_takes_p_first_not_dim():
    src = """import torch
c = torch.matmul(torch.randn(100, 10), torch.randn(10, 20))
print(c.norm(2))
print(torch.norm(c, 2))
n = c.norm(2, 1)
"""
    assert codes(src) == []
    doc_src = src + "bad = c.norm(2, 5)\n"
    assert [line for _, line in codes(doc_src)] == [6]  # dim 5 of a 2-D tensor


def test_dtypes_follow_torch_promotion():
    from ptlint.rules.shapes.report import analyse_text

    ctx, an = analyse_text("""import torch
idx = torch.randint(0, 5, (4, 3))
a = torch.exp(idx)
b = idx.sum(1)
c = idx.relu()
d = idx.sqrt()
m = idx.bool().sum()
""")
    vals = {name: an.module_value(name) for name in "abcdm"}
    assert {k: v.dtype for k, v in vals.items()} == {"a": "float32", "b": "int64", "c": "int64", "d": "float32",
                                                     "m": "int64"}
