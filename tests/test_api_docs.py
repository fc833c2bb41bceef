"""The torch API hover docs: coverage, lookups, aliases, house style, and that every
claim they make holds for the installed torch (names exist, signatures match, examples
behave as their ``# →`` / ``# ✗`` / ``# ⚠`` comments say)."""
from __future__ import annotations

import ast
import importlib
import inspect
import re
import subprocess
import sys
import warnings

import libcst as cst
import pytest
import torch

from ptlint.rules.docs import (
    ApiDoc,
    all_api_docs,
    api_doc,
    api_hover_markdown,
    method_doc,
    method_receivers,
    operator_doc,
)
from ptlint.rules.names import ImportTable

DOCS = all_api_docs()
CJK = re.compile(r"[\u4e00-\u9fff]")


def _ids(docs):
    return [d.qualname for d in docs]


# ------------------------------------------------------------------ coverage and shape
def test_at_least_100_distinct_documented_symbols():
    qualnames = {d.qualname for d in DOCS}
    assert len(qualnames) == len(DOCS) >= 100
    assert len({n for d in DOCS for n in d.names}) > len(DOCS)  # aliases add more names


@pytest.mark.parametrize("entry", DOCS, ids=_ids(DOCS))
def test_every_doc_has_signature_and_both_languages(entry: ApiDoc):
    assert entry.signature and entry.zh and entry.en
    short = entry.qualname.rsplit(".", 1)[-1]
    assert short in entry.signature or entry.qualname.endswith("__getitem__")
    assert entry.kind in ("function", "class", "method", "attribute")
    # Chinese text is Chinese: most letters are CJK once code spans are removed.
    prose = re.sub(r"`[^`]*`", "", entry.zh)
    cjk = len(CJK.findall(prose))
    latin = len(re.findall(r"[A-Za-z]", prose))
    assert cjk >= 20 and 2 * cjk > latin, entry.qualname
    assert "。" in entry.zh
    assert not CJK.search(entry.en), entry.qualname
    assert not CJK.search(entry.example), "examples are shared by both languages"
    assert not CJK.search(entry.signature)


@pytest.mark.parametrize("entry", DOCS, ids=_ids(DOCS))
def test_first_paragraph_states_the_conclusion(entry: ApiDoc):
    # House style: one paragraph of conclusion, then reason/usage paragraphs.
    zh_first = entry.zh.split("\n\n")[0]
    en_first = entry.en.split("\n\n")[0]
    assert zh_first.rstrip("*").endswith("。") and "\n" not in zh_first
    assert en_first.rstrip("*").endswith((".", ")")) and "\n" not in en_first
    assert entry.zh.count("\n\n") == entry.en.count("\n\n"), "zh and en say the same things"


# Glossary (hover-style.zh.md): when the English names a concept, the Chinese uses the term.
GLOSSARY = [
    (r"\bcontiguous", "内存连续"),
    (r"\bleaf\b|\b(are|only|on) leaves\b", "叶子节点"),
    (r"\bin place\b|\bin-place\b", "原地"),
    (r"shar(e|es|ing) (its |their )?memory|shared memory|memory is shared", "共享内存"),
    (r"\bzero(es)? (the )?grad|zero them|zeroes gradients", "梯度清零"),
    (r"\bstride\b", "步幅"),
    (r"\bleaf tensors?\b", "叶子节点"),
]


@pytest.mark.parametrize("entry", DOCS, ids=_ids(DOCS))
def test_chinese_uses_the_glossary_terms(entry: ApiDoc):
    en_prose = re.sub(r"`[^`]*`", "", entry.en)
    for pattern, term in GLOSSARY:
        if re.search(pattern, en_prose, re.IGNORECASE):
            assert term in entry.zh, f"{entry.qualname}: English says {pattern!r}, Chinese lacks {term}"


