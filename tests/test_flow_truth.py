"""The flow rules against PyTorch itself: every snippet here is executed with the
installed torch, and a rule must report exactly the snippets that really fail (PT001,
PT003) or really share memory (PT004). This is what keeps the layout / dtype / aliasing
facts honest."""
import contextlib
import io
import textwrap

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from ptlint.rules import Config, lint_text  # noqa: E402


def _findings(code, src):
    res = lint_text(src, "snippet.py", Config(select=(code,)))
    assert not res.rule_errors, res.rule_errors
    return [f for f in res.findings if f.code == code]


def _raises(src, fragment):
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            exec(compile(src, "snippet.py", "exec"), {"__name__": "snippet"})
    except RuntimeError as exc:
        assert fragment in str(exc), exc
        return True
    return False


H = "import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\nimport numpy as np\n"

# ---------------------------------------------------------------------- PT001
VIEW_CASES = {
    # transposes of every spelling
    "transpose": "x = torch.randn(3, 4)\ny = x.transpose(0, 1).view(-1)",
    "permute-b": "def f(x, b):\n    return x.permute(0, 2, 1).view(b, -1)\nf(torch.randn(2, 3, 4), 2)",
    "t": "def f(x):\n    return x.t().view(-1)\nf(torch.randn(3, 4))",
    "T": "def f(x):\n    return x.T.view(-1)\nf(torch.randn(3, 4))",
    "mT": "def f(x):\n    return x.mT.view(-1)\nf(torch.randn(2, 3, 4))",
    "mH": "def f(x):\n    return x.mH.view(-1)\nf(torch.randn(3, 4))",
    "torch.transpose": "def f(x):\n    return torch.transpose(x, 0, 1).view(-1)\nf(torch.randn(3, 4))",
    "swapaxes": "def f(x):\n    return x.swapaxes(0, 1).view(-1)\nf(torch.randn(3, 4))",
    "swapdims": "def f(x):\n    return x.swapdims(0, 1).view(-1)\nf(torch.randn(3, 4))",
    "movedim": "def f(x):\n    return x.movedim(0, 2).view(-1)\nf(torch.randn(2, 3, 4))",
    # views that cut or repeat memory
    "narrow": "x = torch.randn(3, 4)\ny = x.narrow(1, 0, 2).view(-1)",
    "narrow-dim0": "x = torch.randn(3, 4)\ny = x.narrow(0, 0, 2).view(-1)",
    "step-slice-odd": "x = torch.randn(3, 5)\ny = x[:, ::2].view(-1)",
    "step-slice-even": "x = torch.randn(3, 4)\ny = x[:, ::2].view(-1)",
    "step-slice-dim0": "x = torch.randn(4, 3)\ny = x[::2].view(-1)",
    "slice-cols": "x = torch.randn(3, 4)\ny = x[:, 1:].view(-1)",
    "slice-rows": "x = torch.randn(3, 4)\ny = x[1:].view(-1)",
    "unfold": "x = torch.arange(10.0)\ny = x.unfold(0, 3, 1).view(-1)",
    "unfold-tiling": "x = torch.arange(12.0)\ny = x.unfold(0, 3, 3).view(-1)",
    "expand": "x = torch.randn(3, 1)\ny = x.expand(3, 4).view(-1)",
    "expand-same": "x = torch.randn(3, 1)\ny = x.expand(3, 4).view(3, 4)",
    "split-dim1": "x = torch.randn(3, 4)\na, b = torch.split(x, 2, dim=1)\nc = a.view(-1)",
    "split-dim0": "x = torch.randn(4, 3)\na, b = torch.split(x, 2)\nc = a.view(-1)",
    "chunk-last": "x = torch.randn(3, 4)\nd = x.chunk(2, dim=-1)[0].view(-1)",
    "chunk-first": "x = torch.randn(4, 3)\nd = x.chunk(2)[0].view(-1)",
    # carried through variables and ops that keep strides
    "variable": "x = torch.randn(3, 4)\ny = x.permute(1, 0)\nprint(y.shape)\nz = y.view(-1)",
    "scalar-mul": "x = torch.randn(3, 4)\ny = x.t() * 2\nz = y.view(-1)",
    "scalar-rmul": "x = torch.randn(3, 4)\ny = 2 * x.t()\nz = y.view(-1)",
    "plus-contiguous": "x = torch.randn(3, 4)\nc = torch.randn(4, 3)\nz = (x.t() + c).view(-1)",
    "contiguous-plus": "x = torch.randn(3, 4)\nc = torch.randn(4, 3)\nz = (c + x.t()).view(-1)",
    "float": "x = torch.randn(3, 4)\nz = x.t().float().view(-1)",
    "double": "x = torch.randn(3, 4)\nz = x.t().double().view(-1)",
    "to-dtype": "x = torch.randn(3, 4)\nz = x.t().to(torch.float64).view(-1)",
    "clone": "x = torch.randn(3, 4)\nz = x.t().clone().view(-1)",
    "relu": "x = torch.randn(3, 4)\nz = F.relu(x.t()).view(-1)",
    "detach": "x = torch.randn(3, 4)\nz = x.t().detach().view(-1)",
    "unsqueeze": "x = torch.randn(3, 4)\nz = x.t().unsqueeze(0).view(-1)",
    "self-attr": "class M(nn.Module):\n    def forward(self, x):\n        B, N, C = x.shape\n"
                 "        self.h = x.transpose(1, 2)\n        return self.h.view(B, -1)\nM()(torch.randn(2, 3, 4))",
    "attention": "def f(q):\n    B, H, N, D = q.shape\n    out = q.transpose(1, 2)\n    return out.view(B, N, H * D)\n"
                 "f(torch.randn(2, 3, 4, 5))",
    "imagenet-accuracy": "output, target = torch.randn(8, 10), torch.randint(0, 10, (8,))\n"
                         "_, pred = output.topk(5, 1, True, True)\npred = pred.t()\n"
                         "correct = pred.eq(target.view(1, -1).expand_as(pred))\n"
                         "top5 = correct[:5].view(-1).float().sum(0)",
    # the same helper with k from the caller: correct[:1] views fine, correct[:5] raises;
    # the body alone does not decide it (DETR only calls it with the default topk=(1,))
    "detr-accuracy": "def accuracy(output, target, topk=(1,)):\n    maxk = max(topk)\n"
                     "    _, pred = output.topk(maxk, 1, True, True)\n    pred = pred.t()\n"
                     "    correct = pred.eq(target.view(1, -1).expand_as(pred))\n"
                     "    return [correct[:k].view(-1).float().sum(0) for k in topk]\n"
                     "accuracy(torch.randn(8, 10), torch.randint(0, 10, (8,)))",
    # fairseq multihead attention: the view only splits dim 0 of the transposed q
    "fairseq-split-dim0": "def attn(q, k, tgt_len, bsz, num_heads, head_dim):\n"
                          "    q = q.contiguous().view(tgt_len, bsz * num_heads, head_dim).transpose(0, 1)\n"
                          "    kv_bsz = k.size(1)\n    return q.view((kv_bsz, -1, num_heads) + q.size()[1:])\n"
                          "attn(torch.randn(5, 6, 4), torch.randn(7, 2, 4), 5, 2, 3, 4)",
    "fairseq-merge": "def attn(q, tgt_len, bsz, num_heads, head_dim):\n"
                     "    q = q.contiguous().view(tgt_len, bsz * num_heads, head_dim).transpose(0, 1)\n"
                     "    return q.view(-1, head_dim)\nattn(torch.randn(5, 6, 4), 5, 2, 3, 4)",
    # diffusers RAE: interpolate gives a contiguous (1, C, 1, W); only size-1 dims merge with W
    "diffusers-rae": "def interp(pos, dim):\n    p = pos.reshape(1, 1, -1, dim).permute(0, 3, 1, 2)\n"
                     "    p = F.interpolate(p, scale_factor=(1, 2.0), mode='bicubic', align_corners=False)\n"
                     "    return p.permute(0, 2, 3, 1).view(1, -1, dim)\ninterp(torch.randn(1, 6, 8), 8)",
    # what must stay silent
    "contiguous-first": "x = torch.randn(3, 4)\nz = x.t().contiguous().view(-1)",
    "reshape": "x = torch.randn(3, 4)\nz = x.t().reshape(-1)\nw = x.t().flatten()",
    "contiguous-var": "x = torch.randn(3, 4)\ny = x.transpose(0, 1).contiguous()\nz = y.view(-1)",
    "discarded": "x = torch.randn(3, 4)\nx.transpose(0, 1)\nz = x.view(-1)",
    "recontiguous": "x = torch.randn(3, 4)\ny = x.t()\ny = y.contiguous()\nz = y.view(-1)",
    "rebound": "x = torch.randn(3, 4)\ny = x.t()\ny = torch.zeros(4, 3)\nz = y.view(-1)",
    "dtype-view-same-size": "x = torch.randn(3, 4)\nz = x.t().view(torch.int32)",
    "clone-contiguous": "x = torch.randn(3, 4)\nz = x.t().clone(memory_format=torch.contiguous_format).view(-1)",
    "view-keeps-dims": "x = torch.randn(3, 4)\nz = x.t().view(4, 3)",
    "view-trailing-1": "x = torch.randn(3, 4)\nz = x.t().view(4, 3, 1)",
    "split-view": "def f(x):\n    B, N, C = x.shape\n    return x.transpose(1, 2).view(B, C, 2, N // 2)\nf(torch.randn(2, 4, 3))",
    "double-transpose": "x = torch.randn(3, 4)\nz = x.t().t().view(-1)",
    "permute-back": "x = torch.randn(2, 3, 4)\nz = x.permute(0, 2, 1).permute(0, 2, 1).view(-1)",
    "matmul": "x = torch.randn(3, 4)\nz = (x.t() @ x).view(-1)",
    "softmax": "def f(x):\n    return x.t().softmax(-1)\nz = f(torch.randn(3, 4)).view(-1)",
    "branch-join": "def f(x, flag):\n    y = x.t() if flag else x\n    return y.view(-1)\nf(torch.randn(3, 4), False)",
    # issue 12: exact stride reasoning
    "vit-pos-embed": "x = torch.randn(1, 8, 4, 4)\ny = x.permute(0, 2, 3, 1).view(1, -1, x.shape[1])",
    "vit-pos-embed-unknown": "def f(x):\n    return x.permute(0, 2, 3, 1).view(1, -1, x.shape[1])\n"
                             "f(torch.randn(1, 8, 4, 4))",
    "vit-interpolate": "def f(pos, n):\n    dim = pos.shape[-1]\n"
                       "    p = F.interpolate(pos.reshape(1, n, n, dim).permute(0, 3, 1, 2), scale_factor=2.0)\n"
                       "    return p.permute(0, 2, 3, 1).view(1, -1, dim)\nf(torch.randn(1, 16, 8), 4)",
    "unit-dims": "h = torch.randn(1, 1, 5)\ny = h.squeeze(0).transpose(1, 0).view(-1)",
    "unit-dims-unknown": "def f(h):\n    return h.squeeze(0).transpose(1, 0).view(-1)\nf(torch.randn(1, 1, 5))",
    "even-t": "x = torch.randn(2, 3)\ny = x" + ".t()" * 4 + ".view(-1)",
    "t-100": "x = torch.randn(2, 3)\ny = x" + ".t()" * 100 + ".view(-1)",
    "t-200": "x = torch.randn(2, 3)\ny = x" + ".t()" * 200 + ".view(-1)",
    "t-400": "x = torch.randn(2, 3)\ny = x" + ".t()" * 400 + ".view(-1)",
    "t-201": "x = torch.randn(2, 3)\ny = x" + ".t()" * 201 + ".view(-1)",
    "t-2x3": "x = torch.randn(2, 3)\ny = x.t().view(-1)",
    "permute-merge": "x = torch.randn(2, 3, 4)\ny = x.permute(0, 2, 1).view(2, -1)",
    "permute-keeps-adjacent": "x = torch.randn(2, 3, 4)\ny = x.permute(1, 2, 0).view(12, 2)",
    "mT-bad-permute": "x = torch.randn(3, 4).t().view(-1)\ntry:\n    y = torch.randn(2, 3).mT.permute(2, 0, 1)\n"
                      "except (RuntimeError, IndexError):\n    pass",
}
RAISING = {
    "transpose", "permute-b", "t", "T", "mT", "mH", "torch.transpose", "swapaxes", "swapdims", "movedim", "narrow",
    "step-slice-odd", "step-slice-dim0", "slice-cols", "unfold", "expand", "split-dim1", "chunk-last", "variable",
    "scalar-mul", "scalar-rmul", "plus-contiguous", "float", "double", "to-dtype", "clone", "relu", "detach",
    "unsqueeze", "self-attr", "attention", "imagenet-accuracy", "t-201", "fairseq-merge", "t-2x3", "permute-merge",
    "mT-bad-permute",
}


