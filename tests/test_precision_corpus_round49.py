"""Findings on the 24 projects of rounds 49 and 50 (bench/precision/manifest.toml), reduced to
their patterns.

Round 49 was reinforcement-learning and learner code: seungeunrho's minimalRL, three DRL
tutorial collections, p-christ's algorithms, tianshou's examples, rl-book, RAdam, and
hysts' image classification (516 files). Round 50 was Kaggle and course notebooks, Chinese
HuggingFace tutorials, CS224n solutions, GNN, audio and OCR research code, and a slice of
DGL (370 files). On code the rules had never seen, the two rounds gave 12 analysis findings:
7 true (PT010 ×4, PT017, PT026, PT002) and 5 false (PT005 ×5).

False, fixed after the rounds were scored (each must-not-flag test passes beside its
must-flag twin):
- minimalRL ``actor_critic.py``, ``ppo.py``, ``vtrace.py``, ``ppo-lstm.py`` (4 findings): the
  model keeps its rollout in ``self.data = []``, fills it with ``put_data`` (``self.data.append``)
  and batches it in ``make_batch``. The shape trace dropped a mutation made through an
  attribute, so it read the list as still empty, and ``torch.tensor(s_lst)`` became a
  ``(0,)`` tensor. The finding also came with a *safe* fix that set ``in_features`` to 0.
  Such a mutation now updates the attribute, and no fix ever writes 0 features.

False, not fixed:
- A Kaggle freesound notebook: ``Classifier.forward`` pools to ``(N, 512, 4, 1)`` and feeds
  that to ``Linear(2048, …)`` without a flatten. Called, the class fails as reported. But the
  notebook only hands it to fastai's ``cnn_learner``, which keeps the body and replaces the
  head, so this ``forward`` never runs. Knowing that would take fastai's own semantics (the
  call is a star import)."""
from __future__ import annotations

import pytest

from rulecheck import line_of, lint, lines

torch = pytest.importorskip("torch")

ROLLOUT = """import torch
import torch.nn as nn


class ActorCritic(nn.Module):
    def __init__(self):
        super().__init__()
        self.data = []
        self.fc1 = nn.Linear(4, 256)
        self.fc_v = nn.Linear(256, 1)

    def v(self, x):
        return self.fc_v(torch.relu(self.fc1(x)))

    def put_data(self, transition):
        self.data.append(transition)

    def make_batch(self):
        s_lst = []
        for transition in self.data:
            s, r = transition
            s_lst.append(s)
        self.data = []
        return torch.tensor(s_lst, dtype=torch.float)

    def train_net(self):
        return self.v(self.make_batch())


def main():
    model = ActorCritic()
{FILL}
    return model.train_net()
"""
FILLED = ROLLOUT.replace("{FILL}", "    for t in range(3):\n        model.put_data(([0.1, 0.2, 0.3, 0.4], 1.0))")
NEVER_FILLED = ROLLOUT.replace("{FILL}", "    pass")


def _run(src):
    ns: dict = {}
    exec(compile(src, "rollout.py", "exec"), ns)
    return ns["main"]()


def test_a_rollout_filled_through_a_method_is_not_flagged():
    assert _run(FILLED).shape == (3, 1)
    assert lines(FILLED, "PT005") == []


def test_a_rollout_never_filled_is_flagged_without_a_fix_to_zero_features():
    with pytest.raises(RuntimeError, match="cannot be multiplied"):
        _run(NEVER_FILLED)
    (finding,) = lint(NEVER_FILLED, "PT005")
    assert finding.line == line_of(NEVER_FILLED, "nn.Linear(4, 256)") and "(0,)" in finding.message_en
    assert finding.fix is None  # Linear(0, 256) would fix nothing


@pytest.mark.parametrize("mutation", ["self.data.extend([transition])", "self.data.insert(0, transition)"])
def test_other_mutations_through_an_attribute_leave_the_list_unknown(mutation):
    src = FILLED.replace("self.data.append(transition)", mutation)
    assert _run(src).shape == (3, 1)
    assert lines(src, "PT005") == []