# ------------------------------------------------------------------ lookups
@pytest.mark.parametrize("qualname", [
    "torch.from_numpy", "torch.nn.CrossEntropyLoss", "torch.nn.functional.relu", "torch.optim.SGD",
    "torch.optim.lr_scheduler.StepLR", "torch.nn.init.kaiming_normal_", "torch.tensor", "torch.Tensor",
    "torch.LongTensor", "torch.arange", "torch.linspace", "torch.logspace", "torch.zeros_like",
    "torch.normal", "torch.randperm", "torch.manual_seed", "torch.matmul", "torch.mm", "torch.cat",
    "torch.stack", "torch.no_grad", "torch.nn.Linear", "torch.nn.Dropout", "torch.nn.Conv2d",
    "torch.nn.MaxPool2d", "torch.nn.Embedding", "torch.nn.RNN", "torch.nn.Sequential", "torch.nn.Module",
    "torch.nn.BCELoss", "torch.nn.L1Loss", "torch.nn.MSELoss", "torch.optim.Adagrad", "torch.optim.RMSprop",
    "torch.optim.Adam", "torch.optim.lr_scheduler.MultiStepLR", "torch.optim.lr_scheduler.ExponentialLR",
])
def test_canonical_names_resolve(qualname):
    entry = api_doc(qualname)
    assert entry is not None and qualname in entry.names


def test_unknown_names_are_none():
    assert api_doc("torch.not_a_function") is None
    assert api_doc("numpy.array") is None
    assert method_doc("definitely_not_a_method") is None
    assert method_doc("parameters", receiver="optimizer") is None
    assert operator_doc("%") is None


@pytest.mark.parametrize("name, qualname", [
    ("view", "torch.Tensor.view"), ("numpy", "torch.Tensor.numpy"), ("backward", "torch.Tensor.backward"),
    ("grad", "torch.Tensor.grad"), ("mT", "torch.Tensor.mT"), ("item", "torch.Tensor.item"),
    ("is_leaf", "torch.Tensor.is_leaf"), ("retain_grad", "torch.Tensor.retain_grad"),
    ("detach", "torch.Tensor.detach"), ("clone", "torch.clone"), ("requires_grad", "torch.Tensor.requires_grad"),
    ("contiguous", "torch.Tensor.contiguous"), ("is_contiguous", "torch.Tensor.is_contiguous"),
    ("squeeze", "torch.squeeze"), ("unsqueeze", "torch.unsqueeze"), ("reshape", "torch.reshape"),
    ("transpose", "torch.transpose"), ("permute", "torch.permute"), ("type", "torch.Tensor.type"),
    ("add_", "torch.Tensor.add_"), ("mul", "torch.mul"), ("sum", "torch.sum"), ("argmax", "torch.argmax"),
    ("softmax", "torch.nn.functional.softmax"), ("relu", "torch.nn.functional.relu"),
    ("apply", "torch.nn.Module.apply"), ("parameters", "torch.nn.Module.parameters"),
    ("named_parameters", "torch.nn.Module.named_parameters"), ("state_dict", "torch.nn.Module.state_dict"),
    ("eval", "torch.nn.Module.eval"), ("zero_grad", "torch.optim.Optimizer.zero_grad"),
    ("step", "torch.optim.Optimizer.step"), ("get_last_lr", "torch.optim.lr_scheduler.LRScheduler.get_last_lr"),
])
def test_method_names_resolve(name, qualname):
    entry = method_doc(name)
    assert entry is not None and entry.qualname == qualname


def test_receiver_picks_between_same_named_methods():
    # Tensor.to returns a new tensor, Module.to moves in place: different advice.
    assert method_doc("to", receiver="tensor").qualname == "torch.Tensor.to"
    assert method_doc("to", receiver="module").qualname == "torch.nn.Module.to"
    assert "x = x.to(device)" in method_doc("to").zh
    assert "原地" in method_doc("to", receiver="module").zh
    assert method_doc("zero_grad", receiver="module").qualname == "torch.nn.Module.zero_grad"
    assert method_doc("step", receiver="scheduler").qualname == "torch.optim.lr_scheduler.LRScheduler.step"
    assert method_receivers(api_doc("torch.sum")) == ("tensor",)
    assert method_receivers(api_doc("torch.optim.SGD")) == ()


