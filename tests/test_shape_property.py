"""Property test with PyTorch as the oracle.

Random conv / transposed-conv / pooling / linear stacks (random kernel, stride, padding
including 'same' and 'valid', dilation, ceil_mode, groups, output_padding, input sizes,
1-D/2-D/3-D) are written as source, analysed statically, then the same source is run
with torch on the CPU. For every stack torch accepts, the static output shape equals
torch's; PT005 fires exactly for the stacks torch rejects."""
from __future__ import annotations

import random
import warnings

import pytest

torch = pytest.importorskip("torch")

from ptlint.rules import Config, lint_text  # noqa: E402
from ptlint.rules.shapes import ShapeAnalysis  # noqa: E402

SEED = 20240611
CASES = 520


def _tup(rng: random.Random, n: int, lo: int, hi: int):
    """An int, or (sometimes) a per-dim tuple."""
    if n > 1 and rng.random() < 0.25:
        return tuple(rng.randint(lo, hi) for _ in range(n))
    return rng.randint(lo, hi)


def _fmt(v) -> str:
    return repr(v)


def _conv(rng: random.Random, n: int, cin: int):
    cin_w = cin if rng.random() < 0.9 else rng.randint(1, 6)
    groups = rng.choice([1, 1, 1, 2, 3])
    cout = rng.randint(1, 4) * (groups if rng.random() < 0.85 else 1)
    if rng.random() < 0.85 and cin_w % groups:
        groups = 1
    kw = {}
    k = _tup(rng, n, 1, 5)
    s = 1 if rng.random() < 0.45 else _tup(rng, n, 1, 3)
    r = rng.random()
    if r < 0.2:
        kw["padding"] = "'same'"
        if rng.random() < 0.8:
            s = 1
    elif r < 0.3:
        kw["padding"] = "'valid'"
    elif r < 0.8:
        kw["padding"] = _fmt(_tup(rng, n, 0, 2))
    if s != 1:
        kw["stride"] = _fmt(s)
    if rng.random() < 0.35:
        kw["dilation"] = _fmt(_tup(rng, n, 1, 3))
    if groups != 1:
        kw["groups"] = str(groups)
    args = f"{cin_w}, {cout}, {_fmt(k)}"
    return f"nn.Conv{n}d({args}" + "".join(f", {a}={b}" for a, b in kw.items()) + ")", cout


def _convt(rng: random.Random, n: int, cin: int):
    cin_w = cin if rng.random() < 0.9 else rng.randint(1, 6)
    groups = rng.choice([1, 1, 1, 2])
    cout = rng.randint(1, 4) * groups
    if cin_w % groups and rng.random() < 0.85:
        groups = 1
    kw = {}
    k = _tup(rng, n, 1, 4)
    s = _tup(rng, n, 1, 3)
    kw["stride"] = _fmt(s)
    if rng.random() < 0.6:
        kw["padding"] = _fmt(_tup(rng, n, 0, 2))
    if rng.random() < 0.4:
        kw["output_padding"] = _fmt(_tup(rng, n, 0, 2))
    if rng.random() < 0.3:
        kw["dilation"] = _fmt(_tup(rng, n, 1, 2))
    if groups != 1:
        kw["groups"] = str(groups)
    return f"nn.ConvTranspose{n}d({cin_w}, {cout}, {_fmt(k)}" + "".join(
        f", {a}={b}" for a, b in kw.items()) + ")", cout


def _pool(rng: random.Random, n: int, cin: int):
    kind = rng.choice(["Max", "Avg"])
    kw = {}
    k = _tup(rng, n, 1, 4)
    if rng.random() < 0.6:
        kw["stride"] = _fmt(_tup(rng, n, 1, 3))
    if rng.random() < 0.5:
        kw["padding"] = _fmt(_tup(rng, n, 0, 2))
    if kind == "Max" and rng.random() < 0.3:
        kw["dilation"] = _fmt(_tup(rng, n, 1, 2))
    if rng.random() < 0.4:
        kw["ceil_mode"] = "True"
    if kind == "Avg" and rng.random() < 0.3:
        kw["count_include_pad"] = "False"
    return f"nn.{kind}Pool{n}d({_fmt(k)}" + "".join(f", {a}={b}" for a, b in kw.items()) + ")", cin


