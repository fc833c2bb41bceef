"""Findings on the ten projects added to bench/precision/manifest.toml in round 21, reduced to
their patterns.

The false positive: bentrevett/pytorch-seq2seq, notebooks 3 (current and legacy) and legacy/4 —
an attention module whose ``forward`` returns ``torch.softmax(...)`` (attention weights) is passed
to the decoder *as a constructor argument* (``self.attention = attention``) instead of being built
inside it (``self.attention = Attention(...)``). PT010 only treats a class as a sub-module when
another class constructs it in ``__init__``, so it takes the attention weights for the model's
output and reports a double softmax, although the loss gets the decoder's ``fc_out`` logits.
PT010 now counts a class whose instance is handed to another module class's constructor as a
sub-module; the must-flag twin guards against silencing a softmax that really is the model's
output."""
from __future__ import annotations

import pytest

from rulecheck import line_of, lines


# ------------------------------------------- PT010: attention weights of an injected sub-module
INJECTED = """import torch
import torch.nn as nn

class Attention(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.v = nn.Linear(dim, 1)

    def forward(self, hidden, outputs):
        return torch.softmax(self.v(hidden * outputs).squeeze(2), dim=1)

class Decoder(nn.Module):
    def __init__(self, dim, attention):
        super().__init__()
        self.attention = attention
        self.fc_out = nn.Linear(dim, 10)

    def forward(self, hidden, outputs):
        a = self.attention(hidden, outputs).unsqueeze(1)
        return self.fc_out(torch.bmm(a, outputs).squeeze(1))

{BUILD}
criterion = nn.CrossEntropyLoss()
"""


@pytest.mark.parametrize("build", [
    "attention = Attention(8)\ndecoder = Decoder(8, attention)",  # the notebooks' form
    "decoder = Decoder(8, Attention(8))",
])
def test_softmax_of_an_attention_module_passed_to_the_decoder_is_not_the_model_output(build):
    assert lines(INJECTED.replace("{BUILD}", build), "PT010") == []


# pytorch-seq2seq, notebook 3, cell 18: later cells rebind the same module-level name
# (``translation, sentence_tokens, attention = translate_sentence(...)``); the binding that
# reaches the ``Decoder(...)`` call (the flow facts' answer) is ``Attention(...)``.
def test_an_injected_attention_whose_name_is_rebound_later_is_still_a_part_of_the_decoder():
    build = ("attention = Attention(8)\ndecoder = Decoder(8, attention)\n"
             "translation, attention = translate(decoder), None")
    assert lines(INJECTED.replace("{BUILD}", build), "PT010") == []


# The twin: the same softmax-returning class trained directly with cross-entropy is the model.
DIRECT = """import torch
import torch.nn as nn

class Classifier(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.v = nn.Linear(dim, 10)

    def forward(self, x):
        return torch.softmax(self.v(x), dim=1)

model = Classifier(8)
criterion = nn.CrossEntropyLoss()
loss = criterion(model(x), y)
"""


def test_softmax_returned_by_the_model_trained_with_cross_entropy_is_still_flagged():
    assert lines(DIRECT, "PT010") == [line_of(DIRECT, "return torch.softmax")]
