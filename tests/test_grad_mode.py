"""Grad mode is the flow analysis's answer (rules/flow/grad_mode.py): where autograd was
recording, and what a tensor made while it was off is. The rules asking about it
(PT012, PT013, PT014) follow."""
from ptlint.rules import Config, lint_text
from ptlint.rules.flow import Kind

from flowcheck import analyse, find


def codes(src, code):
    res = lint_text(src, "t.py", Config(select=(code,)))
    assert not res.rule_errors, res.rule_errors
    return [f.code for f in res.findings]


HEAD = "import torch\nw = torch.randn(3, requires_grad=True)\n"


def test_recording_off_inside_no_grad_and_inference_mode_and_back_on_after():
    flow, m = analyse(HEAD + "a = w * 1\nwith torch.no_grad():\n    b = w * 2\n"
                      "with torch.inference_mode():\n    c = w * 3\nd = w * 4\n")
    assert flow.grad_enabled(find(m, "w * 1")) is True
    assert flow.grad_enabled(find(m, "w * 2")) is False
    assert flow.grad_enabled(find(m, "w * 3")) is False
    assert flow.grad_enabled(find(m, "w * 4")) is True


def test_a_function_decorated_with_no_grad_runs_with_recording_off():
    flow, m = analyse(HEAD + "@torch.no_grad()\ndef ema(t):\n    return t * 0.9\n")
    assert flow.grad_enabled(find(m, "t * 0.9")) is False


def test_set_grad_enabled_anywhere_in_the_file_makes_the_mode_unknown():
    flow, m = analyse(HEAD + "torch.set_grad_enabled(False)\ndef f(t):\n    return t * 2\nz = w * 5\n")
    assert flow.grad_enabled(find(m, "t * 2")) is None
    assert flow.grad_enabled(find(m, "w * 5")) is None


def test_an_expression_never_evaluated_has_no_known_mode():
    flow, m = analyse(HEAD + "f = lambda t: t * 7\n")
    assert flow.grad_enabled(find(m, "t * 7")) is None


def test_a_tensor_computed_under_no_grad_is_a_leaf_that_does_not_require_grad():
    flow, m = analyse(HEAD + "with torch.no_grad():\n    z = w * 2\nq = z\n")
    v = flow.value_of(find(m, "z"))
    assert v.kind is Kind.TENSOR and v.requires_grad is False and v.is_leaf is True
    # the leaf itself read under no_grad still requires grad
    flow, m = analyse(HEAD + "with torch.no_grad():\n    r = w\n")
    assert flow.value_of(find(m, "r")).requires_grad is True


def test_a_tensor_computed_under_set_grad_enabled_has_unknown_grad_facts():
    flow, m = analyse(HEAD + "with torch.set_grad_enabled(False):\n    z = w * 2\nq = z\n")
    v = flow.value_of(find(m, "z"))
    assert v.requires_grad is None and v.is_leaf is None


def test_pt012_silent_on_grad_of_a_helper_result_computed_under_no_grad():
    src = (HEAD + "def double():\n    return w * 2\nwith torch.no_grad():\n    z = double()\n"
           "print(z.grad)\n")
    assert codes(src, "PT012") == []
    # the same helper outside no_grad gives a non-leaf: reported once a backward ran through it
    tracked = src.replace("with torch.no_grad():\n    z", "if True:\n    z")
    assert codes(tracked.replace("print(z.grad)", "z.sum().backward()\nprint(z.grad)"), "PT012") == ["PT012"]


def test_pt014_follows_flow_grad_mode():
    assert codes(HEAD + "a = w.numpy()\n", "PT014") == ["PT014"]
    assert codes(HEAD + "with torch.no_grad():\n    a = w.numpy()\n", "PT014") == []
    assert codes(HEAD + "with torch.set_grad_enabled(False):\n    a = w.numpy()\n", "PT014") == []


def test_pt013_in_place_init_under_no_grad_is_fine():
    assert codes(HEAD + "w.zero_()\n", "PT013") == ["PT013"]
    assert codes(HEAD + "with torch.no_grad():\n    w.zero_()\n", "PT013") == []
