"""Issue 11: name resolution follows rebinding. A name imported from torch and also bound
to something else in the file (``nn = Evil()``, ``import os as nn``, a local ``class``,
``def``, loop or ``with`` target, ``del``) no longer resolves to torch: rules stay silent
about what it calls."""
import pytest

from ptlint.rules import Config, lint_text

BASE = "import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n"
# each line is a PT003 finding when the names mean torch's
USE = "out = torch.randn(4, 3)\na = nn.CrossEntropyLoss()(out, torch.zeros(4))\nb = F.cross_entropy(out, torch.zeros(4))\n"


def pt003(src):
    res = lint_text(src, "t.py", Config(select=("PT003",)))
    assert not res.rule_errors, res.rule_errors
    return [f.line for f in res.findings]


def test_baseline_both_are_reported():
    assert pt003(BASE + USE) == [5, 6]


@pytest.mark.parametrize("rebind,left", [
    ("class Evil:\n    def __getattr__(self, k):\n        return lambda *a: (lambda *b: 0)\nnn = Evil()\n", "F"),
    ("import os as nn\n", "F"),
    ("def F():\n    pass\n", "nn"),
    ("for F in [object()]:\n    pass\n", "nn"),
    ("with open(__file__) as F:\n    pass\n", "nn"),
    ("del F\nF = None\n", "nn"),
])
def test_a_rebound_name_is_not_torch(rebind, left):
    found = pt003(BASE + rebind + USE)
    n = BASE.count("\n") + rebind.count("\n")
    assert found == ([n + 2] if left == "nn" else [n + 3])


def test_a_local_class_shadows_the_imported_layer():
    src = ("import torch\nfrom torch.nn import CrossEntropyLoss\nclass CrossEntropyLoss:\n"
           "    def __call__(self, a, b):\n        return 0\n"
           "loss = CrossEntropyLoss()(torch.randn(4, 3), torch.zeros(4))\n")
    assert pt003(src) == []


def test_a_local_function_shadows_the_imported_function():
    src = ("import torch\nfrom torch.nn.functional import cross_entropy\ndef cross_entropy(a, b):\n    return 0\n"
           "loss = cross_entropy(torch.randn(4, 3), torch.zeros(4))\n")
    assert pt003(src) == []


def test_an_import_fallback_is_not_a_rebinding():
    import libcst as cst

    from ptlint.rules.names import ImportTable

    src = ("try:\n    import torch\n    import torch.nn.functional as F\nexcept ImportError:\n    torch = None\n"
           "    F = None\nimport os as nn\n")
    table = ImportTable()
    table.scan_statements(cst.parse_module(src).body)
    assert table.qualname(cst.parse_expression("F.cross_entropy")) == "torch.nn.functional.cross_entropy"
    assert table.qualname(cst.parse_expression("torch.randn")) == "torch.randn"
    assert table.rebound == set()  # nn is bound by one import only


def test_the_same_module_imported_two_ways_still_resolves():
    src = ("import torch\nimport torch.nn as nn\nfrom torch import nn\n"
           "a = nn.CrossEntropyLoss()(torch.randn(4, 3), torch.zeros(4))\n")
    assert pt003(src) == [4]