def _stack(rng: random.Random):
    """(source, input shape) for one random model."""
    if rng.random() < 0.12:
        feats = rng.randint(1, 12)
        shape = (1, feats)
        layers, f = [], feats
        for _ in range(rng.randint(1, 4)):
            fin = f if rng.random() < 0.8 else rng.randint(1, 12)
            f = rng.randint(1, 12)
            layers.append(f"nn.Linear({fin}, {f})")
        return layers, shape
    n = rng.choice([1, 2, 2, 2, 3])
    c = rng.randint(1, 6)
    hi = {1: 24, 2: 18, 3: 7}[n]
    spatial = tuple(rng.randint(1, hi) for _ in range(n))
    shape = (1, c, *spatial)
    layers = []
    for _ in range(rng.randint(1, 4)):
        r = rng.random()
        if r < 0.45:
            text, c = _conv(rng, n, c)
        elif r < 0.65:
            text, c = _convt(rng, n, c)
        else:
            text, c = _pool(rng, n, c)
        layers.append(text)
    if rng.random() < 0.35:
        layers.append("nn.Flatten()")
        layers.append("nn.Linear(__FEATURES__, 5)")
    return layers, shape


def _torch_features(layers: list[str], shape: tuple) -> int | None:
    """The Linear's right in_features (run the part before it), to make the test pick
    the right value most of the time and a wrong one sometimes."""
    ns: dict = {"torch": torch, "nn": torch.nn}
    try:
        body = ", ".join(layers[:-1])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = eval(f"nn.Sequential({body})", ns)(torch.randn(*shape))  # noqa: S307  (test-generated code)
        return int(out.shape[-1])
    except Exception:
        return None


def _source(layers: list[str], shape: tuple, style: str) -> str:
    dims = ", ".join(str(d) for d in shape)
    body = "".join(f"    {t},\n" for t in layers)
    if style == "comment":
        return f"import torch\nimport torch.nn as nn\nnet = nn.Sequential(  # ptlint: input=({dims})\n{body})\n"
    return f"import torch\nimport torch.nn as nn\nnet = nn.Sequential(\n{body})\nout = net(torch.randn({dims}))\n"


def _cases():
    rng = random.Random(SEED)
    out = []
    for i in range(CASES):
        layers, shape = _stack(rng)
        if layers[-1] == "nn.Linear(__FEATURES__, 5)":
            right = _torch_features(layers, shape)
            f = right if right is not None and rng.random() < 0.75 else rng.randint(1, 40)
            layers[-1] = f"nn.Linear({f}, 5)"
        out.append((_source(layers, shape, "comment" if i % 2 else "call"), shape))
    return out


def _oracle(src: str, shape: tuple):
    """torch's verdict: (accepted, output shape)."""
    ns: dict = {}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            exec(compile(src, "<stack>", "exec"), ns)  # noqa: S102  (the test's own generated code)
            out = ns["net"](torch.randn(*shape))
        return True, tuple(out.shape)
    except (RuntimeError, ValueError, IndexError) as exc:
        return False, str(exc).splitlines()[0]


def test_static_shapes_match_torch_on_random_stacks():
    torch.set_num_threads(1)
    cases = _cases()
    accepted = rejected = 0
    mismatches = []
    for src, shape in cases:
        ok, got = _oracle(src, shape)
        res = lint_text(src, "stack.py", Config(select=("PT005",)), keep_context=True)
        assert not res.rule_errors, res.rule_errors
        analysis = res.context.analysis(ShapeAnalysis)
        assert not analysis.internal_errors, (analysis.internal_errors, src)
        flagged = [f for f in res.findings if f.code == "PT005"]
        model = analysis.models[0]
        out = model.output
        static = tuple(out.shape.dims) if getattr(out, "shape", None) is not None and out.shape.exact else None
        if ok:
            accepted += 1
            if flagged or static != got:
                mismatches.append(("accepted", src, got, static, [f.message_en for f in flagged]))
        else:
            rejected += 1
            if not flagged:
                mismatches.append(("rejected", src, got, static, []))
    assert not mismatches, "\n\n".join(
        f"torch {kind}: torch={t} static={s} findings={f}\n{src}" for kind, src, t, s, f in mismatches[:8]
    ) + f"\n\n{len(mismatches)} mismatches of {len(cases)}"
    # The generator must exercise both sides of the property.
    assert accepted >= 200 and rejected >= 100, (accepted, rejected)


