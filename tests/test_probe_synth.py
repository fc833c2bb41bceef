"""Snippet synthesis: only allow-listed names and literal values ever reach the
generated code; anything else makes the model unverifiable. No torch needed here."""
import ast
import importlib.util
import inspect
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ptlint.runtime_probe.allowlist import FUNCTIONS, LAYERS, METHODS, STRINGS, TORCH_DTYPES
from ptlint.runtime_probe.checks import loss_snippet, view_chain_snippet
from ptlint.runtime_probe.synth import DTYPES, Unverifiable, synthesize

_spec = importlib.util.spec_from_file_location("probe_contracts", Path(__file__).parent / "fixtures" / "probe_contracts.py")
C = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(C)

ALLOWED_QUALNAMES = set(LAYERS) | set(FUNCTIONS) | set(TORCH_DTYPES)
ALLOWED_WORDS = set().union(*STRINGS.values()) | {"float", "index"} | set(DTYPES)


def assert_only_allowed(code: str) -> None:
    """Every name, attribute, call and constant in a snippet is one the probe allows."""
    tree = ast.parse(code)
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            assert isinstance(node, ast.Import) and all(a.name in ("torch", "torch.nn.functional") and a.asname is None
                                                        for a in node.names), ast.dump(node)
        elif isinstance(node, ast.FunctionDef):
            assert node.name in ("build", "forward") and not node.decorator_list
        elif isinstance(node, ast.Name):
            assert re.fullmatch(r"rt|L|torch|[vm]\d+", node.id), node.id
        elif isinstance(node, ast.Attribute):
            dotted = ast.unparse(node)
            if dotted.startswith("torch."):
                assert dotted in ALLOWED_QUALNAMES or any(q.startswith(dotted + ".") for q in ALLOWED_QUALNAMES), dotted
            elif dotted.startswith("rt."):
                assert node.attr in ("at", "out", "input", "layer")
            else:
                assert re.fullmatch(r"v\d+", ast.unparse(node.value)), dotted
                assert node.attr in METHODS or node.attr in ("size", "T", "mT", "H", "mH"), dotted
            assert not node.attr.startswith("_")
        elif isinstance(node, ast.Constant):
            v = node.value
            assert v is None or v is Ellipsis or type(v) in (bool, int, float) or (type(v) is str and v in ALLOWED_WORDS), repr(v)
        elif isinstance(node, ast.Subscript):
            base = ast.unparse(node.value)
            assert base == "L" and isinstance(node.slice, ast.Constant) or re.fullmatch(r"v\d+(\[-?\d+\])*", base), base
        elif isinstance(node, (ast.Lambda, ast.ListComp, ast.GeneratorExp, ast.DictComp, ast.SetComp, ast.Starred,
                               ast.Dict, ast.JoinedStr, ast.Await, ast.Yield, ast.Global, ast.With, ast.Try)):
            raise AssertionError(f"unexpected {type(node).__name__} in snippet")


def unverifiable(model) -> Unverifiable:
    with pytest.raises(Unverifiable) as info:
        synthesize(model)
    return info.value


# ---------------------------------------------------------------------- good input
def test_lenet_snippet_is_allowlisted_code_with_the_model_literals():
    snip = synthesize(C.lenet())
    assert_only_allowed(snip.code)
    assert "torch.nn.Conv2d(3, 6, 5)" in snip.code and "torch.nn.Linear(400, 120)" in snip.code
    assert "v6.view(v6.size(0), -1)" in snip.code
    assert snip.input_shape == (2, 3, 32, 32) and snip.bindings == {"N": 2}
    assert snip.layer_names == ("conv1", "pool", "conv2", "fc1", "fc2", "fc3")
    assert len(snip.key) == 64 and synthesize(C.lenet()).key == snip.key  # stable cache key


def test_concrete_batch_is_kept_and_symbols_take_the_small_batch():
    assert synthesize(C.lenet(batch=1)).input_shape == (1, 3, 32, 32)
    assert synthesize(C.lenet(), batch=1).input_shape == (1, 3, 32, 32)


def test_fixed_words_and_keywords_are_emitted():
    m = C.single_layer("torch.nn.Conv2d", [3, 8, 3], [1, 3, 8, 8], [1, 8, 8, 8],
                       kwargs={"padding": "same", "padding_mode": "reflect", "bias": False})
    code = synthesize(m).code
    assert "torch.nn.Conv2d(3, 8, 3, padding='same', padding_mode='reflect', bias=False)" in code
    assert_only_allowed(code)


def test_embedding_input_is_int64_zeros():
    m = C.single_layer("torch.nn.Embedding", [100, 16], [2, 7], [2, 7, 16])
    assert "rt.input((2, 7), 'index')" in synthesize(m).code


# ---------------------------------------------------------------------- injection attempts
def _with_layer(args=None, kwargs=None, type_="torch.nn.Linear", name="fc", literal=True):
    m = C.single_layer(type_, args if args is not None else [4, 2], [1, 4], [1, 2], kwargs=kwargs, name=name)
    m["layers"][0]["literal"] = literal
    return m


