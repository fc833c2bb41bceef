"""The one binding/scope table of a file (rules/scope_table.py): what binds a name, in
which scope, and what the analyses built on it (LocalFacts, flow's stable names) see."""
from collections import Counter

import libcst as cst

from ptlint.rules.flow.state import scan_bindings
from ptlint.rules.scope_table import BindingKind as K
from ptlint.rules.scope_table import ScopeTable, scope_of_statements


def table(src, expressions=True):
    module = cst.parse_module(src)
    return ScopeTable(module, expressions=expressions), module


def scope_named(t, name):
    (found,) = [s for s in t.all_scopes() if getattr(getattr(s.node, "name", None), "value", None) == name]
    return found


def kinds(scope, name):
    return [b.kind for b in scope.of(name)]


def test_imports_bind_their_local_name_with_the_dotted_path():
    t, _ = table("import torch\nimport torch.nn as nn\nimport os.path\nfrom torch.nn import functional as F\n"
                 "from . import sibling\nfrom ..pkg import thing\nfrom numpy import *\n")
    got = {b.name: b.imported for b in t.module.bindings}
    assert got == {"torch": "torch", "nn": "torch.nn", "os": "os", "F": "torch.nn.functional",
                   "sibling": ".sibling", "thing": "..pkg.thing"}
    assert all(b.kind is K.IMPORT for b in t.module.bindings)


def test_an_import_rebound_in_the_same_scope_is_reported_as_rebound():
    t, _ = table("import torch\nimport numpy as np\ntorch = None\nfor np in []:\n    pass\nimport os\n"
                 "def f():\n    os = 1\n")
    assert t.rebound_imports() == {"torch", "np"}
    assert kinds(t.module, "np") == [K.IMPORT, K.LOOP]
    # a function's local of the same name is its own, not a rebinding of the module's import
    assert t.resolve("os", scope_named(t, "f")) is scope_named(t, "f")
    assert t.resolve("os", t.module) is t.module


def test_assignments_keep_their_value_only_for_one_plain_name_target():
    t, m = table("a = 1\nb = c = 2\nd, e = 3, 4\nf: int = 5\ng: int\nh += 1\n")
    code = m.code_for_node
    assert code(t.module.single_value("a")) == "1"
    assert t.module.single_value("b") is None and t.module.of("b")[0].kind is K.ASSIGN
    assert t.module.single_value("d") is None
    assert code(t.module.single_value("f")) == "5" and kinds(t.module, "f") == [K.ANNOTATED]
    assert t.module.of("g") == []  # an annotation alone binds nothing
    assert kinds(t.module, "h") == [K.AUGMENTED]


def test_every_statement_form_that_binds():
    t, _ = table("for i, (j, *k) in x:\n    pass\nwith open(p) as fh, lock:\n    pass\n"
                 "try:\n    pass\nexcept OSError as err:\n    pass\ndel i\ndef fn():\n    pass\nclass C:\n    pass\n"
                 "match v:\n    case [first, *rest]:\n        pass\n    case {'k': val, **others}:\n        pass\n"
                 "if x: one = 1\n")
    s = t.module
    assert kinds(s, "i") == [K.LOOP, K.DELETE]
    assert kinds(s, "j") == [K.LOOP] and kinds(s, "k") == [K.LOOP]
    assert kinds(s, "fh") == [K.WITH] and kinds(s, "err") == [K.EXCEPT]
    assert kinds(s, "fn") == [K.FUNCTION] and kinds(s, "C") == [K.CLASS]
    assert {n for n in ("first", "rest", "val", "others") if kinds(s, n) == [K.PATTERN]} == {
        "first", "rest", "val", "others"}
    assert kinds(s, "one") == [K.ASSIGN]  # a one-line suite binds too


def test_parameters_belong_to_the_function_and_defaults_to_the_enclosing_scope():
    t, _ = table("def f(a, /, b, *args, c=(d := 1), **kw):\n    e = a\n")
    f = scope_named(t, "f")
    assert f.params == ["a", "b", "c", "args", "kw"]
    assert kinds(f, "e") == [K.ASSIGN]
    assert kinds(t.module, "d") == [K.WALRUS] and f.of("d") == []
    assert t.resolve("a", f) is f and t.resolve("a", t.module) is None


def test_comprehension_targets_stay_in_the_comprehension_walrus_leaves_it():
    t, _ = table("def f(xs):\n    ys = [y for y in xs if (last := y)]\n    return last\n")
    f = scope_named(t, "f")
    (comp,) = [c for c in f.children if c.kind == "comprehension"]
    assert kinds(comp, "y") == [K.COMPREHENSION] and f.of("y") == []
    assert kinds(f, "last") == [K.WALRUS]
    assert t.resolve("y", comp) is comp and t.resolve("y", f) is None


def test_lambda_is_a_scope_with_its_parameters():
    t, _ = table("g = lambda q, r=1: q + r\n")
    (lam,) = [c for c in t.module.children if c.kind == "lambda"]
    assert lam.params == ["q", "r"] and t.module.of("q") == []


def test_statements_only_table_skips_expression_scopes():
    t, _ = table("ys = [y for y in range(3)]\nz = (w := 2)\n", expressions=False)
    assert t.module.children == [] and t.module.of("w") == []
    assert t.module.names() == {"ys", "z"}