@pytest.mark.parametrize("name", sorted(VIEW_CASES))
def test_pt001_matches_torch(name):
    src = H + VIEW_CASES[name] + "\n"
    raises = _raises(src, "view size is not compatible")
    assert raises == (name in RAISING), f"torch disagrees with the case table for {name}"
    flagged = bool(_findings("PT001", src))
    assert flagged == raises, f"{name}: torch raises={raises}, ptlint flags={flagged}"


# ---------------------------------------------------------------------- PT003
TARGET_CASES = {
    "Tensor-list": "t = torch.Tensor([1, 0, 4])\nloss = nn.CrossEntropyLoss()(torch.randn(3, 5), t)",
    "FloatTensor": "loss = F.cross_entropy(torch.randn(2, 3), torch.FloatTensor([0, 2]))",
    "DoubleTensor": "loss = F.cross_entropy(torch.randn(1, 3), torch.DoubleTensor([1]))",
    "IntTensor": "loss = F.cross_entropy(torch.randn(1, 3), torch.IntTensor([1]))",
    "zeros": "loss = F.cross_entropy(torch.randn(4, 3), torch.zeros(4))",
    "full-float": "loss = F.cross_entropy(torch.randn(4, 3), torch.full((4,), 1.0))",
    "tensor-floats": "crit = nn.CrossEntropyLoss()\nloss = crit(torch.randn(2, 3), torch.tensor([1., 0.]))",
    "dtype-float32": "labels = [1, 0]\nloss = F.cross_entropy(torch.randn(2, 3), torch.tensor(labels, dtype=torch.float32))",
    "dtype-int32": "labels = [1, 0]\nloss = F.cross_entropy(torch.randn(2, 3), torch.tensor(labels, dtype=torch.int32))",
    "cast-float": "def f(out, y):\n    return F.cross_entropy(out, y.float())\nf(torch.randn(2, 3), torch.tensor([1, 0]))",
    "cast-int": "def f(out, y):\n    return F.cross_entropy(out, y.int())\nf(torch.randn(2, 3), torch.tensor([1, 0]))",
    "cast-half": "def f(out, y):\n    return F.cross_entropy(out, y.half())\nf(torch.randn(2, 3), torch.tensor([1, 0]))",
    "to-float32": "def f(out, y):\n    return F.cross_entropy(out, y.to(torch.float32))\nf(torch.randn(2, 3), torch.tensor([1, 0]))",
    "type-FloatTensor": "def f(out, y):\n    return F.cross_entropy(out, y.type(torch.FloatTensor))\n"
                        "f(torch.randn(2, 3), torch.tensor([1, 0]))",
    "from-numpy-int32": "a = np.array([1, 0, 2], dtype=np.int32)\nloss = nn.NLLLoss()(torch.randn(3, 4), torch.from_numpy(a))",
    "from-numpy-float": "b = np.array([1.0, 0.0])\nloss = F.cross_entropy(torch.randn(2, 3), torch.from_numpy(b))",
    "bool": "loss = nn.CrossEntropyLoss()(torch.randn(2, 3), torch.tensor([True, False]))",
    "wrong-shape-probs": "out = torch.randn(6, 8)\nloss = nn.CrossEntropyLoss()(out, torch.randn(6))",
    "nll-probs": "p = torch.randn(6, 8).softmax(dim=1)\nloss = F.nll_loss(torch.randn(6, 8), p)",
    "class-attr": "class M(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
                  "        self.crit = nn.CrossEntropyLoss()\n    def step(self, out, y):\n"
                  "        return self.crit(out, y.float())\nM().step(torch.randn(2, 3), torch.tensor([1, 0]))",
    # valid targets
    "int64": "loss = nn.CrossEntropyLoss()(torch.randn((6, 8)), torch.tensor([1, 0, 3, 2, 5, 4]))",
    "probs": "loss = nn.CrossEntropyLoss()(torch.randn((6, 8)), torch.randn(6, 8).softmax(dim=1))",
    "randint": "loss = F.cross_entropy(torch.randn(4, 5), torch.randint(0, 5, (4,)))",
    "LongTensor": "loss = F.cross_entropy(torch.randn(2, 5), torch.LongTensor([1, 2]))",
    "long": "def f(out, y):\n    return F.cross_entropy(out, y.long())\nf(torch.randn(2, 3), torch.tensor([1, 0]).int())",
    "uint8": "loss = F.cross_entropy(torch.randn(4, 3), torch.ones(4, dtype=torch.uint8))",
    "one-hot": "def f(out, y):\n    return F.cross_entropy(out, F.one_hot(y, 3).float())\n"
               "f(torch.randn(2, 3), torch.tensor([1, 0]))",
    "one-hot-manual": "logits = torch.randn(4, 3)\ntarget = torch.zeros(4, 3)\ntarget[:, 0] = 1.0\n"
                      "loss = F.cross_entropy(logits, target)",
    "unknown": "def f(out, y):\n    return F.cross_entropy(out, y)\nf(torch.randn(2, 3), torch.tensor([1, 0]))",
}
TARGET_RAISING = set(TARGET_CASES) - {"int64", "probs", "randint", "LongTensor", "long", "uint8", "one-hot",
                                      "one-hot-manual", "unknown"}