@pytest.mark.parametrize("spellings", [
    ("torch.softmax", "torch.nn.functional.softmax", "torch.Tensor.softmax", "torch.special.softmax"),
    ("torch.relu", "torch.nn.functional.relu", "torch.Tensor.relu"),
    ("torch.sigmoid", "torch.nn.functional.sigmoid", "torch.Tensor.sigmoid"),
    ("torch.log_softmax", "torch.nn.functional.log_softmax", "torch.Tensor.log_softmax"),
    ("torch.matmul", "torch.Tensor.matmul", "torch.Tensor.__matmul__"),
    ("torch.cat", "torch.concat", "torch.concatenate"),
    ("torch.manual_seed", "torch.random.manual_seed"),
    ("torch.Tensor.size", "torch.Tensor.shape"),
    ("torch.nn.CrossEntropyLoss", "torch.nn.modules.loss.CrossEntropyLoss"),
])
def test_aliases_share_one_doc(spellings):
    found = {id(api_doc(s)) for s in spellings}
    assert len(found) == 1 and api_doc(spellings[0]) is not None


def test_operators_map_to_their_functions():
    assert operator_doc("@") is api_doc("torch.matmul")
    assert operator_doc("*") is api_doc("torch.mul")
    assert operator_doc("[]").qualname == "torch.Tensor.__getitem__"
    assert "不是矩阵乘法" in operator_doc("*").zh


def _resolve(src: str) -> str:
    module = cst.parse_module(src)
    table = ImportTable()
    table.scan_statements(module.body)
    expr = module.body[-1].body[0].value
    if isinstance(expr, cst.Call):
        expr = expr.func
    q = table.qualname(expr)
    assert q is not None, src
    return q


@pytest.mark.parametrize("src, qualname", [
    ("import torch.nn.functional as F\nF.relu(x)", "torch.nn.functional.relu"),
    ("from torch.nn import functional as fn\nfn.softmax(x, dim=1)", "torch.nn.functional.softmax"),
    ("import torch as T\nT.softmax(x, 1)", "torch.nn.functional.softmax"),
    ("from torch import nn\nnn.CrossEntropyLoss()", "torch.nn.CrossEntropyLoss"),
    ("from torch.nn import CrossEntropyLoss as CE\nCE()", "torch.nn.CrossEntropyLoss"),
    ("import torch.optim as optim\noptim.SGD(p, lr=0.1)", "torch.optim.SGD"),
    ("from torch.optim.lr_scheduler import StepLR\nStepLR(opt, 10)", "torch.optim.lr_scheduler.StepLR"),
    ("from torch import optim\noptim.lr_scheduler.MultiStepLR(opt, [3])", "torch.optim.lr_scheduler.MultiStepLR"),
    ("import torch.nn as nn\nnn.init.kaiming_normal_(w)", "torch.nn.init.kaiming_normal_"),
    ("from torch.nn import init\ninit.xavier_uniform_(w)", "torch.nn.init.xavier_uniform_"),
    ("import numpy as np, torch\ntorch.from_numpy(a)", "torch.from_numpy"),
    ("import torch\ntorch.FloatTensor(3)", "torch.FloatTensor"),
    ("import torch\ntorch.Tensor.view", "torch.Tensor.view"),
])
def test_names_resolved_by_the_import_table_have_docs(src, qualname):
    """The hover gets qualified names from the engine's import table; the docs must be
    keyed by exactly those names, whatever the import spelling."""
    entry = api_doc(_resolve(src))
    assert entry is not None and qualname in entry.names


# ------------------------------------------------------------------ hover markdown
@pytest.mark.parametrize("entry", DOCS, ids=_ids(DOCS))
def test_hover_markdown_house_style(entry: ApiDoc):
    for lang in ("zh", "en"):
        md = api_hover_markdown(entry, lang)
        first, _, rest = md.partition("\n\n")
        assert first.startswith("**") and first.endswith("**") and "\n" not in first
        inner = first[2:-2]
        assert not re.search(r"(?<!\\)\*", inner), "emphasis characters in the signature are escaped"
        assert inner.replace("\\", "") == entry.signature
        assert rest.startswith(entry.text(lang).split("\n\n")[0])
        if entry.example:
            assert f"```python\n{entry.example}\n```" in md
        if lang == "en":
            assert not CJK.search(md)


