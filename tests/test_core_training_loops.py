"""Issue 12 "training-loop shape": hand-written SGD helpers, gradient-norm accumulators,
detach aliases and ``clone().requires_grad_()`` leaves, as minimal reproductions of the
public code that was misreported. Each snippet also runs with torch, to show that what
the rule stays silent about really is correct code."""
import contextlib
import io

import pytest

from ptlint.rules import Config, lint_text

torch = pytest.importorskip("torch")


def codes(src, code):
    res = lint_text(src, "t.py", Config(select=(code,)))
    assert not res.rule_errors, res.rule_errors
    return [f.line for f in res.findings if f.code == code]


def run(src):
    ns = {"__name__": "snippet"}
    with contextlib.redirect_stdout(io.StringIO()):
        exec(compile(src, "snippet.py", "exec"), ns)
    return ns


SGD_HELPER = """import torch
def sgd(params, lr, batch_size):
    for param in params:
        param.data -= lr * param.grad / batch_size
w = torch.zeros(3, 1, requires_grad=True)
b = torch.zeros(1, requires_grad=True)
X, y = torch.randn(10, 3), torch.randn(10, 1)
for epoch in range(3):
    l = ((X @ w + b - y) ** 2).sum()
    l.backward()
    sgd([w, b], 0.03, 10)
    w.grad.data.zero_()
    b.grad.data.zero_()
"""


def test_sgd_helper_with_the_callers_clearing_is_not_missing_zero_grad():
    # d2l 3.2 linear-regression-scratch: the caller clears w.grad / b.grad after sgd()
    assert codes(SGD_HELPER, "PT002") == []
    ns = run(SGD_HELPER)
    assert float(ns["w"].grad.abs().sum()) == 0.0


def test_sgd_helper_without_any_clearing_is_still_reported():
    src = SGD_HELPER.replace("    w.grad.data.zero_()\n    b.grad.data.zero_()\n", "")
    assert codes(src, "PT002") == [4]


def test_sgd_helper_alone_is_not_a_training_loop():
    src = "import torch\ndef sgd(params, lr):\n    for p in params:\n        p.data -= lr * p.grad\n"
    assert codes(src, "PT002") == []


GRAD_CLIPPING = """import torch
def grad_clipping(params, theta, device):
    norm = torch.tensor([0.0], device=device)
    for param in params:
        norm += (param.grad.data ** 2).sum()
    norm = norm.sqrt().item()
    if norm > theta:
        for param in params:
            param.grad.data *= (theta / norm)
w = torch.zeros(3, requires_grad=True)
for epoch in range(3):
    l = (w * 2).sum()
    l.backward()
    grad_clipping([w], 1.0, "cpu")
    with torch.no_grad():
        w -= 0.1 * w.grad
    w.grad.zero_()
"""


def test_norm_accumulated_from_other_grads_is_not_a_step():
    # d2l 6.4 rnn-scratch: norm reads param.grad, it is no parameter updated from norm.grad
    assert codes(GRAD_CLIPPING, "PT002") == []
    run(GRAD_CLIPPING)


DETACH_ALIAS = """import torch
w = torch.zeros(3, requires_grad=True)
x = torch.randn(5, 3)
for e in range(10):
    cost = (x @ w).sum()
    cost.backward()
    tmp = w.detach()
    tmp -= 0.01 * w.grad
    w.grad.zero_()
"""


def test_update_through_a_detach_alias_is_cleared_by_the_originals_zero():
    # deeplearning-models logistic-regression: tmp shares w's memory
    assert codes(DETACH_ALIAS, "PT002") == []
    ns = run(DETACH_ALIAS)
    assert float(ns["w"].grad.abs().sum()) == 0.0


def test_update_through_a_detach_alias_without_clearing_names_the_parameter():
    src = DETACH_ALIAS.replace("    w.grad.zero_()\n", "")
    res = lint_text(src, "t.py", Config(select=("PT002",)))
    (f,) = res.findings
    assert f.line == 8 and "`w`" in f.message_en and "tmp" not in f.message_en


CLONE_LEAF = """import torch
def input_grad(x):
    x = x.clone().requires_grad_()
    y = (x * 2).sum()
    y.backward()
    return x.grad
g = input_grad(torch.randn(3))
"""


def test_clone_requires_grad_is_a_leaf():
    assert codes(CLONE_LEAF, "PT012") == []
    ns = run(CLONE_LEAF)
    assert ns["g"] is not None and torch.equal(ns["g"], torch.full((3,), 2.0))


def test_a_computed_tensor_is_still_a_non_leaf():
    src = "import torch\nw = torch.randn(3, requires_grad=True)\nz = w * 2\nz.sum().backward()\nprint(z.grad)\n"
    assert codes(src, "PT012") == [5]
