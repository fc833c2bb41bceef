"""The one dtype model (``ptlint.rules.dtypes``) against PyTorch itself, and both
interpreters (``rules/flow`` and ``rules/shapes``) giving the same dtype because they read it."""
import random

import pytest

from ptlint.rules import dtypes as D

from flowcheck import value_of

torch = pytest.importorskip("torch")

NAMES = sorted(D.EXACT)
SCALARS = {"int": 3, "float": 0.5, "bool": True}
SHELL_UINTS = {"uint16", "uint32", "uint64"}


def _tensor(dtype, zero_dim):
    shape = () if zero_dim else (2,)
    return torch.empty(shape, dtype=getattr(torch, dtype), device="meta")


def _torch_name(dt):
    return str(dt).replace("torch.", "")


def _torch_promote(a, b):
    try:
        return _torch_name(torch.promote_types(getattr(torch, a), getattr(torch, b)))
    except RuntimeError:
        return None


@pytest.mark.parametrize("a", NAMES)
def test_promote_types_is_torchs_for_every_pair(a):
    for b in NAMES:
        assert D.promote_types(a, b) == _torch_promote(a, b), (a, b)


def test_result_type_agrees_with_torch_on_random_operands():
    rng = random.Random(12)
    answered = 0
    for _ in range(3000):
        ops, args = [], []
        for _ in range(2):
            if rng.random() < 0.3:
                kind = rng.choice(sorted(SCALARS))
                ops.append(D.scalar_operand(kind))
                args.append(SCALARS[kind])
            else:
                dt, zero = rng.choice(NAMES), rng.random() < 0.3
                known_rank = rng.random() < 0.7
                ops.append(D.Operand(dt, zero if known_rank else None))
                args.append(_tensor(dt, zero))
        if not any(isinstance(a, torch.Tensor) for a in args):
            continue
        ours = D.result_type(ops)
        try:
            theirs = _torch_name(torch.result_type(*args))
        except RuntimeError:
            theirs = None
        if ours is not None:
            answered += 1
            assert ours == theirs, (ops, args)
    assert answered > 1500  # the model answers most cases, not only the easy ones


@pytest.mark.parametrize("dtype", NAMES)
@pytest.mark.parametrize("kind", sorted(SCALARS))
def test_a_tensor_and_a_python_scalar(dtype, kind):
    t = _tensor(dtype, False)
    try:
        theirs = _torch_name(torch.result_type(t, SCALARS[kind]))
    except RuntimeError:
        theirs = None
    ours = D.binary_result(D.tensor_operand(dtype, 1), D.scalar_operand(kind))
    assert ours == theirs


def test_the_spec_examples():
    f32 = D.tensor_operand("float32", 2)
    assert D.binary_result(D.tensor_operand("int64", 1), D.scalar_operand("float")) == "float32"
    assert D.binary_result(D.tensor_operand("float64", 1), D.scalar_operand("int")) == "float64"  # x.double() + 1
    assert D.binary_result(D.tensor_operand("float16", 1), D.scalar_operand("float")) == "float16"
    assert D.binary_result(D.tensor_operand("int32", 1), D.tensor_operand("int64", 1)) == "int64"
    assert D.binary_result(f32, D.Operand(None, False)) is None  # unknown stays unknown
    # a tensor of unknown rank may be 0-d (a loss): float16 + float32 is float16 or float32
    assert D.binary_result(D.tensor_operand("float16", 2), D.Operand("float32")) is None
    assert D.binary_result(D.tensor_operand("float16", 2), D.tensor_operand("float32", 0)) == "float16"
    # set_default_dtype: a Python float with an int tensor is floating, width unknown
    assert D.binary_result(D.tensor_operand("int64", 1), D.scalar_operand("float"), default_float=None) == D.SOME_FLOAT
    assert D.binary_result(f32, D.scalar_operand("float"), default_float=None) == "float32"


@pytest.mark.parametrize("a", NAMES)
def test_true_division(a):
    for b in NAMES:
        try:
            theirs = _torch_name((_tensor(a, False) / _tensor(b, False)).dtype)
        except RuntimeError:
            theirs = None
        ours = D.binary_result(D.tensor_operand(a, 1), D.tensor_operand(b, 1), divide=True)
        assert ours is None or ours == theirs, (a, b)
        if theirs is not None and not {a, b} & SHELL_UINTS:
            assert ours == theirs, (a, b)  # only the shell uints (torch refuses most of them) are left out


INT_INPUTS = ("int64", "int32", "uint8", "bool")


