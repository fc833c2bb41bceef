"""``FlowAnalysis.backward_before(x.grad)``: whether a ``backward()`` of the same scope may have
run before a ``.grad`` read, the fact PT012 asks (before any backward every ``.grad`` is None,
leaf or not, so a read there shows nothing a rule should fix)."""
import pytest

from flowcheck import analyse, find

torch = pytest.importorskip("torch")


def before(src, code="y.grad"):
    flow, module = analyse(src)
    return flow.backward_before(find(module, code))


def test_a_read_before_the_backward_is_not_after_one():
    src = "import torch\nx = torch.ones(2, requires_grad=True)\ny = x * 2\nprint(y.grad)\ny.sum().backward()\n"
    y = torch.ones(2, requires_grad=True) * 2
    with pytest.warns(UserWarning):
        assert y.grad is None  # nothing ran yet: torch only warns that it never will
    assert before(src) is False


LEAF = "import torch\nx = torch.ones(2, requires_grad=True)\n"


@pytest.mark.parametrize("body, after", [
    ("y = x * 2\ny.sum().backward()\nprint(y.grad)", True),
    ("y = x * 2\ntorch.autograd.backward(y.sum())\nprint(y.grad)", True),
    # the next iteration's read comes after this iteration's backward
    ("for _ in range(3):\n    y = x * 2\n    print(y.grad)\n    y.sum().backward()", True),
    # one way through is enough: the read may come after a backward
    ("y = x * 2\nif flag:\n    y.sum().backward()\nprint(y.grad)", True),
    # a function's body starts with none: what its callers ran before is not followed
    ("y = x * 2\ny.sum().backward()\ndef show(y):\n    print(y.grad)", False),
])
def test_whether_a_backward_may_have_run_before_the_read(body, after):
    assert before(LEAF + body + "\n") is after


def test_notebook_cells_run_in_order():
    cells = ["import torch\nx = torch.ones(2, requires_grad=True)\ny = x * 2", "y.sum().backward()", "print(y.grad)"]
    import json
    nb = json.dumps({"cells": [{"cell_type": "code", "source": c, "metadata": {}, "outputs": []} for c in cells],
                     "metadata": {}, "nbformat": 4, "nbformat_minor": 5})
    flow, module = analyse(nb, notebook=True, path="t.ipynb")
    assert flow.backward_before(find(module, "y.grad")) is True
