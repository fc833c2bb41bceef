"""Issue 16: PT002's inserted ``optimizer.zero_grad()`` goes above the comment block that
describes the loop body's first line, not between the comment and that line (checked
end to end through ``ptlint check --fix``)."""
import subprocess
import sys

SRC = """import torch
model = torch.nn.Linear(4, 2)
opt = torch.optim.SGD(model.parameters(), lr=0.1)
for x, y in loader:
    # forward pass
    # (two comment lines)
    loss = torch.nn.functional.mse_loss(model(x), y)
    loss.backward()
    opt.step()
"""


def _fix(tmp_path, src):
    p = tmp_path / "train.py"
    p.write_text(src, encoding="utf-8")
    subprocess.run([sys.executable, "-m", "ptlint", "check", "--no-cache", "--fix", "--unsafe-fixes",
                    "--select", "PT002", str(p)], capture_output=True, text=True, timeout=300)
    return p.read_text(encoding="utf-8")


def test_zero_grad_goes_above_the_comment_block(tmp_path):
    new = _fix(tmp_path, SRC)
    assert new == SRC.replace("for x, y in loader:\n", "for x, y in loader:\n    opt.zero_grad()\n")


def test_a_comment_at_another_indentation_is_not_moved_past(tmp_path):
    src = SRC.replace("    # forward pass\n    # (two comment lines)\n", "# about the loop body\n")
    src = src.replace("for x, y in loader:\n# about", "for x, y in loader:\n# about")
    new = _fix(tmp_path, src)
    assert "# about the loop body\n    opt.zero_grad()\n    loss =" in new
