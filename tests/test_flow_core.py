"""The shared flow facts (``ptlint.rules.flow``) as another rule would use them."""
import libcst as cst
import pytest

from ptlint.rules import Config, lint_text
from ptlint.rules.flow import (
    BACKWARD, STEP, ZERO_GRAD, Inline, Kind, LoopBlock, Product, iteration_paths,
)
from ptlint.rules.flow.creation import creation_shape, literal_value_of
from ptlint.rules.flow.events import walk

from flowcheck import analyse, find


def value(src, code, **kw):
    flow, mod = analyse(src, **kw)
    return flow.value_of(find(mod, code))


def ints(shape):
    return tuple(d.coef if d.is_int else None for d in shape)


# ---------------------------------------------------------------------- dtype and shape
@pytest.mark.parametrize("expr,dtype,shape", [
    ("torch.tensor([1, 0, 3])", "int64", (3,)),
    ("torch.tensor([1., 0.])", "float32", (2,)),
    ("torch.tensor([[True], [False]])", "bool", (2, 1)),
    ("torch.Tensor([1, 2])", "float32", (2,)),
    ("torch.Tensor(3, 4)", "float32", (3, 4)),
    ("torch.IntTensor([1])", "int32", (1,)),
    ("torch.randn(6, 8)", "float32", (6, 8)),
    ("torch.zeros((2, 3), dtype=torch.long)", "int64", (2, 3)),
    ("torch.full((3,), 1)", "int64", (3,)),
    ("torch.full((3,), 1.0)", "float32", (3,)),
    ("torch.arange(5)", "int64", (5,)),
    ("torch.arange(0, 1, 0.25)", "float32", (4,)),
    ("torch.randint(0, 5, (4,))", "int64", (4,)),
    ("torch.eye(3)", "float32", (3, 3)),
    ("np.zeros((2, 2))", "float64", (2, 2)),
    ("np.array([1.0, 2.0])", "float64", (2,)),
    ("np.array([1, 2], dtype=np.int32)", "int32", (2,)),
])
def test_creation_dtype_and_shape(expr, dtype, shape):
    v = value(f"import torch\nimport numpy as np\nx = {expr}\n", expr)
    assert v.dtype == dtype and ints(v.shape) == shape


def test_numpy_default_int_is_platform_dependent_so_unknown():
    v = value("import numpy as np\na = np.array([1, 2])\n", "np.array([1, 2])")
    assert v.kind is Kind.NDARRAY and v.dtype is None


def test_set_default_dtype_makes_default_floats_unknown():
    src = "import torch\ntorch.set_default_dtype(torch.float64)\nx = torch.randn(3)\n"
    assert value(src, "torch.randn(3)").dtype is None


def test_casts_and_propagation():
    src = ("import torch\ny = torch.tensor([1, 2])\na = y.float()\nb = a.long()\nc = y.to(torch.float16)\n"
           "d = y.type(torch.DoubleTensor)\ne = y * 2.5\nf = y / 2\ng = y + 1\n")
    flow, mod = analyse(src)
    got = {n: flow.value_of(find(mod, n)).dtype for n in "abcdefg"}
    assert got == {"a": "float32", "b": "int64", "c": "float16", "d": "float64", "e": "float32", "f": "float32",
                   "g": "int64"}


def test_creation_shape_is_public_and_works_without_flow():
    call = cst.parse_expression("torch.randn(6, 8)")
    assert ints(creation_shape("torch.randn", call, literal_value_of)) == (6, 8)
    call = cst.parse_expression("torch.zeros((2, 3, 4))")
    assert ints(creation_shape("torch.zeros", call, literal_value_of)) == (2, 3, 4)
    assert creation_shape("torch.relu", cst.parse_expression("torch.relu(x)"), literal_value_of) is None


def test_symbolic_dims_from_shape_unpacking_and_size():
    src = "import torch\ndef f(x):\n    B, N, C = x.shape\n    n = x.size(1)\n    y = x.view(B, n * C)\n    return y\n"
    flow, mod = analyse(src)
    b, n, c = (flow.value_of(find(mod, name)) for name in ("B", "n", "C"))
    assert n.sym == flow.value_of(find(mod, "N")).sym  # x.size(1) and N name the same dim
    y = flow.value_of(find(mod, "y"))
    assert y.shape == (b.sym, n.sym * c.sym)