@pytest.mark.parametrize("name", sorted(D.FLOAT_RESULT))
def test_float_result_functions(name):
    import torch.nn.functional as F

    fn = getattr(torch, name, None) or getattr(F, name)
    extra = {"dim": 0} if name in ("softmax", "log_softmax", "softmin") else {}
    for dt in INT_INPUTS + ("float64", "float16"):
        x = torch.ones(2, 3, dtype=getattr(torch, dt))
        try:
            theirs = _torch_name(fn(x, **extra).dtype)
        except (RuntimeError, NotImplementedError):
            continue  # softmax-like functions refuse integers: what they "give" is moot
        assert D.float_result(dt) == theirs, (name, dt)


@pytest.mark.parametrize("name", ["sum", "prod", "cumsum", "cumprod", "nansum", "argmax", "argmin", "all", "any",
                                  "count_nonzero", "mean", "amax"])
def test_reductions(name):
    for dt in ("int32", "int8", "uint8", "bool", "float16", "float64", "int64"):
        x = torch.ones(3, dtype=getattr(torch, dt))
        args = (0,) if name in ("cumsum", "cumprod") else ()
        try:
            theirs = _torch_name(getattr(x, name)(*args).dtype)
        except RuntimeError:
            continue
        assert D.reduction_result(name, dt) == theirs, (name, dt)


def test_creation_defaults():
    assert _torch_name(torch.arange(5).dtype) == D.arange_dtype(["int"]) == "int64"
    assert _torch_name(torch.arange(0.0, 5).dtype) == D.arange_dtype(["float", "int"]) == "float32"
    assert D.arange_dtype(["int", None]) is None  # an unknown bound: never a guess
    assert _torch_name(torch.full((2,), 1).dtype) == D.literal_dtype(["int"]) == "int64"
    assert _torch_name(torch.full((2,), True).dtype) == D.literal_dtype(["bool"]) == "bool"
    assert _torch_name(torch.tensor([1, 2.0]).dtype) == D.literal_dtype(["int", "float"]) == "float32"
    assert _torch_name(torch.tensor([True, 1]).dtype) == D.literal_dtype(["bool", "int"]) == "int64"
    assert D.literal_dtype(["int", None]) is None
    assert _torch_name(torch.randint(0, 5, (2,)).dtype) == _torch_name(torch.randperm(3).dtype) == D.DEFAULT_INT
    for fn in ("zeros", "ones", "empty", "rand", "randn"):
        assert _torch_name(getattr(torch, fn)(2).dtype) == D.DEFAULT_FLOAT and fn in D.FLOAT_FACTORIES


def test_spellings_name_torchs_dtypes():
    for attr, name in D.TORCH_DTYPES.items():
        assert _torch_name(getattr(torch, attr)) == name
    for method, name in D.CAST_METHODS.items():
        assert _torch_name(getattr(torch.ones(1), method)().dtype) == name
    for q, name in D.TENSOR_TYPES.items():
        if ".cuda." not in q:
            assert _torch_name(eval(q)(1).dtype) == name, q  # noqa: S307 - our own table


def test_numpy_spellings():
    np = pytest.importorskip("numpy")
    for attr, name in D.NUMPY_DTYPES.items():
        if name is not None and hasattr(np, attr):
            assert str(np.dtype(getattr(np, attr))) == name, attr
    for s, name in D.STRING_DTYPES.items():
        if s != "bfloat16":
            assert str(np.dtype(s)) == name, s


def test_the_model_never_imports_torch():
    import ast
    import inspect

    tree = ast.parse(inspect.getsource(D))
    imported = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))
                for a in (n.names if isinstance(n, ast.Import) else [ast.alias(n.module or "")])}
    assert not imported & {"torch", "numpy", "libcst"}


# ---------------------------------------------------------------------- both interpreters
def _flow_dtype(src, expr):
    return value_of(src, expr).dtype


def _shapes_dtype(src, name="y"):
    from ptlint.rules.shapes.report import analyse_text

    _, an = analyse_text(src)
    v = an.module_value(name)
    return getattr(v, "dtype", None)


def _torch_dtype(src, name="y"):
    env = {}
    exec(src, env)  # noqa: S102 - our own test snippets
    return _torch_name(env[name].dtype)


