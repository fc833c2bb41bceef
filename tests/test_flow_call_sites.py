"""Per-call-site facts of same-file helpers (issues 12 and 13): a helper that gets the
criterion and the tensors as parameters is checked with the values each call passes.
PT003 inside ``train_step`` names the failing call site; a call site passing something
unknown or correct is silent (flow/call_sites.py)."""
import json

import pytest

HELPER = """import torch
import torch.nn as nn

def train_step(model, criterion, optimizer, x, y):
    out = model(x)
    loss = criterion(out, y)
    loss.backward()
    optimizer.step()

model = nn.Linear(4, 3)
crit = {criterion}
opt = torch.optim.SGD(model.parameters(), lr=0.1)
x = torch.randn(8, 4)
y = torch.randint(0, 3, (8,)){cast}
for _ in range(10):
{calls}
"""
CALL = "    train_step(model, crit, opt, x, {target})"
INLINE = """import torch
import torch.nn as nn

model = nn.Linear(4, 3)
crit = nn.CrossEntropyLoss()
x = torch.randn(8, 4)
y = torch.randint(0, 3, (8,)).float()
loss = crit(model(x), y)
"""


def lint(run_cli, tmp_path, text: str) -> list:
    path = tmp_path / "train.py"
    path.write_text(text)
    (tmp_path / "pyproject.toml").write_text('[tool.ptlint]\nlang = "en"\n')
    proc = run_cli("train.py", "--format", "json", "--no-cache", cwd=tmp_path)
    assert proc.returncode in (0, 1), proc.stderr
    return json.loads(proc.stdout)


def helper(criterion="nn.CrossEntropyLoss()", cast=".float()", targets=("y",)) -> str:
    return HELPER.format(criterion=criterion, cast=cast, calls="\n".join(CALL.format(target=t) for t in targets))


def related_lines(d: dict) -> list:
    return [(r["range"]["start"]["line"], r["message_en"]) for r in d.get("related", [])]


def test_float_target_passed_to_a_helper_is_pt003_inside_it_naming_the_call_site(run_cli, tmp_path):
    found = lint(run_cli, tmp_path, helper())
    assert [(d["code"], d["range"]["start"]["line"]) for d in found] == [("PT003", 6), ("PT002", 8)]
    pt003 = found[0]
    assert related_lines(pt003) == [(16, "`train_step()` is called here with this target"),
                                    (14, "the target is created here")]
    assert pt003["fix"] is None  # .long() in the helper would change every caller
    # as clear as the finding without a helper
    inline = [d for d in lint(run_cli, tmp_path, INLINE) if d["code"] == "PT003"]
    assert [d["message_en"] for d in inline] == [pt003["message_en"]]


@pytest.mark.parametrize("text", [
    helper(cast=".long()"),  # class indices of the right dtype
    helper(cast=""),  # randint is int64 already
    helper(criterion="nn.MSELoss()"),  # a float target is what MSELoss wants
    helper(targets=("y.long()",)),  # converted at the call site
])
def test_a_correct_call_site_is_silent(run_cli, tmp_path, text):
    assert [d["code"] for d in lint(run_cli, tmp_path, text)] == ["PT002"]


def test_an_unknown_criterion_at_the_call_site_is_silent(run_cli, tmp_path):
    text = helper().replace("for _ in range(10):\n", "def fit(crit, y):\n    for _ in range(10):\n    ").replace(
        CALL.format(target="y"), "    " + CALL.format(target="y"))
    text += "\n\nfit(nn.CrossEntropyLoss() if torch.cuda.is_available() else nn.MSELoss(), y)\n"
    assert "PT003" not in [d["code"] for d in lint(run_cli, tmp_path, text)]


def test_two_call_sites_only_the_wrong_one_is_named(run_cli, tmp_path):
    text = helper(targets=("y.long()", "y"))  # line 16 right, line 17 wrong
    found = [d for d in lint(run_cli, tmp_path, text) if d["code"] == "PT003"]
    assert [d["range"]["start"]["line"] for d in found] == [6]
    assert related_lines(found[0])[0] == (17, "`train_step()` is called here with this target")
    assert 16 not in [line for line, _ in related_lines(found[0])]


def test_the_summary_facts_are_unchanged_by_call_site_passes(run_cli, tmp_path):
    # the helper's own loop-free body has no PT002 of its own; the calling loop's PT002 is reported once
    found = lint(run_cli, tmp_path, helper(targets=("y", "y")))
    assert [(d["code"], d["range"]["start"]["line"]) for d in found] == [("PT003", 6), ("PT002", 8)]
