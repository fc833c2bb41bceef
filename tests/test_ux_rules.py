"""`ptlint rules` / `explain` show the real range of fix safeties (issue 16), and PT017's
message shows the call as written and the dim PyTorch picks."""
import json
from pathlib import Path

import pytest

from ptlint.rules.config import Config
from ptlint.rules.engine import lint_text
from ptlint.rules.rule import all_rules

ROOT = Path(__file__).resolve().parent.parent


def _all_fixes():
    """(code, safety) of every fix the bundled examples and the rules' own examples produce."""
    from ptlint.rules.source import load_source
    from ptlint.rules.engine import lint_source

    seen = set()
    for path in sorted((ROOT / "examples").iterdir()):
        if path.suffix in (".py", ".ipynb"):
            for f in lint_source(load_source(str(path)), Config()).findings:
                for fix in (f.fix, *f.alt_fixes):
                    if fix is not None:
                        seen.add((f.code, fix.safety.value, path.name))
    for code, rule in all_rules().items():
        for src in rule.must_flag:
            for f in lint_text(src, "ex.py", Config(select=(code,))).findings:
                if f.fix is not None:
                    seen.add((f.code, f.fix.safety.value, "must_flag"))
    return seen


def test_every_fix_safety_seen_is_in_the_rules_declared_range():
    rules = all_rules()
    for code, safety, where in _all_fixes():
        declared = [s.value for s in rules[code].safeties()]
        assert safety in declared, f"{code} gave a {safety} fix on {where}, `ptlint rules` says {declared}"


def test_rules_table_shows_pt005s_range(run_cli):
    # PT005's fix on examples/lenet_mnist.py is unsafe, elsewhere safe
    table = {line.split()[0]: line.split()[-1] for line in run_cli("rules").stdout.splitlines()[1:]}
    assert table["PT005"] == "safe/unsafe" and table["PT003"] == "safe/unsafe" and table["PT017"] == "safe/unsafe"
    assert table["PT001"] == "safe" and table["PT002"] == "unsafe" and table["PT027"] == "-"
    rows = {r["code"]: r for r in json.loads(run_cli("rules", "--format", "json").stdout)}
    assert rows["PT005"]["fix_safeties"] == ["safe", "unsafe"] and rows["PT027"]["fix_safeties"] == []
    page = run_cli("explain", "PT005").stdout
    assert "可自动修复（安全或不安全，视代码而定）" in page
    assert "fixable (safe or unsafe, depending on the code)" in run_cli("explain", "PT005", "--lang", "en").stdout


# ---------------------------------------------------------------------- C. PT017's message
def _pt017(src: str):
    (f,) = [f for f in lint_text("import torch\nimport torch.nn.functional as F\n" + src, "m.py",
                                 Config(select=("PT017",))).findings]
    return f


def test_pt017_shows_the_call_as_written_and_the_dim_for_2d_input():
    f = _pt017("logits = torch.randn(4, 10)\nprobs = F.softmax(logits)\n")
    assert f.message_zh.startswith("`F.softmax(logits)` 没有指定 dim")
    assert "输入是 2 维，PyTorch 会沿第 1 维归一化" in f.message_zh and "第 0 维" not in f.message_zh
    assert "the input is 2-D, so PyTorch normalises along dim 1" in f.message_en
    # dim=-1 is what PyTorch picked: the fix keeps the result, so it is safe
    assert f.fix is not None and f.fix.safety.value == "safe"


def test_pt017_3d_input_picks_dim_0_and_the_fix_stays_unsafe():
    f = _pt017("scores = torch.randn(8, 16, 32)\nweights = F.log_softmax(scores)\n")
    assert f.message_zh.startswith("`F.log_softmax(scores)` 没有指定 dim")
    assert "输入是 3 维，PyTorch 会沿第 0 维归一化" in f.message_zh
    assert "along dim 0, not the last one" in f.message_en
    assert f.fix.safety.value == "unsafe"


def test_pt017_unknown_rank_claims_no_dim():
    f = _pt017("def f(x):\n    return F.softmax(x)\n")
    assert f.message_zh.startswith("`F.softmax(x)` 没有指定 dim")
    assert "不知道输入的维数" in f.message_zh and "the rank is not known here" in f.message_en
    assert "3 维输入时会沿第 0 维" not in f.message_zh  # the old fixed claim


def test_pt017_shortens_long_calls_and_methods_read_as_written():
    f = _pt017("y = F.softmax(make_the_logits_from(some_long_argument, another_long_argument))\n")
    shown = f.message_en.split("`")[1]
    assert shown.startswith("F.softmax(make_the_logits") and shown.endswith("…)") and len(shown) <= 42
    f = _pt017("logits = torch.randn(2, 3)\np = logits.softmax()\n")
    assert f.message_zh.startswith("`logits.softmax()` 缺少 dim 参数")
    f = _pt017("p = torch.softmax(\n    torch.randn(2, 3),\n)\n")
    assert f.message_en.startswith("`torch.softmax(torch.randn(2, 3))` is called without dim")


# ---------------------------------------------------------------------- J. typos in messages
def test_chinese_messages_space_latin_words_but_not_chinese_ones(run_cli):
    proc = run_cli("check", "--no-cache", "--select", "PT011,PT018", str(ROOT / "examples"))
    assert "`StepLR` 的 step_size（衰减间隔）按 epoch 计" in proc.stdout
    assert "`nn.BCELoss` 的输入是模型 `LogitModel` 的原始输出" in proc.stdout
    assert "的step_size" not in proc.stdout and "输入是 模型" not in proc.stdout


def test_docs_show_what_the_cli_prints():
    cli = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    (line,) = [ln for ln in cli.splitlines() if ln.startswith("examples/attention_notebook.ipynb:cell 3:")]
    assert "PT017" in line and not line.endswith("[*]")  # unsafe: no [*] without --unsafe-fixes
    lsp = (ROOT / "docs" / "lsp.md").read_text(encoding="utf-8")
    editors = (ROOT / "docs" / "editors.md").read_text(encoding="utf-8")
    assert "0.10+" not in lsp and "0.10+" not in editors  # vim.lsp.config / vim.lsp.enable are 0.11
    assert "Neovim (0.11+)" in lsp