EXPRESSIONS = [
    ("torch.randn(3, 4)", "float32"),
    ("torch.randn(3, 4).double() + 1", "float64"),
    ("torch.randn(3, 4).half() * 2.5", "float16"),
    ("torch.arange(5) * 0.5", "float32"),
    ("torch.arange(5) / 2", "float32"),
    ("torch.arange(5) // 2", "int64"),
    ("torch.arange(5).int() + 1", "int32"),
    ("torch.zeros(3, dtype=torch.bool) + 1", "int64"),
    ("torch.randint(0, 5, (2, 3)).sum(1)", "int64"),
    ("torch.randint(0, 5, (2, 3)).int().sum(1)", "int64"),
    ("torch.randint(0, 5, (2, 3)).argmax(1)", "int64"),
    ("torch.exp(torch.arange(4))", "float32"),
    ("torch.full((2,), 1)", "int64"),
    ("torch.full((2,), 1.0)", "float32"),
    ("torch.tensor([1, 2, 3])", "int64"),
    ("torch.tensor([1.0, 2.0])", "float32"),
    ("torch.tensor([True, False])", "bool"),
    ("torch.randn(2, 3).long()", "int64"),
    ("torch.randn(2, 3).to(torch.float64)", "float64"),
    ("torch.randn(2, 3).double() + torch.randn(2, 3)", "float64"),
    ("torch.arange(6).int() + torch.arange(6)", "int64"),
    ("torch.randperm(4)", "int64"),
    ("torch.randn(3).half() + torch.randn(3).sum()", "float16"),  # a 0-d float32 does not widen float16
    ("torch.randint(0, 5, (3,)) + torch.randn(3).sum()", "float32"),  # but a higher category does
    ("torch.tensor([1, 2]) * True", "int64"),
    ("torch.arange(4) ** 0.5", "float32"),
    ("torch.cat([torch.arange(3).int(), torch.arange(3)])", "int64"),
    ("torch.randn(2, 3) @ torch.randn(3, 4)", "float32"),
    ("torch.randn(3, dtype=torch.complex64) * 0.5", "complex64"),  # flow said float32
    ("torch.randn(3, dtype=torch.complex64) + torch.randn(3).double()", "complex128"),
]


@pytest.mark.parametrize("expr,expected", EXPRESSIONS)
def test_flow_and_shapes_give_torchs_dtype(expr, expected):
    src = f"import torch\ny = {expr}\n"
    assert _torch_dtype(src) == expected
    assert _flow_dtype(src, expr) == expected
    assert _shapes_dtype(src) == expected


# ---------------------------------------------------------------------- what the rules now see
def _codes(src, select):
    from ptlint.rules import lint_text

    return sorted({f.code for f in lint_text(src, "t.py").findings if f.code in select})


def _raises(src):
    default = torch.get_default_dtype()
    try:
        exec(src, {})  # noqa: S102 - our own test snippets
    except (RuntimeError, IndexError):
        return True
    finally:
        torch.set_default_dtype(default)  # a snippet may change it
    return False


EMB = "import torch\nimport torch.nn as nn\nemb = nn.Embedding(10, 4)\nidx = torch.randint(0, 10, (2, 3))\n"
LOSS = ("import torch\nimport torch.nn.functional as F\nout = torch.randn(4, 5)\n"
        "y = torch.randint(0, 5, (4,))\n")

# each flagged now because the model knows the result is floating (it said int64 before)
MUST_FLAG = [
    (EMB + "e = emb(idx.sqrt())\n", "PT022"),  # sqrt of an int tensor is float32
    (EMB + "e = emb(torch.exp(idx))\n", "PT022"),
    (EMB + "e = emb(torch.div(idx, 2))\n", "PT022"),  # true division of ints: float32
    (LOSS + "l = F.cross_entropy(out, torch.div(y, 2))\n", "PT003"),
]
# int results the model used to call float (division with a rounding mode), or keeps int now
MUST_NOT_FLAG = [
    (EMB + "e = emb(idx.div(2, rounding_mode='floor'))\n", ("PT022", "PT005")),
    (EMB + "e = emb(torch.div(idx, 2, rounding_mode='trunc'))\n", ("PT022", "PT005")),
    (LOSS + "l = F.cross_entropy(out, y.div(2, rounding_mode='floor'))\n", ("PT003",)),
    (LOSS + "l = F.cross_entropy(out, torch.cat([y, y]).view(2, 4)[0])\n", ("PT003",)),
    (EMB + "e = emb(torch.zeros(2, 3, dtype=torch.bool) + idx)\n", ("PT022", "PT005")),
]


@pytest.mark.parametrize("src,code", MUST_FLAG)
def test_must_flag_a_floating_result(src, code):
    assert _raises(src)  # torch agrees that this is a bug
    assert _codes(src, (code,)) == [code]


@pytest.mark.parametrize("src,select", MUST_NOT_FLAG)
def test_must_not_flag_an_integer_result(src, select):
    assert not _raises(src)
    assert _codes(src, select) == []


SHAPES_EMB = """import torch
from torch import nn

class M(nn.Module):  # ptlint: input=(2, 5)
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(10, 8)
        self.emb2 = nn.Embedding(10, 8)

    def forward(self, x):
        return self.emb2(self.emb(x.long()))
"""


