"""PT001–PT004 as a user sees them: messages, related locations, fixes (applied, and the
fixed code run with torch where it matters), longer real-looking programs."""
import contextlib
import io
from pathlib import Path

import pytest

from ptlint.rules import Config, FixSafety, lint_text
from ptlint.rules.fixes import apply_edits, fix_text

ROOT = Path(__file__).resolve().parent.parent
FLOW = ("PT001", "PT002", "PT003", "PT004")


def lint(src, codes=FLOW, path="t.py"):
    res = lint_text(src, path, Config(select=codes))
    assert not res.rule_errors, res.rule_errors
    return res.findings


def run(src):
    with contextlib.redirect_stdout(io.StringIO()):
        exec(compile(src, "fixed.py", "exec"), {"__name__": "fixed"})


def line_of(src, n):
    return src.splitlines()[n - 1]


# ---------------------------------------------------------------------- PT001
ATTN = """import torch

def attention(q, k, v):
    B, H, N, D = q.shape
    attn = (q @ k.transpose(-2, -1)).softmax(dim=-1)
    out = (attn @ v).transpose(1, 2)
    return out.view(B, N, H * D)

q = torch.randn(2, 4, 5, 8)
y = attention(q, q, q)
"""


def test_pt001_message_related_and_both_fixes_work_in_torch():
    torch = pytest.importorskip("torch")
    (f,) = lint(ATTN, ("PT001",))
    assert (f.line, f.severity.value) == (7, "error")
    assert "`transpose()`" in f.message_zh and "RuntimeError" in f.message_zh
    assert "view size is not compatible" in f.message_en
    (rel,) = f.related
    assert rel.range.start.line == 6 and rel.message_zh == "转置发生在这里" and rel.message_en == "the transpose happens here"
    with pytest.raises(RuntimeError, match="view size is not compatible"):
        run(ATTN)
    # the quick fix: .contiguous() before .view
    assert f.fix.safety is FixSafety.SAFE
    fixed, applied = fix_text(ATTN, [f])
    assert applied and "out.contiguous().view(B, N, H * D)" in fixed
    run(fixed)
    # the alternative: .reshape
    (alt,) = f.alt_fixes
    reshaped = apply_edits(ATTN, alt.edits)
    assert "out.reshape(B, N, H * D)" in reshaped and alt.safety is FixSafety.SAFE
    run(reshaped)
    assert lint(fixed, ("PT001",)) == [] and lint(reshaped, ("PT001",)) == []
    del torch


def test_pt001_related_points_through_variables_and_ops():
    src = "import torch\nx = torch.randn(3, 4)\ny = x.permute(1, 0)\nz = (y * 2).float()\nw = z.view(-1)\n"
    (f,) = lint(src, ("PT001",))
    assert f.line == 5 and f.related[0].range.start.line == 3 and "permute" in f.message_en
    assert f.related[0].message_zh == "维度重排发生在这里"


def test_pt001_slice_wording():
    src = "import torch\nx = torch.randn(3, 5)\ny = x[:, ::2]\nz = y.view(-1)\n"
    (f,) = lint(src, ("PT001",))
    assert "切片" in f.message_zh and "slicing" in f.message_en and f.related[0].range.start.line == 3


def test_pt001_fix_on_parenthesised_receiver():
    pytest.importorskip("torch")
    src = "import torch\nx = torch.randn(3, 4)\nc = torch.randn(4, 3)\nz = (x.t() + c).view(-1)\n"
    (f,) = lint(src, ("PT001",))
    fixed, _ = fix_text(src, [f])
    assert "(x.t() + c).contiguous().view(-1)" in fixed
    run(fixed)


# ---------------------------------------------------------------------- PT002
TRAIN = """import torch
import torch.nn as nn

model = nn.Linear(4, 3)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
criterion = nn.CrossEntropyLoss()

optimizer.zero_grad()
for epoch in range(2):
    for x, y in [(torch.randn(8, 4), torch.randint(0, 3, (8,)))]:
        loss = criterion(model(x), y)
        loss.backward()
        optimizer.step()
"""


def test_pt002_report_at_step_with_backward_related_and_unsafe_fix():
    (f,) = lint(TRAIN, ("PT002",))
    assert f.line == 13 and line_of(TRAIN, f.line).strip() == "optimizer.step()"
    assert "`optimizer.step()`" in f.message_zh and "累积" in f.message_zh
    (rel,) = f.related
    assert rel.range.start.line == 12 and rel.message_zh == "backward() 在这里"
    assert f.fix.safety is FixSafety.UNSAFE
    assert fix_text(TRAIN, [f])[1] == []  # unsafe fixes need --unsafe-fixes
    fixed, applied = fix_text(TRAIN, [f], unsafe=True)
    assert applied
    assert "    for x, y in [(torch.randn(8, 4), torch.randint(0, 3, (8,)))]:\n        optimizer.zero_grad()\n" \
           "        loss = criterion(model(x), y)\n" in fixed
    assert lint(fixed, ("PT002",)) == []
    pytest.importorskip("torch")
    run(fixed)


