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


def test_a_read_after_the_backward_is():
    src = "import torch\nx = torch.ones(2, requires_grad=True)\ny = x * 2\ny.sum().backward()\nprint(y.grad)\n"
    assert before(src) is True
    src = src.replace("y.sum().backward()", "torch.autograd.backward(y.sum())")
    assert before(src) is True


def test_a_loop_runs_its_backward_before_the_next_iterations_read():
    src = ("import torch\nx = torch.ones(2, requires_grad=True)\nfor _ in range(3):\n    y = x * 2\n"
           "    print(y.grad)\n    y.sum().backward()\n")
    assert before(src) is True


def test_one_branch_with_a_backward_is_enough():
    src = ("import torch\nx = torch.ones(2, requires_grad=True)\ny = x * 2\nif flag:\n    y.sum().backward()\n"
           "print(y.grad)\n")
    assert before(src) is True


def test_a_functions_body_starts_with_none():
    src = ("import torch\nx = torch.ones(2, requires_grad=True)\ny = x * 2\ny.sum().backward()\n"
           "def show(y):\n    print(y.grad)\n")
    assert before(src) is False


def test_notebook_cells_run_in_order():
    cells = ["import torch\nx = torch.ones(2, requires_grad=True)\ny = x * 2", "y.sum().backward()", "print(y.grad)"]
    import json
    nb = json.dumps({"cells": [{"cell_type": "code", "source": c, "metadata": {}, "outputs": []} for c in cells],
                     "metadata": {}, "nbformat": 4, "nbformat_minor": 5})
    flow, module = analyse(nb, notebook=True, path="t.ipynb")
    assert flow.backward_before(find(module, "y.grad")) is True