@pytest.mark.parametrize("args", [
    [{"unknown": '__import__("os").system("touch PWNED")'}, 10],
    ['__import__("os").system("touch PWNED")', 10],  # a string is not a number
    [{"unknown": '*open("/etc/passwd")'}],
    [[1, {"unknown": "x"}], 2],
    [float("inf"), 2],
    [2 ** 80, 2],
    [[[[1]]], 2],  # nested too deep
    [{"size_of": 0, "dim": 0}, 2],  # a layer argument may not read a tensor
    [{"__class__": "x"}, 2],
])
def test_non_literal_layer_arguments_are_unverifiable(args):
    err = unverifiable(_with_layer(args))
    assert "literal" in err.en or "allow-list" in err.en


@pytest.mark.parametrize("kwargs", [
    {"__class__": 1}, {"device": "cuda"}, {"dtype": "torch.float64"}, {"bias": "True; import os"},
    {"in_features": {"unknown": "lambda: 3"}}, {"out_features": [x for x in range(40)]},
])
def test_bad_keywords_are_unverifiable(kwargs):
    unverifiable(_with_layer([], kwargs))


@pytest.mark.parametrize("type_", ["os.system", "builtins.eval", "torch.nn.Module", "torch.load", "subprocess.Popen",
                                   "torch.nn.Linear.__class__", "torch.hub.load", None, 3])
def test_types_outside_the_allowlist_are_unverifiable(type_):
    assert "allow-list" in unverifiable(_with_layer(type_=type_)).en


def test_literal_false_from_the_engine_is_respected():
    unverifiable(_with_layer(literal=False))


@pytest.mark.parametrize("op", [
    {"op": "method", "method": "__class__"},
    {"op": "method", "method": "__reduce__"},
    {"op": "method", "method": "numpy"},
    {"op": "call", "fn": "builtins.exec", "args": ["print(1)"]},
    {"op": "call", "fn": "torch.nn.functional.relu", "args": ["x); import os; (x"]},
    {"op": "call", "fn": "torch.nn.functional.relu", "kwargs": {"inplace); import os; (": True}},
    {"op": "binary", "operator": "+ __import__('os') +", "args": [1]},
    {"op": "binary", "operator": "+", "args": ["1"]},
    {"op": "getattr", "name": "__globals__"},
    {"op": "method", "method": "view", "args": [{"size_of": 99, "dim": 0}]},  # a step that does not exist (yet)
    {"op": "method", "method": "view", "args": [{"size_of": 0, "dim": "0) or __import__('os')"}]},
])
def test_bad_steps_are_unverifiable(op):
    unverifiable(C.chain([2, 3], [op]))


def test_names_never_become_code():
    m = C.single_layer("torch.nn.Linear", [4, 2], [1, 4], [1, 2], name="fc\nimport os\nos.system('touch PWNED')")
    m["name"] = "Net\n__import__('os')"
    code = synthesize(m).code
    assert "os" not in code.replace("torch", "") and "PWNED" not in code
    assert_only_allowed(code)


def test_symbolic_non_batch_input_dims_are_unverifiable():
    m = C.single_layer("torch.nn.Linear", [4, 2], ["N", "F"], ["N", 2])
    assert "--input" in unverifiable(m).en
    m["input"] = None
    assert "input shape" in unverifiable(m).en


# ---------------------------------------------------------------------- property: whatever the facts say
_evil_text = st.sampled_from(["__import__('os').system('touch PWNED')", "open('/etc/passwd')", "x.__class__",
                              "same", "valid", "reflect", "zeros", "nearest", "mean", "\n", "'", "\\", "lambda: 0"])
_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-10, 10), st.floats(allow_nan=True, allow_infinity=True), _evil_text,
              st.fixed_dictionaries({"unknown": _evil_text}),
              st.fixed_dictionaries({"size_of": st.integers(-1, 3), "dim": st.one_of(st.integers(-2, 2), _evil_text)})),
    lambda inner: st.lists(inner, max_size=3), max_leaves=6)
_names = st.one_of(st.sampled_from(sorted(LAYERS)[:20] + ["os.system", "torch.nn.Linear", "__class__"]), _evil_text)
_keys = st.one_of(st.sampled_from(["bias", "padding", "stride", "mode", "__class__", "inplace", "dim"]), _evil_text)


