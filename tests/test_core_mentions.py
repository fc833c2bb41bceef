"""The file's name mentions and node index (rules/name_uses.NameMentions,
rules/node_index.NodeIndex): the facts PT015, PT020, PT023 and the PT016/PT022 fix pairing
ask instead of walking the tree themselves (issue 12), and what those rules do with them."""
import libcst as cst

from flowcheck import file_context, find
from ptlint.rules import Config, lint_text
from ptlint.rules.name_uses import NameMentions
from ptlint.rules.node_index import NodeIndex
from rulecheck import line_of, lines
from test_notebook import notebook


# ---------------------------------------------------------------- name mentions
def test_mentions_are_every_occurrence_of_a_name_in_source_order_nested_scopes_included():
    src = "buf = make()\nprint(buf.shape)\ndef f():\n    return buf + 1\nobj.buf = g(buf=2)\n"
    ctx, module = file_context(src)
    mentions = ctx.analysis(NameMentions).of(module, "buf")
    # ``obj.buf`` (an attribute's name) and ``g(buf=2)`` (a keyword) are not mentions of buf
    assert [m.assigned for m in mentions] == [True, False, False]
    assert [module.code_for_node(m.line).strip() for m in mentions] == [
        "buf = make()", "print(buf.shape)", "return buf + 1"]
    assert isinstance(mentions[1].parent, cst.Attribute) and isinstance(mentions[2].parent, cst.BinaryOperation)


def test_a_dotted_name_on_self_is_a_key_of_its_own():
    src = "class V:\n    def __init__(self, t):\n        self.itos = t\n        n = len(self.itos)\n"
    ctx, module = file_context(src)
    cls = module.body[0]
    mentions = ctx.analysis(NameMentions).of(cls, "self.itos")
    assert [m.assigned for m in mentions] == [True, False]
    assert isinstance(mentions[1].grandparent, cst.Call)  # len(self.itos): Attribute -> Arg -> Call
    assert ctx.analysis(NameMentions).of(cls, "itos") == []


def test_mentions_of_a_region_are_collected_once_however_many_names_are_asked():
    src = "a = 1\nb = a\nc = b\n"
    ctx, module = file_context(src)
    index = ctx.analysis(NameMentions)
    assert index.within(module) is index.within(module)
    assert sorted(index.within(module)) == ["a", "b", "c"]


# ---------------------------------------------------------------- node index
def test_the_node_index_finds_a_node_by_id_with_the_ancestors_the_traversal_sees():
    src = "import torch\nfor x in loader:\n    y = torch.relu(x)\n"
    ctx, module = file_context(src)
    call = find(module, "torch.relu(x)")
    index = ctx.analysis(NodeIndex)
    assert index.node(id(call)) is call
    chain = index.ancestors(call)
    assert chain[0] is module and chain[-1] is call
    assert [type(n).__name__ for n in chain[1:-1]] == [
        "For", "IndentedBlock", "SimpleStatementLine", "Assign"]
    assert index.parent(call) is chain[-2]
    assert index.node(12345) is None  # not a node of this file
    loop = module.body[1]
    assert index.innermost(call, (cst.For,)) is loop and index.innermost(call, (cst.FunctionDef,)) is None
    assert index.encloses(loop, call) and index.encloses(call, call) and not index.encloses(module.body[0], call)


def test_the_node_index_knows_which_notebook_cell_holds_a_node():
    ctx, module = file_context(notebook("import torch\na = 1\n", "b = torch.zeros(2)\n"), notebook=True)
    index = ctx.analysis(NodeIndex)
    assert index.unit_of(find(module, "1")) == 0
    assert index.unit_of(find(module, "torch.zeros(2)")) == 1


# ---------------------------------------------------------------- what the rules do with them
VOCAB = """import torch
class Vocab:
    def __init__(self, tokens):
{BODY}
        self.stoi = {{t: i for i, t in enumerate(tokens)}}
words = text.split()
vocab = Vocab(list(set(words)))
"""


def test_pt020_a_comprehension_variable_named_like_the_parameter_does_not_rebind_it():
    # the comprehension's ``tokens`` is its own scope: ``enumerate(tokens)`` still numbers the set
    src = VOCAB.format(BODY="        lens = [len(tokens) for tokens in tokens]")
    assert lines(src, "PT020") == [line_of(src, "vocab = Vocab(")]


