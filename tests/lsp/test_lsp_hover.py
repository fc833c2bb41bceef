"""Hover: rule docs on diagnostics, torch API docs through imports, shapes with formulas."""
import pytest
from lsprotocol import types

from .conftest import capabilities, lsp_session

pytestmark = pytest.mark.asyncio(loop_scope="module")

SOFTMAX = "import torch.nn.functional as F\n\ndef f(x):\n    return F.softmax(x)\n"

API = """import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import optim
from torch.nn import CrossEntropyLoss as CE

model = nn.Linear(4, 2)
x = torch.randn(8, 4)
h = F.relu(model(x))
loss = CE()(h, torch.zeros(8, dtype=torch.long))
loss.backward()
opt = optim.SGD(model.parameters(), lr=0.1)
y = x.view(-1) @ x.view(-1)  # F.relu in a comment
"""

LENET = """import torch
import torch.nn as nn
import torch.nn.functional as F


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5)
        self.pool = nn.MaxPool2d(2, 2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        x = torch.flatten(x, 1)
        return self.fc1(x)


net = Net()
out = net(torch.randn(1, 1, 32, 32))
seq = nn.Sequential(nn.Conv2d(3, 8, 3), nn.ReLU(), nn.Flatten())
"""


def first_line(hover: types.Hover) -> str:
    return hover.contents.value.split("\n", 1)[0]


def titles(hover: types.Hover) -> list[str]:
    """The bold first line of each part (parts are separated by a rule)."""
    return [part.strip().split("\n", 1)[0] for part in hover.contents.value.split("\n---\n")]


async def test_hover_on_a_diagnostic_shows_the_rule_docs_in_chinese(session, workdir):
    uri = (workdir / f"rule_{session.profile}.py").as_uri()
    session.open(uri, SOFTMAX)
    await session.diagnostics(uri)
    hover = await session.hover(uri, session.pos(uri, 3, "softmax"))
    value = hover.contents.value
    assert hover.contents.kind == types.MarkupKind.Markdown
    assert first_line(hover) == ("**PT017 softmax-without-dim · `F.softmax(x)` 没有指定 dim：隐式选择维度已被弃用，"
                                 "PyTorch 会按输入的维数猜（0、1、3 维沿第 0 维，其余沿第 1 维）；"
                                 "这里不知道输入的维数，请写明类别所在的维度**")
    for heading in ("#### 它检查什么", "#### 为什么有问题", "#### 示例", "#### 如何修复"):
        assert heading in value
    assert "可用快速修复：补上 dim=-1（不安全修复" in value
    assert hover.range == types.Range(session.pos(uri, 3, "F.softmax"), session.pos(uri, 3, "F.softmax(x)", 12))


async def test_hover_on_torch_names_resolves_imports_and_aliases(session, workdir):
    uri = (workdir / f"api_{session.profile}.py").as_uri()
    session.open(uri, API)
    await session.diagnostics(uri)
    cases = [
        (8, "relu", "torch.nn.functional.relu("),  # F.relu
        (6, "Linear", "torch.nn.Linear("),  # nn.Linear
        (9, "CE", "torch.nn.CrossEntropyLoss("),  # from torch.nn import CrossEntropyLoss as CE
        (11, "SGD", "torch.optim.SGD("),  # optim.SGD
        (7, "randn", "torch.randn("),
        (12, "view", "view("),  # a method on a tensor variable
        (10, "backward", "backward("),
    ]
    for line, word, signature in cases:
        hover = await session.hover(uri, session.pos(uri, line, word, 1))
        assert hover is not None, word
        assert any(signature in t and t.startswith("**") for t in titles(hover)), (word, titles(hover))
        assert any("\u4e00" <= ch <= "\u9fff" for ch in hover.contents.value), word  # Chinese text
        start = session.pos(uri, line, word)
        r = hover.range  # the word, or the call around it when its shape is shown too
        assert (r.start.line, r.start.character) <= (start.line, start.character) < (r.end.line, r.end.character)