def test_global_and_nonlocal_resolve_to_the_scope_they_name():
    src = ("count = 0\ndef outer():\n    total = 0\n    def inner():\n        global count\n        nonlocal total\n"
           "        count = 1\n        total = 2\n        local = 3\n    return inner\n")
    t, _ = table(src)
    outer, inner = scope_named(t, "outer"), scope_named(t, "inner")
    assert kinds(inner, "count") == [K.GLOBAL, K.ASSIGN]
    assert t.resolve("count", inner) is t.module
    assert t.resolve("total", inner) is outer
    assert t.resolve("local", inner) is inner
    assert not inner.is_local("count") and not inner.is_local("total")


def test_class_bodies_are_not_seen_from_their_methods():
    t, _ = table("x = 1\nclass A:\n    x = 2\n    def m(self):\n        return x\n")
    assert t.resolve("x", scope_named(t, "m")) is t.module
    assert t.resolve("x", scope_named(t, "A")) is scope_named(t, "A")


def test_self_attributes_of_a_method():
    src = ("class Net:\n    def __init__(self, n):\n        self.fc = Linear(n, 2)\n        self.a, self.b = 1, 2\n"
           "        self.steps += 1\n        for self.i in range(3):\n            pass\n        del self.fc\n"
           "    @staticmethod\n    def make(self):\n        self.z = 1\n")
    t, m = table(src)
    init = scope_named(t, "__init__")
    assert init.self_name == "self"
    got = [(a.attr, a.kind, m.code_for_node(a.value) if a.value is not None else None) for a in init.self_attrs]
    assert got == [("fc", K.ASSIGN, "Linear(n, 2)"), ("a", K.ASSIGN, None), ("b", K.ASSIGN, None),
                   ("steps", K.AUGMENTED, None), ("i", K.LOOP, None), ("fc", K.DELETE, None)]
    make = scope_named(t, "make")
    assert make.self_name is None and make.self_attrs == []


def test_nested_function_bodies_are_their_own_scopes():
    t, _ = table("def f():\n    a = 1\n    def g():\n        b = 2\n")
    f, g = scope_named(t, "f"), scope_named(t, "g")
    assert f.names() == {"a", "g"} and g.names() == {"b"} and g.parent is f


def test_scope_of_statements_does_not_search_nested_bodies():
    stmts = cst.parse_module("a = 1\ndef g():\n    b = 2\nclass C:\n    c = 3\n").body
    sb = scope_of_statements(stmts)
    assert sb.names() == {"a", "g", "C"}


def test_flow_stable_names_count_binding_sites_from_the_table():
    stmts = cst.parse_module("a = 1\nb = 1\nb = 2\nfor c in x:\n    pass\nglobal d\nif x: e = 1\n"
                             "self.w = 1\nself.w += 1\nf += 1\n").body
    counts, globals_, attrs = Counter(), set(), Counter()
    scan_bindings(stmts, counts, globals_, "self", attrs)
    assert counts["a"] == 1 and counts["b"] == 2
    assert counts["c"] == 2 and counts["d"] == 2  # loop targets and globals are never stable
    assert globals_ == {"d"} and counts["e"] == 1 and attrs["w"] == 2 and counts["f"] == 1
    no_aug = Counter()
    scan_bindings(stmts, no_aug, set(), augmented=False)
    assert no_aug["f"] == 0


def _pt021(src):
    from ptlint.rules import Config, lint_text

    res = lint_text(src, "t.py", Config(select=("PT021",)))
    assert not res.rule_errors, res.rule_errors
    return [f.code for f in res.findings]


def test_pt021_forgets_a_generator_rebound_by_any_kind_of_binding():
    head = "import jieba\nseg = jieba.cut(text)\nprint(list(seg))\n"
    assert _pt021(head + "print(list(seg))\n") == ["PT021"]
    for rebind in ("from mylib import seg\n", "if (seg := jieba.lcut(text)):\n    pass\n",
                   "def seg():\n    return []\n", "try:\n    pass\nexcept ValueError as seg:\n    pass\n"):
        assert _pt021(head + rebind + "print(list(seg))\n") == [], rebind


def test_a_fallback_in_an_except_handler_is_marked_and_is_no_rebinding_of_the_import():
    from ptlint.rules.names import ImportTable, other_bindings

    src = "try:\n    import numpy as np\nexcept ImportError:\n    np = None\nelse:\n    torch = 1\n"
    t, m = table(src)
    assert [(b.kind, b.in_handler) for b in t.module.of("np")] == [(K.IMPORT, False), (K.ASSIGN, True)]
    assert other_bindings(m.body) == {"torch"}
    imports = ImportTable()
    imports.scan_statements(m.body)
    assert "np" not in imports.rebound


def test_the_returns_of_a_function_are_its_own_in_source_order():
    # PT010 (a softmax on one path only) and PT011 (a forward with one return) ask this fact
    from ptlint.rules import Config
    from ptlint.rules.bindings import LocalFacts
    from ptlint.rules.engine import FileContext
    from ptlint.rules.source import source_from_text

    src = ("def forward(self, x):\n    if x is None:\n        return 0\n    for i in range(3):\n"
           "        try:\n            return 1\n        finally:\n            pass\n"
           "    def helper():\n        return 2\n    f = lambda: 3\n    class Inner:\n"
           "        def m(self):\n            return 4\n    return 5\n")
    source = source_from_text(src, "t.py")
    module = cst.parse_module(src)
    facts = LocalFacts(FileContext(source, Config(), module, [(source.units[0], module)]))
    fn = module.body[0]
    got = [module.code_for_node(r.value) for r in facts.returns_of(fn)]
    assert got == ["0", "1", "5"]
    assert facts.returns_of(fn) is facts.returns_of(fn)  # computed once per function