@st.composite
def _models(draw):
    layers = [{"name": draw(_evil_text | st.just("l")), "type": draw(_names), "args": draw(st.lists(_values, max_size=4)),
               "kwargs": draw(st.dictionaries(_keys, _values, max_size=2)), "literal": True}
              for _ in range(draw(st.integers(0, 2)))]
    steps = [{"id": 0, "op": "input"}]
    for i in range(1, draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["layer", "call", "method", "binary", "item", "getitem", "evil"]))
        s = {"id": i, "op": op, "inputs": [i - 1], "args": draw(st.lists(_values, max_size=2)),
             "kwargs": draw(st.dictionaries(_keys, _values, max_size=2))}
        s["layer"] = draw(st.sampled_from([l["name"] for l in layers] or ["nope"]))
        s["fn"] = draw(st.sampled_from(sorted(FUNCTIONS)[:30] + ["builtins.eval"]) | _evil_text)
        s["method"] = draw(st.sampled_from(sorted(METHODS) + ["__class__", "__reduce__"]) | _evil_text)
        s["operator"] = draw(st.sampled_from(["+", "@", "; x", "and"]))
        s["index"] = draw(st.lists(st.one_of(_values, st.just("..."), st.fixed_dictionaries(
            {"slice": st.lists(st.one_of(st.none(), st.integers(-3, 3), _evil_text), min_size=3, max_size=3)})), max_size=3)
                          | _values)
        steps.append(s)
    steps.append({"id": len(steps), "op": "output", "inputs": [len(steps) - 1]})
    shape = draw(st.lists(st.one_of(st.integers(0, 4), st.just("N"), _evil_text), min_size=1, max_size=4))
    return {"name": draw(_evil_text), "input": {"shape": shape}, "layers": layers, "steps": steps, "errors": []}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_models())
def test_any_contract_gives_unverifiable_or_allowlisted_code(model):
    try:
        snip = synthesize(model)
    except Unverifiable as exc:
        assert exc.zh and exc.en
        return
    assert_only_allowed(snip.code)
    assert "PWNED" not in snip.code and "passwd" not in snip.code


# ---------------------------------------------------------------------- view / loss requests
def _from_facts(build, facts):
    """A request as the probe gets it: from a finding's facts (they may come from a cache file)."""
    from ptlint.rules.findings import Finding, Position, Range, Severity

    at = Range(Position(1, 0), Position(1, 1))
    return build(Finding("PT000", "t", "", "", at, Severity.ERROR, extra=facts))


def view(facts):
    from ptlint.rules.probe_requests import view_request

    return view_chain_snippet(_from_facts(view_request, facts))


def loss(facts):
    from ptlint.rules.probe_requests import loss_request

    return loss_snippet(_from_facts(loss_request, facts))


def test_view_chain_snippet():
    snip = view({"shape": ["N", 3, 4], "chain": [{"method": "transpose", "args": [1, 2]},
                                                {"attr": "mT"}, {"method": "view", "args": [-1]}]})
    assert "v1 = v0.transpose(1, 2)" in snip.code and "v2 = v1.mT" in snip.code and "v3 = v2.view(-1)" in snip.code
    assert_only_allowed(snip.code)
    with pytest.raises(Unverifiable):
        view({"shape": [2, 3], "chain": [{"attr": "__class__"}]})
    with pytest.raises(Unverifiable):
        view({"shape": None, "chain": [{"method": "view", "args": [-1]}]})
    with pytest.raises(Unverifiable):
        view({"shape": [2, 3], "chain": [{"method": "view", "args": [-1]}], "dtype": "torch.float32; x"})


def test_loss_snippet():
    snip = loss({"loss": "torch.nn.CrossEntropyLoss", "loss_kwargs": {"reduction": "sum"},
                 "input_shape": ["N", 10], "target_shape": ["N"], "target_dtype": "int32"})
    assert "torch.nn.CrossEntropyLoss(reduction='sum')" in snip.code and "'int32'" in snip.code
    assert_only_allowed(snip.code)
    with pytest.raises(Unverifiable):
        loss({"loss": "os.system", "input_shape": [2, 3], "target_shape": [2], "target_dtype": "int64"})
    with pytest.raises(Unverifiable):
        loss({"loss": "torch.nn.NLLLoss", "input_shape": [2, 3], "target_shape": [2], "target_dtype": "torch.int32; x"})


# ---------------------------------------------------------------------- the allow-list matches PyTorch
NORM_BIAS_SINCE = (2, 13)  # the allow-list follows the pinned torch (pyproject's probe extra)


def torch_version(torch):
    return tuple(int(p) for p in re.findall(r"\d+", torch.__version__)[:2])


def test_allowlist_names_exist_in_torch_with_those_parameters():
    torch = pytest.importorskip("torch")  # CI installs the CPU wheel
    for qual, spec in LAYERS.items():
        cls = getattr(torch.nn, qual.rsplit(".", 1)[-1])
        sig = inspect.signature(cls.__init__)
        names = set(sig.parameters)
        if not any(p.kind is p.VAR_KEYWORD for p in sig.parameters.values()) and qual not in (
                "torch.nn.RNN", "torch.nn.LSTM", "torch.nn.GRU"):
            missing = set(spec.params) - names
            if NORM_BIAS_SINCE > torch_version(torch) and qual.rsplit(".", 1)[-1].startswith(
                    ("BatchNorm", "InstanceNorm", "GroupNorm", "LayerNorm")):
                missing.discard("bias")  # older torch: the norms had no bias= (it then says so at build time)
            assert not missing, (qual, missing)
    for qual, spec in FUNCTIONS.items():
        mod, _, name = qual.rpartition(".")
        fn = getattr(torch.nn.functional if mod == "torch.nn.functional" else torch, name)
        assert callable(fn), qual
    for name in METHODS:
        assert hasattr(torch.Tensor, name), name