async def test_matmul_operator_and_no_hover_in_comments(session, workdir):
    uri = (workdir / f"ops_{session.profile}.py").as_uri()
    session.open(uri, API)
    await session.diagnostics(uri)
    hover = await session.hover(uri, session.pos(uri, 12, "@"))
    # The expression's shape (a scalar: 1-D @ 1-D is a dot product), then torch.matmul.
    assert titles(hover)[0] == "**x.view(-1) @ x.view(-1) → ()**"
    assert "torch.matmul(" in titles(hover)[1]
    assert await session.hover(uri, session.pos(uri, 12, "relu in a comment")) is None
    assert await session.hover(uri, types.Position(5, 0)) is None  # an empty line


async def test_hover_keeps_working_while_the_file_is_half_typed(session, workdir):
    uri = (workdir / f"half_{session.profile}.py").as_uri()
    session.open(uri, API)
    await session.diagnostics(uri)
    session.change(uri, API + "z = F.relu(\n")  # unclosed call: the file no longer parses
    assert [d.code for d in await session.diagnostics(uri)] == ["PT000"]
    hover = await session.hover(uri, session.pos(uri, 13, "relu", 1))
    assert "torch.nn.functional.relu(" in titles(hover)[-1]


async def test_hover_on_a_layer_call_shows_the_shape_and_formula(session, workdir):
    uri = (workdir / f"lenet_{session.profile}.py").as_uri()
    session.open(uri, LENET)
    await session.diagnostics(uri)
    hover = await session.hover(uri, session.pos(uri, 15, "conv2", 1))
    assert hover.contents.value == ("**self.conv2(x) → (1, 16, 10, 10)**\n\n"
                                    "OH = ⌊(14 + 2×0 − 1×(5 − 1) − 1) / 1⌋ + 1 = 10")
    assert hover.range == types.Range(session.pos(uri, 15, "self.conv2"), session.pos(uri, 15, "self.conv2(x)", 13))
    # A tensor variable being assigned: its shape (and no API docs for a local name).
    hover = await session.hover(uri, session.pos(uri, 16, "x ="))
    assert hover.contents.value == "**x → (1, 400)**"


async def test_inlay_hints_after_layer_calls_and_sequential_entries(session, workdir):
    uri = (workdir / f"inlay_{session.profile}.py").as_uri()
    session.open(uri, LENET)
    await session.diagnostics(uri)
    hints = await session.inlay(uri)
    got = [(h.position.line, h.label) for h in hints]
    assert got == [
        (14, ": (1, 6, 28, 28)"), (14, ": (1, 6, 14, 14)"),
        (15, ": (1, 16, 10, 10)"), (15, ": (1, 16, 5, 5)"),
        (17, ": (1, 120)"),
    ]
    # Each hint sits right after its call; the Sequential without a known input shape
    # (its shapes are only partly known) gets none.
    assert hints[2].position == session.pos(uri, 15, "self.conv2(x)", len("self.conv2(x)"))


async def test_english_hover_and_plain_text_clients(tmp_path):
    caps = capabilities("vscode")
    caps.text_document.hover.content_format = [types.MarkupKind.PlainText]
    async with lsp_session("vscode", caps=caps, init_options={"lang": "en"}) as s:
        uri = (tmp_path / "en.py").as_uri()
        s.open(uri, SOFTMAX)
        await s.diagnostics(uri)
        hover = await s.hover(uri, s.pos(uri, 3, "softmax"))
        assert hover.contents.kind == types.MarkupKind.PlainText
        assert hover.contents.value.startswith("PT017 softmax-without-dim · F.softmax(x) without dim")
        assert "#### What it finds" in hover.contents.value
        assert "Quick fix available: add dim=-1 (unsafe fix" in hover.contents.value


NUMPY_SCRIPT = """import torch
import numpy as np

arr = np.zeros((3, 5), dtype=np.float32)
t = torch.from_numpy(arr).unsqueeze(0)
"""


async def test_hover_shows_the_flow_shapes_of_script_code(session, workdir):
    # Shapes no model's forward pass computes: script code across numpy and torch.
    uri = (workdir / f"script_{session.profile}.py").as_uri()
    session.open(uri, NUMPY_SCRIPT)
    await session.diagnostics(uri)
    hover = await session.hover(uri, session.pos(uri, 4, "t ="))
    assert hover.contents.value == "**t → (1, 3, 5)**"