# ---------------------------------------------------------------------- tensor operations
def _dims(rng: random.Random, lo: int = 0, hi: int = 4) -> tuple:
    return tuple(rng.choice([1, 2, 3, 4]) for _ in range(rng.randint(lo, hi)))


def _op_case(rng: random.Random) -> str:
    kind = rng.choice(["matmul", "mm", "bmm", "add", "view", "reshape", "flatten", "cat", "stack", "transpose",
                       "unsqueeze", "squeeze", "sum"])
    a = _dims(rng, 1, 4)
    if kind in ("matmul", "add"):
        b = list(_dims(rng, 1, 4))
        if kind == "matmul" and rng.random() < 0.6 and b:  # make the inner dims agree most of the time
            b[0 if len(b) == 1 else -2] = a[-1]
        op = "@" if kind == "matmul" else "+"
        return f"c = torch.randn{a!r} {op} torch.randn{tuple(b)!r}"
    if kind in ("mm", "bmm"):
        r = 2 if kind == "mm" else 3
        a = _dims(rng, r - 1, r + 1)
        b = list(_dims(rng, r - 1, r + 1))
        if rng.random() < 0.6 and len(b) >= 2 and a:
            b[-2] = a[-1]
        return f"c = torch.{kind}(torch.randn{a!r}, torch.randn{tuple(b)!r})"
    x = f"torch.randn{a!r}"
    n = 1
    for d in a:
        n *= d
    if kind in ("view", "reshape"):
        target = [rng.choice([1, 2, 3, 4, 6, 8, 12]) for _ in range(rng.randint(1, 3))]
        if rng.random() < 0.5:
            target[rng.randrange(len(target))] = -1
        if rng.random() < 0.4:  # an exact, valid target
            target = [n] if rng.random() < 0.5 else [-1, a[-1]]
        if rng.random() < 0.05:
            target = [-1, -1]
        return f"c = {x}.{kind}({', '.join(map(str, target))})"
    if kind == "flatten":
        return f"c = {x}.flatten({rng.randint(-3, 3)}, {rng.randint(-3, 3)})"
    if kind in ("cat", "stack"):
        b = list(a)
        if rng.random() < 0.5 and b:
            b[rng.randrange(len(b))] = rng.choice([1, 2, 5])
        return f"c = torch.{kind}([{x}, torch.randn{tuple(b)!r}], dim={rng.randint(-len(a), len(a) - 1)})"
    if kind == "transpose":
        return f"c = {x}.transpose({rng.randint(-len(a), len(a) - 1)}, {rng.randint(-len(a), len(a) - 1)})"
    if kind == "unsqueeze":
        return f"c = {x}.unsqueeze({rng.randint(-len(a) - 1, len(a))})"
    if kind == "squeeze":
        return f"c = {x}.squeeze({rng.randint(-len(a), len(a) - 1)})" if rng.random() < 0.6 else f"c = {x}.squeeze()"
    return f"c = {x}.sum(dim={rng.randint(-len(a), len(a) - 1)}, keepdim={rng.random() < 0.5})"


def test_tensor_operations_match_torch():
    from ptlint.rules.shapes.report import value_shapes

    rng = random.Random(SEED + 1)
    accepted = rejected = 0
    mismatches = []
    for _ in range(400):
        src = "import torch\n" + _op_case(rng) + "\n"
        ns: dict = {}
        try:
            exec(compile(src, "<op>", "exec"), ns)  # noqa: S102  (the test's own generated code)
            ok, want = True, list(ns["c"].shape)
        except (RuntimeError, IndexError, ValueError) as exc:
            ok, want = False, str(exc).splitlines()[0]
        res = lint_text(src, "op.py", Config(select=("PT005",)), keep_context=True)
        analysis = res.context.analysis(ShapeAnalysis)
        assert not analysis.internal_errors, (analysis.internal_errors, src)
        got = value_shapes(analysis.module_value("c"))
        if ok:
            accepted += 1
            if res.findings or got != want:
                mismatches.append((src, want, got, [f.message_en for f in res.findings]))
        else:
            rejected += 1
            # every rejection of these shape-only ops is a shape error the engine can see
            if not res.findings:
                mismatches.append((src, want, got, []))
    assert not mismatches, "\n".join(f"{s.strip()}\n  torch={w} static={g} findings={f}" for s, w, g, f in mismatches[:10])
    assert accepted >= 150 and rejected >= 80, (accepted, rejected)