# ---------------------------------------------------------------------- layout
def test_layout_origin_points_at_the_transpose():
    src = "import torch\nx = torch.randn(3, 4)\ny = x.t()\nz = y * 2\nw = z.view(-1)\n"
    flow, mod = analyse(src)
    lay = flow.view_error(find(mod, "z.view(-1)"))
    assert lay is not None and lay.reason == "t" and mod.code_for_node(lay.origin) == "x.t()"


def test_if_else_join_forgets_disagreeing_layouts():
    src = "import torch\ndef f(x, c):\n    if c:\n        y = x.t()\n    else:\n        y = x.contiguous()\n    return y\n"
    flow, mod = analyse(src)
    assert flow.value_of(find(mod, "y")).layout is None


def test_loop_carried_value_is_joined():
    src = ("import torch\nx = torch.randn(3, 4)\nfor i in range(3):\n    z = x.view(-1)\n    x = x.t()\n")
    flow, mod = analyse(src)
    # first iteration: contiguous; later ones: transposed. Not certain either way: silent.
    assert flow.view_error(find(mod, "x.view(-1)")) is None


def test_with_and_try_blocks_are_followed():
    src = ("import torch\nx = torch.randn(3, 4)\nwith torch.no_grad():\n    y = x.t()\ntry:\n    z = y.view(-1)\n"
           "except RuntimeError:\n    z = None\n")
    flow, mod = analyse(src)
    assert flow.view_error(find(mod, "y.view(-1)")) is not None


def test_unknown_calls_keep_tensor_facts_but_drop_object_attributes():
    src = ("import torch\nclass A:\n    def run(self, x):\n        self.y = x.t()\n        helper(self)\n"
           "        return self.y\n    def other(self, x):\n        t = x.t()\n        helper(t)\n        return t\n")
    flow, mod = analyse(src)
    assert flow.value_of(find(mod, "self.y")).layout is None  # helper(self) may have replaced self.y
    assert flow.value_of(find(mod, "t")).layout.reason == "t"


def test_class_attributes_assigned_once_in_init():
    src = ("import torch\nimport torch.nn as nn\nclass Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
           "        self.fc = nn.Linear(4, 2)\n        self.crit = nn.CrossEntropyLoss()\n"
           "        self.opt = torch.optim.SGD(self.fc.parameters(), lr=0.1)\n    def step(self, x, y):\n"
           "        return self.crit(self.fc(x), y)\n")
    flow, mod = analyse(src)
    assert flow.value_of(find(mod, "self.crit")).kind is Kind.LOSS
    opt = flow.value_of(find(mod, "torch.optim.SGD(self.fc.parameters(), lr=0.1)"))
    assert opt.kind is Kind.OPTIMIZER and opt.params_of == "self.fc"


def test_tuple_unpacking_of_split_and_unbind():
    src = "import torch\nx = torch.randn(3, 4, 5)\nq, k, v = x.unbind(0)\na, b = x.chunk(2, dim=-1)\n"
    flow, mod = analyse(src)
    assert ints(flow.value_of(find(mod, "k")).shape) == (4, 5)
    assert flow.value_of(find(mod, "b")).layout.reason == "chunk"


# ---------------------------------------------------------------------- events
def test_loop_events_are_ordered_with_branches():
    src = ("import torch\ndef fit(model, opt, loader):\n    for i, (x, y) in enumerate(loader):\n"
           "        loss = model(x, y)\n        loss.backward()\n        if i % 2:\n            opt.step()\n"
           "            opt.zero_grad()\n")
    flow, _ = analyse(src)
    (loop,) = flow.loop_blocks()
    kinds = [(e.kind, e.key) for e in walk(loop.body) if e.kind in (BACKWARD, STEP, ZERO_GRAD)]
    assert kinds == [(BACKWARD, "loss"), (STEP, "opt"), (ZERO_GRAD, "opt")]
    paths = iteration_paths(loop.body, frozenset({BACKWARD, STEP, ZERO_GRAD}))
    assert sorted(len(p.events) for p in paths) == [1, 3]