def test_pt002_helper_step_reports_call_site():
    src = ("import torch\n\ndef update(opt):\n    opt.step()\n\ndef fit(model, opt, loader):\n"
           "    for x in loader:\n        model(x).backward()\n        update(opt)\n")
    (f,) = lint(src, ("PT002",))
    assert f.line == 4
    assert [r.range.start.line for r in f.related] == [8, 9]
    assert f.related[1].message_en == "the helper is called in the loop here"
    fixed, _ = fix_text(src, [f], unsafe=True)
    assert "    for x in loader:\n        opt.zero_grad()\n        model(x).backward()" in fixed


def test_pt002_manual_sgd_message_and_fix():
    src = ("import torch\nw = torch.randn(3, requires_grad=True)\nfor i in range(3):\n"
           "    loss = (w * 2).sum()\n    loss.backward()\n    with torch.no_grad():\n        w -= 0.1 * w.grad\n")
    (f,) = lint(src, ("PT002",))
    assert f.line == 7 and "`w.grad`" in f.message_zh
    fixed, _ = fix_text(src, [f], unsafe=True)
    assert "for i in range(3):\n    w.grad = None\n" in fixed
    torch = pytest.importorskip("torch")
    ns = {}
    exec(fixed.replace("w = torch.randn(3, requires_grad=True)", "w = torch.ones(3, requires_grad=True)"), ns)
    assert torch.allclose(ns["w"], torch.full((3,), 0.4))  # three steps of 0.1 * 2, no accumulation


def test_pt002_no_fix_when_optimizer_is_made_in_the_loop():
    src = ("import torch\ndef fit(model, loader):\n    opt = torch.optim.SGD(model.parameters(), lr=0.1)\n"
           "    for x in loader:\n        opt = torch.optim.SGD(model.parameters(), lr=0.1)\n"
           "        model(x).backward()\n        opt.step()\n")
    (f,) = lint(src, ("PT002",))
    assert f.fix is None


def test_pt002_gan_flags_only_the_discriminator():
    src = (ROOT / "examples" / "train_loop.py").read_text(encoding="utf-8")
    found = lint(src, ("PT002",))
    lines = [line_of(src, f.line).split("#")[0].strip() for f in found]
    assert "opt_d.step()" in lines and "opt_g.step()" not in lines


def test_pt002_correlated_accumulation_conditions_are_not_reported():
    # poutyne-style: clear at the first batch of a group, step at the last one
    src = ("import torch\nclass M:\n    def fit(self, loader, k):\n        for n, (x, y) in enumerate(loader):\n"
           "            if (n - 1) % k == 0:\n                self.optimizer.zero_grad()\n"
           "            self.net(x, y).backward()\n            if n % k == 0:\n                self.optimizer.step()\n")
    assert lint(src, ("PT002",)) == []


# ---------------------------------------------------------------------- PT003
def test_pt003_message_related_and_safe_fix_runs():
    torch = pytest.importorskip("torch")
    src = ("import torch\nimport torch.nn as nn\ncriterion = nn.CrossEntropyLoss()\nlogits = torch.randn(3, 5)\n"
           "labels = torch.tensor([1., 0., 4.])\nloss = criterion(logits, labels)\n")
    (f,) = lint(src, ("PT003",))
    assert (f.line, f.column) == (6, 25) and f.severity.value == "error"
    assert "float32" in f.message_zh and "int64" in f.message_zh and "(3,)" in f.message_zh and "(3, 5)" in f.message_zh
    assert f.related[0].range.start.line == 5 and f.related[0].message_zh == "目标张量在这里创建"
    assert f.fix.safety is FixSafety.SAFE  # the literal values are whole numbers
    fixed, _ = fix_text(src, [f])
    assert "criterion(logits, labels.long())" in fixed
    run(fixed)
    del torch


def test_pt003_int32_message_and_fix():
    pytest.importorskip("torch")
    src = ("import numpy as np\nimport torch\nimport torch.nn.functional as F\n"
           "a = np.array([1, 0, 2], dtype=np.int32)\ny = torch.from_numpy(a)\n"
           "loss = F.cross_entropy(torch.randn(3, 4), y)\n")
    (f,) = lint(src, ("PT003",))
    assert "int32" in f.message_en and "`F.cross_entropy`" in f.message_en and f.fix.safety is FixSafety.SAFE
    run(fix_text(src, [f])[0])