def test_pt020_a_parameter_rebound_before_numbering_is_not_flagged():
    src = VOCAB.format(BODY="        tokens = sorted(tokens)")
    assert lines(src, "PT020") == []


def test_pt020_a_parameter_rebound_by_a_nested_function_through_nonlocal_is_not_flagged():
    body = "        def fix():\n            nonlocal tokens\n            tokens = sorted(tokens)\n        fix()"
    assert lines(VOCAB.format(BODY=body), "PT020") == []


def test_pt020_a_nested_function_with_its_own_local_of_that_name_does_not_rebind_it():
    body = "        def show():\n            tokens = 'x'\n            print(tokens)\n        show()"
    src = VOCAB.format(BODY=body)
    assert lines(src, "PT020") == [line_of(src, "vocab = Vocab(")]


def test_pt020_numbering_inside_a_loop_over_a_set_is_flagged_at_the_set():
    src = "import torch\nword2id = {}\nfor w in set(text.split()):\n    word2id[w] = len(word2id)\n"
    assert lines(src, "PT020") == [3]
    quiet = "import torch\nword2id = {}\nfor w in set(text.split()):\n    seen[w] = True\n"
    assert lines(quiet, "PT020") == []


def test_pt015_a_buffer_written_on_its_own_line_before_the_read_is_not_flagged():
    src = "import torch\nbuf = torch.empty(3); buf.zero_()\nprint(buf)\n"
    assert lines(src, "PT015") == []
    unwritten = "import torch\nbuf = torch.empty(3).to('cpu')\nprint(buf)\n"
    assert lines(unwritten, "PT015") == [3]


def test_pt016_and_pt022_pair_their_fix_only_for_a_creation_used_as_indices_in_the_same_cell():
    emb = "import torch\nimport torch.nn as nn\nemb = nn.Embedding(10, 3)\n"
    same = lint_text(notebook(emb + "ids = torch.Tensor([[1, 2]])\nout = emb(ids)\n"), "t.ipynb",
                     Config(select=("PT016",)), notebook=True)
    split = lint_text(notebook(emb + "ids = torch.Tensor([[1, 2]])\n", "out = emb(ids)\n"), "t.ipynb",
                      Config(select=("PT016",)), notebook=True)
    assert ["dtype=torch.long" in f.fix.edits[0].new_text for f in same.findings] == [True]
    # across cells the cell that makes ``ids`` may be re-run alone: PT016 keeps the plain rewrite
    assert ["dtype=torch.float32" in f.fix.edits[0].new_text for f in split.findings] == [True]


SOFTMAX_MODEL = """import torch
import torch.nn as nn
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 3)
    def forward(self, x):
        return torch.softmax(self.fc(x), dim=1)
criterion = nn.CrossEntropyLoss()
{USE}
"""


def test_pt010_a_softmax_model_built_and_moved_but_never_run_is_not_flagged():
    src = SOFTMAX_MODEL.format(USE="net = Net().to('cpu')\nnet.eval()\nloss = criterion(other(x), y)")
    assert lines(src, "PT010") == []


def test_pt010_a_softmax_model_whose_instance_is_run_or_handed_on_is_flagged():
    for use in ("net = Net().to('cpu')\nnet.eval()\nloss = criterion(net(x), y)",
                "net = Net()\ntrain(net, criterion)",
                "models = [Net()]"):
        src = SOFTMAX_MODEL.format(USE=use)
        assert lines(src, "PT010") == [line_of(src, "return torch.softmax")], use


def test_pt010_a_rebound_softmax_model_is_flagged_when_that_binding_feeds_the_loss():
    src = ("import torch\nimport torch.nn as nn\nloss_fn = nn.CrossEntropyLoss()\n"
           "model = nn.Sequential(nn.Linear(4, 2), nn.Softmax(dim=1))\n"
           "loss = loss_fn(model(x), y)\n"
           "model = nn.Sequential(nn.Linear(4, 2))\n")
    assert lines(src, "PT010") == [line_of(src, "nn.Softmax(dim=1)")]
    replaced_first = src.replace("loss = loss_fn(model(x), y)\nmodel = nn.Sequential(nn.Linear(4, 2))\n",
                                 "model = nn.Sequential(nn.Linear(4, 2))\nloss = loss_fn(model(x), y)\n")
    assert lines(replaced_first, "PT010") == []