def test_an_embeddings_output_is_floating_of_unknown_width():
    # the model may be cast (.double()): the table's width is not followed, its category is
    from ptlint.rules.shapes import shapes_report

    doc = shapes_report(SHAPES_EMB)
    errors = doc["models"][0]["errors"]
    assert len(errors) == 1 and errors[0]["code"] == "PT005"
    assert "是浮点张量，但 emb2 (Embedding)" in errors[0]["message_zh"]
    assert "a floating tensor, but emb2 (Embedding)" in errors[0]["message_en"]


def test_an_exact_float_in_the_embedding_message():
    from ptlint.rules.shapes import shapes_report

    doc = shapes_report(SHAPES_EMB.replace("self.emb(x.long())", "x.double()"))
    errors = doc["models"][0]["errors"]
    assert len(errors) == 1
    assert "是浮点（float64）张量，但 emb2 (Embedding)" in errors[0]["message_zh"]
    assert "a float64 tensor, but emb2 (Embedding)" in errors[0]["message_en"]


def test_the_probe_gets_the_exact_dtype_of_a_cast():
    # the family model sent ``x.to(torch.float64)`` to the probe as torch.float32
    from ptlint.rules.shapes import shapes_report

    doc = shapes_report("""import torch
from torch import nn

class M(nn.Module):  # ptlint: input=(2, 5)
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(5, 3)

    def forward(self, x):
        return self.fc(x.to(torch.float64).float())
""")
    steps = doc["models"][0]["steps"]
    to = [s for s in steps if s.get("method") == "to"]
    assert to and to[0]["args"] == [{"dtype": "torch.float64"}] and to[0]["dtype"] == "float64"
    assert [s["dtype"] for s in steps if s.get("method") == "float"] == ["float32"]


def test_a_file_that_sets_the_default_dtype_keeps_floats_floating():
    # torch.set_default_dtype(torch.float64): randn is floating, its width unknown to both
    src = ("import torch\nimport torch.nn as nn\ntorch.set_default_dtype(torch.float64)\n"
           "emb = nn.Embedding(10, 4)\ny = torch.randn(2, 3)\ne = emb(y)\n")
    assert _shapes_dtype(src) == D.SOME_FLOAT
    assert _flow_dtype(src, "torch.randn(2, 3)") is None
    assert _codes(src, ("PT005", "PT022")) == ["PT005"]  # still an Embedding fed floats
    assert _raises(src)


SHAPES_ONLY = [
    ("torch.arange(5).to(torch.randn(2))", "float32"),  # x.to(other): other's dtype
    ("torch.arange(5).type_as(torch.randn(2).double())", "float64"),
    ("torch.randn(5).to('cpu')", "float32"),  # a device keeps the dtype
]


@pytest.mark.parametrize("expr,expected", SHAPES_ONLY)
def test_shapes_follows_to_and_type_as(expr, expected):
    src = f"import torch\ny = {expr}\n"
    assert _torch_dtype(src) == expected == _shapes_dtype(src)


def test_an_unknown_dtype_argument_is_unknown_not_the_default():
    # shapes used to take torch.zeros(3, dtype=dt) for the default float and flag the Embedding
    src = (EMB + "def pick():\n    return getattr(torch, 'long')\ndt = pick()\n"
           "z = torch.zeros(3, dtype=dt)\nw = torch.arange(3).to(dtype=dt)\ne = emb(z) + emb(w)\n")
    assert not _raises(src)
    assert _shapes_dtype(src, "z") is None and _shapes_dtype(src, "w") is None
    assert _codes(src, ("PT005", "PT022")) == []


def test_a_conversion_to_an_unknown_dtype_is_unknown_not_the_receivers():
    # flow kept the receiver's dtype for x.type_as(other) when other's dtype was unknown, so
    # torch.zeros(3).type_as(idx) was float32 and emb(...) a PT022: idx may well be long
    src = EMB + "def f(ids):\n    pos = torch.zeros(3).type_as(ids)\n    return emb(pos)\n"
    assert _flow_dtype(src, "torch.zeros(3).type_as(ids)") is None
    assert _codes(src, ("PT005", "PT022")) == []
    known = EMB + "pos = torch.zeros(3).type_as(idx)\ne = emb(pos)\n"
    assert _flow_dtype(known, "torch.zeros(3).type_as(idx)") == "int64"
    assert _codes(known, ("PT005", "PT022")) == []
    wrong = EMB + "w = torch.randn(3)\npos = torch.zeros(3, dtype=torch.long).type_as(w)\ne = emb(pos)\n"
    assert _raises(wrong) and _codes(wrong, ("PT022",)) == ["PT022"]