def test_hover_markdown_sample_matches_the_style_guide():
    md = api_hover_markdown(api_doc("torch.from_numpy"), "zh")
    assert md.startswith("**torch.from_numpy(ndarray) → Tensor**\n\n用 NumPy 数组创建张量，**与原数组共享内存**")
    assert "`torch.tensor(arr)`" in md
    assert md.rstrip().endswith("另见：`torch.tensor`、`torch.as_tensor`、`torch.Tensor.numpy`")
    en = api_hover_markdown(api_doc("torch.from_numpy"), "en")
    assert en.startswith("**torch.from_numpy(ndarray) → Tensor**\n\nCreates a tensor from a NumPy array **sharing its memory**")
    assert "See also: `torch.tensor`, `torch.as_tensor`, `torch.Tensor.numpy`" in en
    # Unknown languages fall back to Chinese, the default.
    assert api_hover_markdown(api_doc("torch.arange"), "fr") == api_hover_markdown(api_doc("torch.arange"))
    assert "\\*" in api_hover_markdown(api_doc("torch.arange"))  # keyword-only marker escaped


@pytest.mark.parametrize("qualname, must_say", [
    ("torch.arange", ["前闭后开"]),
    ("torch.linspace", ["前闭后闭"]),
    ("torch.tensor", ["int64", "float32"]),
    ("torch.Tensor", ["float32", "未初始化"]),
    ("torch.from_numpy", ["共享内存"]),
    ("torch.Tensor.item", ["一个元素"]),
    ("torch.Tensor.view", ["内存连续", "reshape"]),
    ("torch.squeeze", ["批量维"]),
    ("torch.nn.CrossEntropyLoss", ["int64", "概率", "独热编码"]),
    ("torch.optim.lr_scheduler.StepLR", ["调用次数", "epoch"]),
    ("torch.optim.SGD", ["动量"]),
    ("torch.optim.Optimizer.zero_grad", ["梯度清零"]),
    ("torch.normal", ["标准差", "size"]),
])
def test_key_facts_from_the_issue_are_stated(qualname, must_say):
    zh = api_doc(qualname).zh
    for phrase in must_say:
        assert phrase in zh, f"{qualname} should mention {phrase}"