def test_helper_summary_is_inlined_with_caller_names():
    src = ("import torch\ndef reset(o):\n    o.zero_grad()\ndef fit(model, optimizer, loader):\n"
           "    for x in loader:\n        reset(optimizer)\n        model(x).backward()\n        optimizer.step()\n")
    flow, mod = analyse(src)
    loop = next(lb for lb in flow.loop_blocks())
    inline = next(i for i in loop.body if isinstance(i, Inline))
    (ev,) = list(walk(inline.body))
    assert ev.kind == ZERO_GRAD and ev.key == "optimizer" and ev.via is not None
    summary = flow.function(next(n for n in mod.body if isinstance(n, cst.FunctionDef)))
    assert [e.key for e in walk(summary.block) if e.kind == ZERO_GRAD] == ["o"]


def test_notebook_cells_are_one_flow():
    import json

    nb = {"cells": [{"cell_type": "code", "source": "import torch\nx = torch.randn(3, 4).t()", "metadata": {},
                     "outputs": [], "execution_count": None},
                    {"cell_type": "code", "source": "y = x.view(-1)", "metadata": {}, "outputs": [],
                     "execution_count": None}],
          "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    res = lint_text(json.dumps(nb), "nb.ipynb", Config(select=("PT001",)), notebook=True)
    assert [(f.code, f.cell, f.line) for f in res.findings] == [("PT001", 2, 1)]
    assert res.findings[0].related[0].cell == 1


def test_hazards_record_write_and_read():
    src = "import torch\nt = torch.ones(3)\na = t.numpy()\na[0] = 2\nprint(t)\n"
    flow, mod = analyse(src)
    (h,) = flow.hazards
    assert mod.code_for_node(h.write.node) == "a[0]" and mod.code_for_node(h.read) == "t"
    assert mod.code_for_node(flow.bridge_of(h.write.group)) == "t.numpy()"


def test_values_join_not_guess():
    v = value("import torch\ndef f(c):\n    y = torch.zeros(2) if c else torch.ones(2, dtype=torch.long)\n    return y\n", "y")
    assert v.kind is Kind.TENSOR and v.dtype is None and ints(v.shape) == (2,)


def test_interpreter_failure_costs_one_statement_not_the_file(monkeypatch, caplog):
    from ptlint.rules.flow import interp

    real = interp.Interpreter.tensor_method

    def boom(self, node, recv_node, r, name, args, st):
        if name == "permute":
            raise ValueError("boom")
        return real(self, node, recv_node, r, name, args, st)

    monkeypatch.setattr(interp.Interpreter, "tensor_method", boom)
    src = "import torch\nx = torch.randn(2, 3).permute(1, 0)\ny = x.view(-1)\nz = torch.randn(3, 4).t().view(-1)\n"
    with caplog.at_level("WARNING", logger="ptlint"):
        res = lint_text(src, "t.py", Config(select=("PT001",)))
    assert not res.rule_errors
    # the statement that failed is skipped (x is opaque: nothing said about line 3); line 4 is still reported
    assert [f.line for f in res.findings] == [4]
    assert "skipped a statement" in caplog.text and "boom" in caplog.text
    assert analyse(src)[0].skipped == ["ValueError: boom"]


def test_out_of_range_permute_does_not_hide_other_findings():
    # issue 11: this crashed the flow analysis (IndexError in layout.permute) and every
    # flow finding of the file was lost, the real PT001 on the last line included
    src = "import torch\nx = torch.randn(2, 3).mT\nx = x.permute(2, 0, 1)\ny = torch.randn(3, 4).t().view(-1)\n"
    res = lint_text(src, "t.py", Config(select=("PT001", "PT002", "PT003", "PT004")))
    assert not res.rule_errors
    assert [(f.code, f.line) for f in res.findings] == [("PT001", 4)]
    assert analyse(src)[0].skipped == []  # fixed at the source, not only contained


def test_deep_nesting_does_not_crash():
    src = "import torch\nx = " + "(" * 150 + "torch.randn(3)" + ")" * 150 + "\ny = x.t().view(-1)\n"
    res = lint_text(src, "t.py", Config(select=("PT001", "PT002", "PT003", "PT004")))
    assert not res.rule_errors


def test_mono_products_are_commutative():
    a, b = Product.sym(("x", 0)), Product.sym(("x", 1))
    assert a * b == b * a and (a * Product.of(2)).coef == 2


def test_loop_blocks_are_one_per_loop():
    src = "import torch\nfor a in range(2):\n    for b in range(3):\n        x = torch.randn(2)\n"
    flow, _ = analyse(src)
    assert len(flow.loop_blocks()) == 2 and all(isinstance(lb, LoopBlock) for lb in flow.loop_blocks())


def test_chained_transposes_cost_linear_work(monkeypatch):
    # issue 11: 100/200/400 chained .t() took quadratic time and then RecursionError
    from ptlint.rules.flow import interp

    calls = []
    real = interp.Interpreter._ev
    monkeypatch.setattr(interp.Interpreter, "_ev", lambda self, n, st, read: calls.append(1) or real(self, n, st, read))

    def work(n):
        calls.clear()
        flow, module = analyse("import torch\nx = torch.randn(2, 3)\ny = x" + ".t()" * n + ".view(-1)\n")
        return len(calls), flow

    small, _ = work(100)
    big, flow = work(400)
    assert big <= 4 * small + 20
    assert not flow._views or all(v is None for v in flow._views.values())  # 400 transposes: contiguous again


@pytest.mark.parametrize("body,dtype", [
    # issue 12 "dtype defaults": what PyTorch gives, and unknown when the argument's type is unknown
    ("def f(x):\n    a = torch.arange(x.shape[1])\n", "int64"),
    ("def f(x):\n    h, w = x.shape[-2:]\n    a = torch.arange(w, device=x.device)\n", "int64"),
    ("def f(x):\n    a = torch.arange(x.size(0) // 2)\n", "int64"),
    ("def f(s):\n    a = torch.arange(len(s))\n", "int64"),
    ("a = torch.arange(5)\n", "int64"),
    ("a = torch.arange(5.0)\n", "float32"),
    ("a = torch.arange(0, 1, 0.1)\n", "float32"),
    ("def f(n):\n    a = torch.arange(n)\n", None),
    ("def f(x):\n    a = torch.arange(x * 0.5)\n", None),
    ("def f(n):\n    a = torch.randint(0, 5, (n,))\n", "int64"),
    ("def f(n):\n    a = torch.randperm(n)\n", "int64"),
    ("a = torch.tensor([1, 2])\n", "int64"),
    ("a = torch.tensor([1., 2])\n", "float32"),
    ("def f(n):\n    a = torch.zeros(n, dtype=torch.long)\n", "int64"),
    ("def f(n):\n    a = torch.zeros(n, dtype=torch.float16)\n", "float16"),
    ("def f(x):\n    a = x.long()\n", "int64"),
    ("def f(x):\n    a = x.long()[0]\n", "int64"),
    ("b = torch.arange(10)\na = b[2:5]\n", "int64"),
    ("def f(x):\n    a = x[0]\n", None),
])
def test_creation_dtypes_follow_pytorch(body, dtype):
    torch = pytest.importorskip("torch")
    v = value("import torch\n" + body, "a")
    assert v.dtype == dtype
    if dtype is not None and "def f" not in body:  # module-level ones run as written
        ns = {"torch": torch}
        exec(body, ns)
        assert str(ns["a"].dtype) == "torch." + dtype


def test_binding_a_name_does_not_scan_the_environment():
    # fuzz finding: State.bind/forget scanned every key: quadratic in a module's names
    from ptlint.rules.flow.state import State
    from ptlint.rules.flow.values import UNKNOWN

    class NoScan(dict):
        def __iter__(self):
            raise AssertionError("the whole environment was scanned")

    env = NoScan({f"v{i}": UNKNOWN for i in range(1000)})
    env.update({"self.fc": UNKNOWN, "self.fc.weight": UNKNOWN, "self.fcx": UNKNOWN, "x.grad": UNKNOWN})
    st = State.__new__(State)
    State.__init__(st, dict(env))  # the index is built once, from a plain copy
    st.env = NoScan(st.env)
    st.bind("v7", UNKNOWN)
    st.bind("x", UNKNOWN)
    st.bind("self.fc", UNKNOWN)
    st.forget("v8")
    assert "x.grad" not in st.env and "self.fc.weight" not in st.env
    assert "self.fcx" in st.env and "self.fc" in st.env and "v8" not in st.env
