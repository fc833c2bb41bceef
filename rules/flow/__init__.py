"""Data flow "tensor facts", built once per file and shared by every rule.

Rules get the facts with::

    from ptlint.rules.flow import FlowAnalysis
    flow = self.ctx.analysis(FlowAnalysis).check()   # built lazily, once per file

and ask questions instead of re-walking the tree.

What it is
----------
An abstract interpreter over statements (``interp.py``, one mixin module per seam:
``statements``, ``scopes``, ``expressions``, ``attributes``, ``operators``, ``calls``,
``loop_events``, ``torch_functions``, ``tensor_methods``/``tensor_views``, ``aliasing``).
What it shares with ``rules/shapes``, so that both give one answer: the size model
(``rules/size_product.py``), the shape arithmetic — broadcasting, matrix products, ``cat`` /
``stack``, the dim re-orderings, ``expand``, basic indexing (``rules/shape_arith.py``) — and the dtype model
(``rules/dtypes.py``), and the layers' output-size formulas: a ``torch.nn`` layer built with
literal arguments and called on a tensor of known shape gets its output from the shape
interpreter's transfer functions (``layers.py``), and a call that raises or drops input rows
there is a fact of the flow too (``layer_problems()`` / ``layer_drops()``);
``bench/bench_agreement.py`` checks on real code that the two agree.
Each scope — the module (for a notebook: all cells in order), every function and method — is interpreted once with
an environment ``dotted key -> Value`` ("x", "self.fc"); loop bodies twice (the second
time from the join of the state before the loop and after one iteration), ``if``/``else``
arms from the same state and joined, ``try`` as the join of its ways through, ``with``
bodies in sequence (``torch.no_grad()`` is remembered). Tuple unpacking,
``B, N, C = x.shape``, ``self.attr`` within a method, and class attributes assigned once
in ``__init__`` (optimizers, losses, layers) are followed. Functions of the same file are
summarised (events, return value, attributes of ``self`` they assign) and the summary
counts at each call site; a call whose arguments tell more than the summary's unknown
parameters also gets a call-site pass of its own (``call_sites.py``, read with
``flow.call_sites(node)``), and what the body returns in that pass is the call's value. Model classes of the file are followed per instance the same
way: ``Net(5)`` runs ``__init__`` with its arguments and keeps what it assigns to ``self``,
``model(x)`` runs ``forward`` with ``x`` and that instance's layers (blocks inside blocks:
a block's output in a pass is the next block's input), and ``out = model(x)`` gets what
``forward`` returned. An ``nn.Sequential`` keeps its layers: called, it applies them in
order; indexed (``net[0]``, ``net[1:]``), it gives them. A module changed after it was
built (a layer replaced, ``append``, ``double()``, handed to a function we cannot see) is
no longer followed: its calls are unknown. ``torchsummary.summary`` / ``torchinfo.summary``
run the model once on an input of the size they are given and leave it as it was
(``model_summaries.py``); so does a module built where a ``# ptlint: input=(…)`` comment
declares its input (on the model class or the statement), once the file is done, for its
layer facts only (``declared_inputs.py``). Unknown calls give unknown results, and objects passed to them
(``self``, modules, lists) lose their attribute facts; a tensor's dtype, layout and storage
survive (a callee cannot rebind the caller's names). When unsure the facts say "unknown"
and rules stay silent.

Questions
---------
``flow.value_of(expr) -> Value``
    What an expression evaluated to (joined over every evaluation). ``Value`` fields
    (``values.py``; ``None`` always means unknown):

    - ``kind``: ``Kind.TENSOR``, ``NDARRAY``, ``MODULE``, ``LOSS``, ``OPTIMIZER``,
      ``SCHEDULER``, ``GRAD_SCALER``, ``INT``, ``FLOAT``, ``BOOL``, ``STR``, ``TUPLE``,
      ``LIST``, ``SIZE``, ``DTYPE``, ``DEVICE``, ``FUNCTION``, ``CLASS``, ``OBJECT``, ``DATASET``,
      ``LOADER`` (``datasets.py``: ``elem`` is one sample / one batch), ``UNKNOWN``;
    - tensors/arrays: ``dtype`` ("int64", "float32", …), ``shape`` (tuple of ``Product``:
      literal ints or symbolic products), ``layout`` (``Layout``: contiguous, or strided
      with ``origin`` = the transpose/permute/slice node), ``storage`` (alias group: views,
      ``.numpy()``, ``from_numpy``, ``as_tensor`` share it), ``bridge`` (the call that
      crossed numpy/torch), ``device``, ``requires_grad``, ``is_leaf``, ``initialized``
      (False for ``torch.empty`` / ``torch.Tensor(3, 4)`` until written in place);
    - provenance: ``origin`` (producing node), ``provenance`` (qualified name or
      ".method" of the producing op), ``dataset_tensor`` (a DataLoader batch or dataset
      sample: the dataset's tensor it comes from; where the labels were made);
    - objects: ``spec`` (constructor's qualified name for modules, losses, optimizers,
      schedulers), ``params_of`` (optimizers: key of the module in ``m.parameters()``),
      ``owner`` (``for p in m.parameters()``: key of m), ``const``, ``sym``, ``items``,
      ``elem``, ``func``;
    - ``chain`` (read it with ``chain.chain_of(value)``): how to rebuild the tensor from
      literals alone — a creation call's literal shape and dtype, then every operation
      applied since, with literal arguments (``chain.py``). Kept through a join only when
      both sides have the same history; believed only on the value it was made for.

``flow.probe_chain(call) -> dict | None``
    For ``recv.method(literal args)`` whose receiver has a chain: ``{"shape", "dtype",
    "chain"}`` ending with this call — what the runtime probe replays to confirm PT001.

``flow.view_error(call) -> Layout | None``
    For a ``.view(...)`` call that certainly raises because of its receiver's strides,
    the receiver's layout (``layout.origin``: where it became non-contiguous).

``flow.loop_blocks() -> list[LoopBlock]``
    Every loop with the ordered events of one iteration and the branch structure kept
    (``events.py``): ``Event`` kinds ``backward``, ``step``, ``zero_grad`` (details:
    optimizer / module / tensor / all), ``manual_step`` (``w -= lr * w.grad``), ``write``
    and ``read`` (of memory shared across numpy/torch), ``exit``, ``scheduler_step`` (a known
    scheduler's ``step()``: a ``torch.optim.lr_scheduler`` object or a transformers
    schedule; ``schedulers.driven_optimizer(value)`` names its optimizer; key = the
    scheduler); ``Branch`` (one arm
    runs), nested ``LoopBlock`` (0+ iterations), ``Inline`` (a helper of this file called
    here, keys mapped to the caller's names; for ``model(x)`` of a model class of this file,
    the gradient clears of its ``forward``, ``self`` mapped to ``model``). ``events.iteration_paths(block, kinds)``
    enumerates the ways through one iteration. About a loop itself (``loop_facts.py``):
    ``flow.iterates_batches(loop)`` (one ``DataLoader`` batch per iteration, also through
    ``enumerate`` / ``tqdm``), ``skipped_in_first_iteration(loop, event)`` (under an ``if`` on
    the counter of ``for epoch in range(start, …)`` that fails for ``start``),
    ``is_body_statement(loop, call)``, ``iteration_events(block)`` (not those of nested loops).

``flow.hazards -> list[Hazard]``
    In-place writes through one side of numpy/torch shared memory that a later read
    through the other side sees: ``Hazard(write: Event, read: node, read_value: Value)``.
    ``flow.bridge_of(group)`` is where the sharing began.

``flow.layer_problems() / flow.layer_drops() -> list[LayerCall]``
    The ``torch.nn`` layer calls that raise when they run (``outcome.problem``: the shapes
    ``Problem``, e.g. ``in_features`` against the flattened size) or whose conv/pool window
    never covers the input's last rows (``outcome.dropped``), in the summary or a call-site
    pass (``chain``), with the layer's constructor call and the input shape (``layers.py``).

``flow.module_inputs(ctor) -> list[Value]``
    What the calls of the module built at the constructor call ``ctor`` (``Net()``,
    ``nn.Sequential(...)``) were given first, one value per call and pass (the summary and
    every call-site pass): the shape trace takes a dataset for a model's input only when
    these include a batch of its images. Calls the flow did not follow are not listed.

``flow.backward_before(grad_attr) -> bool | None``
    For an ``x.grad`` read: whether a ``backward()`` of its scope may have run before it
    on some path (one written earlier, or one in a loop around it). PT012 checks only
    those reads.

``flow.function(def_node) -> FunctionInfo``
    A helper's summary: ``block`` (events), ``returns`` (joined ``Value``),
    ``self_assigned``.

Reusable pieces: ``creation.creation_value`` / ``creation.creation_shape`` (what a
creation call like ``torch.randn(6, 8)`` returns, given a ``value_of`` function —
``creation.literal_value_of`` works without flow facts), ``layout.view_result`` (does a
view of a layout raise).

Extending
---------
A new fact is a new ``Value`` field (joined in ``values.join``) plus the transfer
functions that set it: a handler in a name -> handler table (``tensor_methods.TENSOR_METHODS``
for tensor methods, ``attributes.TENSOR_ATTRS`` for attributes, ``torch_functions.TORCH_FUNCTIONS``
for functions by qualified name, ``aliasing.BRIDGES`` for numpy/torch bridges), or
``torch_functions.constructor`` for objects; name sets in ``transfer.py``. A new ordered fact is a new ``Event``
kind emitted by the interpreter; rules read it from ``loop_blocks()`` or a function's
``block``. Planned users: grad of a non-leaf (``is_leaf``), in-place on a leaf that
requires grad (``requires_grad``/``is_leaf`` + ``write`` events), ``.numpy()`` on a
tensor that requires grad, reads of uninitialised ``torch.empty`` (``initialized``),
scheduler/optimizer order (``step`` events of ``Kind.SCHEDULER`` values need an event
kind of their own), embedding index dtype (``dtype``), RNN ``batch_first`` (``spec`` +
constructor arguments).
"""
from ..size_product import Product
from .analysis import FlowAnalysis, FlowError
from .events import (
    BACKWARD, EXIT, MANUAL_STEP, READ, SCHEDULER_STEP, STEP, WRITE, ZERO_GRAD, Branch, Event, Inline, LoopBlock,
    iteration_paths,
)
from .interp import Hazard, key_of
from .layers import LayerCall, LayerOutcome
from .loop_facts import is_body_statement, iteration_events, skipped_in_first_iteration
from .values import CONTIGUOUS, UNKNOWN, Kind, Layout, Value, is_floating, join, shape_str

__all__ = [
    "BACKWARD", "Branch", "CONTIGUOUS", "EXIT", "Event", "FlowAnalysis", "FlowError", "Hazard", "Inline", "Kind",
    "LayerCall", "LayerOutcome", "Layout", "LoopBlock", "MANUAL_STEP", "Product", "READ", "SCHEDULER_STEP", "STEP", "UNKNOWN", "Value", "WRITE",
    "ZERO_GRAD", "is_body_statement", "is_floating", "iteration_events", "iteration_paths", "join", "key_of", "shape_str",
    "skipped_in_first_iteration",
]