def test_docs_package_import_is_light():
    code = (
        "import sys\n"
        "from ptlint.rules.docs import api_doc, api_hover_markdown\n"
        "api_hover_markdown(api_doc('torch.arange'))\n"
        "print(sorted(m for m in ('torch', 'jieba', 'numpy') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# ------------------------------------------------------------------ against real torch
RECEIVER_INSTANCES: dict = {}


def _receiver_instance(cls: str):
    if not RECEIVER_INSTANCES:
        model = torch.nn.Linear(2, 2)
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        RECEIVER_INSTANCES.update({
            "torch.Tensor": torch.ones(2),
            "torch.nn.Module": model,
            "torch.optim.Optimizer": opt,
            "torch.optim.lr_scheduler.LRScheduler": torch.optim.lr_scheduler.StepLR(opt, 1),
        })
    return RECEIVER_INSTANCES.get(cls)


def _lookup(qualname: str):
    """The object a qualified name denotes in the installed torch (instance attributes are
    looked up on an instance); raises if it does not exist."""
    owner, _, member = qualname.rpartition(".")
    instance = _receiver_instance(owner)
    if instance is not None:
        if hasattr(type(instance), member):
            return getattr(type(instance), member)
        assert hasattr(instance, member), qualname
        return getattr(instance, member)
    parts = qualname.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        for attr in parts[i:]:
            obj = getattr(obj, attr)
        return obj
    raise AssertionError(qualname)


ALL_NAMES = [n for d in DOCS for n in d.names if not n.startswith("torch.nn.modules.")]


@pytest.mark.parametrize("qualname", ALL_NAMES)
def test_documented_name_exists_in_torch(qualname):
    _lookup(qualname)


def test_every_see_also_is_documented_too():
    missing = [(d.qualname, s) for d in DOCS for s in d.see_also if api_doc(s) is None]
    assert not missing


def test_kind_matches_the_object():
    for entry in DOCS:
        obj = _lookup(entry.qualname)
        if entry.kind == "class":
            assert isinstance(obj, type), entry.qualname
        elif entry.kind in ("function", "method"):
            assert callable(obj) and not isinstance(obj, type), entry.qualname
        else:  # attributes: data descriptors on the class, or plain instance data
            assert not callable(obj) or inspect.isdatadescriptor(obj), entry.qualname


_PARAM = re.compile(r"^\s*(\*{0,2})([A-Za-z_][A-Za-z0-9_]*)")


def _param_names(sig: str) -> list[str]:
    start = sig.find("(")
    depth, end = 0, None
    for i in range(start, len(sig)):
        depth += sig[i] == "("
        depth -= sig[i] == ")"
        if depth == 0:
            end = i
            break
    inner = sig[start + 1:end]
    names, depth, cur = [], 0, ""
    for ch in inner + ",":
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        if ch == "," and depth == 0:
            m = _PARAM.match(cur)
            if m and m.group(2) != "self":
                names.append(m.group(2))
            cur = ""
        else:
            cur += ch
    return names


def _reference_overloads(obj, short: str) -> list[list[str]]:
    """Parameter lists torch defines (Python signature) or documents (the signature lines
    of a C function's docstring, one per overload); empty when it exposes neither."""
    target = obj.__init__ if isinstance(obj, type) else obj
    try:
        names = [p for p in inspect.signature(target).parameters if p != "self"]
        if names != ["args", "kwargs"]:  # a generic (*args, **kwargs) tells nothing
            return [names]
    except (TypeError, ValueError):
        pass
    out = []
    for line in (getattr(obj, "__doc__", None) or "").splitlines():
        line = line.strip().removeprefix(".. function:: ")
        if line.startswith(short + "("):
            out.append(_param_names(line.replace("\\*", "*")))
    return out


def _with_reference(entry: ApiDoc) -> bool:
    try:
        obj = _lookup(entry.qualname)
    except (AttributeError, AssertionError):
        return False  # reported by test_documented_name_exists_in_torch
    return "(" in entry.signature and bool(_reference_overloads(obj, entry.qualname.rsplit(".", 1)[-1]))


SIGNED = [d for d in DOCS if _with_reference(d)]


def test_most_signatures_are_checked_against_torch():
    # The rest are legacy typed-tensor constructors and classes whose __init__ is (*args, **kwargs).
    assert len(SIGNED) >= 140


@pytest.mark.parametrize("entry", SIGNED, ids=_ids(SIGNED))
def test_signature_parameters_match_torch(entry: ApiDoc):
    """Parameter names (in order) are the ones the installed torch documents or defines."""
    overloads = _reference_overloads(_lookup(entry.qualname), entry.qualname.rsplit(".", 1)[-1])
    for part in entry.signature.split(" / "):
        ours = _param_names(part)
        assert any(_in_order(ours, ref) for ref in overloads), f"{entry.qualname}: {ours} not within {overloads}"


def _in_order(ours: list[str], ref: list[str]) -> bool:
    it = iter(ref)
    return all(name in it for name in ours)


# ------------------------------------------------------------------ examples run as claimed
_MARK = re.compile(r"#\s*(→|✗|⚠)\s*(.*?)\s*$")


def _norm(text: str) -> str:
    return " ".join(text.split())


def _namespace() -> dict:
    import numpy as np
    from torch import nn, optim
    import torch.nn.functional as F

    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    return {
        "torch": torch, "nn": nn, "F": F, "optim": optim, "np": np, "model": model,
        "opt": optim.SGD(model.parameters(), lr=0.1),
        "loader": [(torch.randn(2, 4), torch.tensor([0, 2]))],
        "loss_fn": nn.CrossEntropyLoss(),
    }


def run_example(code: str) -> int:
    """Run an example statement by statement, checking its marked lines; returns how many
    claims were checked."""
    lines = code.splitlines()
    ns = _namespace()
    checked = 0
    for stmt in ast.parse(code).body:
        src = "\n".join(lines[stmt.lineno - 1:stmt.end_lineno])
        mark = _MARK.search(lines[stmt.end_lineno - 1])
        if mark is None:
            exec(compile(ast.Module([stmt], []), "<example>", "exec"), ns)
            continue
        kind, expected = mark.groups()
        checked += 1
        if kind == "→":
            assert isinstance(stmt, ast.Expr), src
            value = eval(compile(ast.Expression(stmt.value), "<example>", "eval"), ns)
            assert _norm(str(value)) == _norm(expected), f"{src}\n  gives {value!s}"
        elif kind == "✗":
            try:
                exec(compile(ast.Module([stmt], []), "<example>", "exec"), ns)
            except Exception as exc:  # noqa: BLE001 - the claim names the class
                names = [c.__name__ for c in type(exc).__mro__]
                assert expected in names, f"{src}\n  raised {type(exc).__name__}: {exc}"
            else:
                raise AssertionError(f"{src}\n  did not raise {expected}")
        else:
            # C++ warnings fire once per process unless torch is told to repeat them.
            warn_always = torch.is_warn_always_enabled()
            torch.set_warn_always(True)
            try:
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always")
                    exec(compile(ast.Module([stmt], []), "<example>", "exec"), ns)
            finally:
                torch.set_warn_always(warn_always)
            got = [w.category.__name__ for w in caught]
            assert expected in got, f"{src}\n  warned {got}"
    return checked


EXAMPLES = [d for d in DOCS if d.example]


@pytest.mark.parametrize("entry", EXAMPLES, ids=_ids(EXAMPLES))
def test_example_behaves_as_its_comments_say(entry: ApiDoc):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run_example(entry.example)


def test_most_docs_carry_checked_claims():
    # Each marked line is executed and checked by test_example_behaves_as_its_comments_say.
    checked = [d.qualname for d in EXAMPLES if any(_MARK.search(line) for line in d.example.splitlines())]
    assert len(checked) >= 150


def test_example_checker_catches_wrong_claims():
    with pytest.raises(AssertionError):
        run_example("torch.arange(3)  # → tensor([0, 1, 2, 3])")
    with pytest.raises(AssertionError):
        run_example("torch.zeros(2).view(2)  # ✗ RuntimeError")
    with pytest.raises(AssertionError):
        run_example("torch.ones(2)  # ⚠ UserWarning")
    assert run_example("torch.arange(3)  # → tensor([0, 1, 2])\nx = 1") == 1


# ------------------------------------------------------------------ names in the prose
# The prose says these do not exist; everything else it names in code spans must.
ABSENT_ON_PURPOSE = {"torch.leaky_relu", "torch.swish", "torch.normal_like"}
_PREFIX = {"torch": "torch", "nn": "torch.nn", "F": "torch.nn.functional", "optim": "torch.optim"}
_RECEIVER_VARS = {
    "x": "torch.Tensor", "t": "torch.Tensor", "model": "torch.nn.Module", "net": "torch.nn.Module",
    "opt": "torch.optim.Optimizer", "optimizer": "torch.optim.Optimizer",
    "sched": "torch.optim.lr_scheduler.LRScheduler", "scheduler": "torch.optim.lr_scheduler.LRScheduler",
}
_NAME_IN_CODE = re.compile(r"(?<![\w.])([A-Za-z_]\w*)\.([A-Za-z_][\w.]*\w)")


def _names_in_code_spans(text: str):
    for span in re.findall(r"`([^`]+)`", text):
        for head, rest in _NAME_IN_CODE.findall(span):
            if head in _PREFIX:
                yield _PREFIX[head] + "." + rest
            elif head in _RECEIVER_VARS and "." not in rest:  # model.fc.weight: a user attribute
                yield _RECEIVER_VARS[head] + "." + rest


@pytest.mark.parametrize("entry", DOCS, ids=_ids(DOCS))
def test_names_mentioned_in_the_prose_exist(entry: ApiDoc):
    for name in set(_names_in_code_spans(entry.zh + "\n" + entry.en)):
        if name in ABSENT_ON_PURPOSE:
            assert api_doc(name) is None
            continue
        try:
            _lookup(name)
        except (AttributeError, AssertionError) as exc:
            raise AssertionError(f"{entry.qualname} mentions `{name}`, which torch does not have") from exc


def test_absent_names_really_are_absent():
    for name in ABSENT_ON_PURPOSE:
        with pytest.raises(AttributeError):
            _lookup(name)