@pytest.mark.parametrize("name", sorted(TARGET_CASES))
def test_pt003_matches_torch(name):
    src = H + TARGET_CASES[name] + "\n"
    raises = _raises(src, "target")
    assert raises == (name in TARGET_RAISING), f"torch disagrees with the case table for {name}"
    flagged = bool(_findings("PT003", src))
    assert flagged == raises, f"{name}: torch raises={raises}, ptlint flags={flagged}"


# ---------------------------------------------------------------------- PT004
def _shared(src, w, r):
    ns = {"__name__": "snippet"}
    with contextlib.redirect_stdout(io.StringIO()):
        exec(compile(src, "snippet.py", "exec"), ns)

    def arr(x):
        return x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else np.asarray(x)

    return np.shares_memory(arr(ns[w]), arr(ns[r]))


SHARE_CASES = [
    # (source, written alias, read alias, should be reported)
    ("tensor = torch.randn(3, 3)\narr = tensor.numpy()\nprint(tensor)\narr[0, :] = -1.0\nprint(arr)\nprint(tensor)",
     "arr", "tensor", True),
    ("arr = np.array([[j * 1.0 for j in range(5)] for i in range(3)])\ntensor = torch.from_numpy(arr)\n"
     "tensor_t = torch.tensor(arr)\narr[:, 0] = 666.666\nprint(tensor_t)\nprint(tensor)", "arr", "tensor", True),
    ("a = np.ones(3)\nt = torch.from_numpy(a)\nt *= 2\nprint(a.sum())", "t", "a", True),
    ("t = torch.ones(3)\na = t.detach().numpy()\na += 1\nloss = t.sum()", "a", "t", True),
    ("t = torch.ones(3)\na = t.cpu().numpy()\na.fill(0)\nprint(t)", "a", "t", True),
    ("a = np.arange(5.0)\nt = torch.as_tensor(a)\nnp.random.shuffle(a)\nprint(t)", "a", "t", True),
    ("t = torch.ones(3)\na = np.asarray(t)\na[0] = 2\nprint(t)", "a", "t", True),
    ("a = np.zeros(4)\nt = torch.from_numpy(a)\nv = t[1:]\nv.add_(1)\nprint(a)", "v", "a", True),
    # copies: not reported, and indeed not shared
    ("tensor = torch.randn(2, 3)\narr = tensor.numpy().copy()\narr[0, 0] = 0\nprint(tensor)", "arr", "tensor", False),
    ("arr = np.ones((2, 3))\ntensor = torch.from_numpy(arr.copy())\narr[:, 0] = 6\nprint(tensor)", "arr", "tensor", False),
    ("t = torch.ones(3)\na = np.array(t)\na[0] = 5\nprint(t)", "a", "t", False),
    ("a = np.ones(3)\nt = torch.tensor(a)\na[0] = 5\nprint(t)", "a", "t", False),
    ("t = torch.ones(3)\nb = t.clone().numpy()\nb[0] = 5\nprint(t)", "b", "t", False),
    ("a = np.ones(3)\nt = torch.from_numpy(a).float()\na[0] = 5\nprint(t)", "a", "t", False),
    ("a = np.ones(3)\nt = torch.as_tensor(a, dtype=torch.float32)\na[0] = 5\nprint(t)", "a", "t", False),
]


@pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")  # np.array(tensor)
@pytest.mark.parametrize("src,w,r,expected", SHARE_CASES, ids=[f"share{i}" for i in range(len(SHARE_CASES))])
def test_pt004_matches_numpy(src, w, r, expected):
    full = H + src + "\n"
    assert _shared(full, w, r) == expected, "the case table is wrong about sharing"
    found = _findings("PT004", full)
    assert bool(found) == expected
    if expected:
        assert f"`{w}`" in found[0].message_en and f"`{r}`" in found[0].message_en


def test_cpu_of_cpu_tensor_and_float_of_float32_are_the_same_tensor():
    # the aliasing facts behind PT004's .cpu() / .float() handling
    t = torch.ones(3)
    assert t.cpu() is t and t.float() is t and t.to("cpu") is t
    assert t.double() is not t


def test_notes_examples_dedent_cleanly():
    # the PT004 rule quotes the notes' snippet; keep it runnable as written
    src = textwrap.dedent(H + SHARE_CASES[0][0])
    assert _shared(src, "arr", "tensor")
