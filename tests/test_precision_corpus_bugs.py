"""Real bugs the rules found in public code they were never tuned on (the projects added to
bench/precision/manifest.toml in the 2026-12 round), each reduced to its pattern: a
must-flag reproduction, and its fixed twin that must stay silent."""
from __future__ import annotations

from ptlint.rules import Config, lint_text

from rulecheck import line_of


def found(src: str, code: str) -> list[tuple[int, str]]:
    res = lint_text(src, "t.py", Config(select=(code,)))
    assert not res.rule_errors, res.rule_errors
    return [(f.line, f.message_en) for f in res.findings]



# ------------------------------------------- PT017: softmax over the batch (A2-Nets attention)
# xmu-xiaoma666/External-Attention-pytorch, model/attention/A2Atttention.py: F.softmax on the
# (b, c_n, h*w) view with no dim normalises along dim 0, across the samples of the batch.
A2 = """import torch
from torch import nn
from torch.nn import functional as F

class DoubleAttention(nn.Module):
    def __init__(self, in_channels, c_m, c_n):
        super().__init__()
        self.c_m, self.c_n = c_m, c_n
        self.convA = nn.Conv2d(in_channels, c_m, 1)
        self.convB = nn.Conv2d(in_channels, c_n, 1)

    def forward(self, x):
        b, c, h, w = x.shape
        A = self.convA(x)
        B = self.convB(x)
        tmpA = A.view(b, self.c_m, -1)
        attention_maps = F.softmax(B.view(b, self.c_n, -1){DIM})
        return torch.bmm(tmpA, attention_maps.permute(0, 2, 1))
"""


def test_softmax_without_dim_on_a_3d_view_is_flagged_and_names_dim_0():
    src = A2.replace("{DIM}", "")
    got = found(src, "PT017")
    assert [line for line, _ in got] == [line_of(src, "attention_maps = F.softmax")]
    assert "3-D" in got[0][1] and "dim 0" in got[0][1]


def test_softmax_with_dim_on_the_same_view_is_silent():
    assert found(A2.replace("{DIM}", ", dim=-1"), "PT017") == []


# ------------------------------------------- PT002: a fine-tuning loop that never zeroes grads
# huggingface/peft examples (multitask_prompt_tuning.ipynb, pvera/confidence_interval_generation.py):
# backward / step / scheduler step over a tqdm-wrapped loader, and no zero_grad anywhere.
PEFT_LOOP = """import torch
from torch.utils.data import DataLoader
from tqdm import tqdm

model = torch.nn.Linear(8, 2)
criterion = torch.nn.CrossEntropyLoss()
optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)
scheduler = torch.optim.lr_scheduler.LinearLR(optimizer)
dataloader = DataLoader(dataset, batch_size=32, shuffle=True)
for x, y in tqdm(dataloader):
    loss = criterion(model(x), y)
    loss.backward(){ZERO}
    optimizer.step()
    scheduler.step()
"""


def test_loop_over_tqdm_loader_without_zero_grad_is_flagged_at_the_step():
    src = PEFT_LOOP.replace("{ZERO}", "")
    assert [line for line, _ in found(src, "PT002")] == [line_of(src, "optimizer.step()")]


def test_same_loop_with_zero_grad_after_the_step_is_silent():
    src = PEFT_LOOP.replace("{ZERO}", "").replace("    scheduler.step()\n",
                                                   "    scheduler.step()\n    optimizer.zero_grad()\n")
    assert found(src, "PT002") == []


# ------------------------------------------- PT018: scheduler stepped at the top of each epoch
# TingsongYu/PyTorch_Tutorial (Code/main_training/main.py and two more): the pre-1.1 order,
# scheduler.step() before the epoch's first optimizer.step(): PyTorch warns and StepLR decays
# one epoch early.
EPOCHS = """import torch
from torch import nn, optim

net = nn.Linear(4, 2)
criterion = nn.CrossEntropyLoss()
optimizer = optim.SGD(net.parameters(), lr=0.001, momentum=0.9)
scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=50, gamma=0.1)
for epoch in range(100):
{TOP}    for inputs, labels in train_loader:
        optimizer.zero_grad()
        loss = criterion(net(inputs), labels)
        loss.backward()
        optimizer.step()
{BOTTOM}"""


def test_scheduler_step_before_the_inner_loop_is_flagged():
    src = EPOCHS.replace("{TOP}", "    scheduler.step()  # 更新学习率\n").replace("{BOTTOM}", "")
    assert [line for line, _ in found(src, "PT018")] == [line_of(src, "scheduler.step()")]


def test_scheduler_step_after_the_inner_loop_is_silent():
    src = EPOCHS.replace("{TOP}", "").replace("{BOTTOM}", "    scheduler.step()\n")
    assert found(src, "PT018") == []