def test_pt003_cast_of_unknown_labels_is_an_unsafe_fix_and_expression_targets_get_parentheses():
    src = ("import torch\nimport torch.nn.functional as F\ndef f(out, y, z):\n    a = F.cross_entropy(out, y.float())\n"
           "    b = F.cross_entropy(out, target=torch.zeros(4) + 1)\n")
    fa, fb = lint(src, ("PT003",))
    assert fa.fix.safety is FixSafety.UNSAFE and "looks like class indices" in fa.message_en
    fixed = fix_text(src, [fb], unsafe=True)[0]
    assert "target=(torch.zeros(4) + 1).long()" in fixed


def test_pt003_probability_targets_get_no_long_fix():
    src = ("import torch\nimport torch.nn.functional as F\nlogp = torch.randn(6, 8).log_softmax(1)\n"
           "p = torch.randn(6, 8).softmax(dim=1)\nloss = F.nll_loss(logp, p)\n")
    (f,) = lint(src, ("PT003",))
    assert "NLLLoss" in f.message_en and f.fix is None


# ---------------------------------------------------------------------- PT004
NOTES = """import numpy as np
import torch

tensor = torch.randn(3, 3)
arr = tensor.numpy()
print(tensor)
arr[0, :] = -1.0
print(arr)
print(tensor)
"""


def test_pt004_hover_style_message_related_and_fix():
    torch = pytest.importorskip("torch")
    (f,) = lint(NOTES, ("PT004",))
    assert f.line == 7 and f.severity.value == "warning"
    assert f.message_zh == "`arr` 与 `tensor` 共享内存：这里对 `arr` 的原地写入会同时改掉 `tensor`，而 `tensor` 随后又被读取（第 9 行）"
    made, read = f.related
    assert (made.range.start.line, made.message_zh) == (5, "共享视图在这里创建")
    assert (read.range.start.line, read.message_zh) == (9, "随后在这里读取了 `tensor`")
    assert f.fix.safety is FixSafety.UNSAFE
    fixed, _ = fix_text(NOTES, [f], unsafe=True)
    assert "arr = tensor.numpy().copy()" in fixed
    ns = {}
    with contextlib.redirect_stdout(io.StringIO()):
        exec(fixed, ns)
    assert not bool((ns["tensor"][0] == -1.0).all())
    assert lint(fixed, ("PT004",)) == []
    del torch


def test_pt004_from_numpy_fix_clones():
    src = ("import numpy as np\nimport torch\narr = np.ones((3, 5))\ntensor = torch.from_numpy(arr)\n"
           "arr[:, 0] = 666.666\nprint(tensor)\n")
    (f,) = lint(src, ("PT004",))
    assert "tensor = torch.from_numpy(arr).clone()" in fix_text(src, [f], unsafe=True)[0]


def test_pt004_loop_write_read_next_iteration():
    src = ("import numpy as np\nimport torch\nt = torch.zeros(4)\nbuf = t.numpy()\nfor i in range(4):\n"
           "    print(t.sum())\n    buf[i] = i\n")
    (f,) = lint(src, ("PT004",))
    assert f.line == 7 and f.related[1].range.start.line == 6


def test_pt004_noqa_suppresses():
    src = NOTES.replace("arr[0, :] = -1.0", "arr[0, :] = -1.0  # noqa: PT004")
    assert lint(src, ("PT004",)) == []


# ---------------------------------------------------------------------- examples
@pytest.mark.parametrize("name,expected", [
    ("attention_view.py", {"PT001"}),
    ("train_loop.py", {"PT002"}),
    ("labels_dtype.py", {"PT003"}),
    ("numpy_interop.py", {"PT004"}),
])
def test_examples_trigger_their_rule(name, expected):
    src = (ROOT / "examples" / name).read_text(encoding="utf-8")
    found = lint(src)
    assert {f.code for f in found} == expected
    for f in found:  # every finding in an example is marked as such in the file
        assert "# " + f.code in line_of(src, f.line) or f"# {f.code}" in line_of(src, f.line), line_of(src, f.line)


def test_flow_rules_are_quiet_on_the_fixed_examples():
    for name in ("attention_view.py", "train_loop.py", "labels_dtype.py", "numpy_interop.py"):
        src = (ROOT / "examples" / name).read_text(encoding="utf-8")
        findings = lint(src)
        fixed, _ = fix_text(src, findings, unsafe=True)
        assert {f.code for f in lint(fixed)} <= {"PT002"}, name  # PT002's fix is one per loop
