"""``ShapeAnalysis``: the per-file shape facts, built once through
``ctx.analysis(ShapeAnalysis)``. Rules (PT005, PT006), hover, inlay hints, ``ptlint shapes``
and the runtime probe all read it; nobody re-walks the tree for shapes."""
from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Optional

import libcst as cst

from ..dtypes import default_floating
from .dims import Shape, fmt_shape
from .inputs import InputInfo, comment_input, other_datasets_disagree
from .interp import Budget, Frame, Interp, assigned_names
from .layers import Layer, Problem
from .models import Instance, ModelClass, walk_layers
from .trace import DropInfo, ShapeError, Trace
from .values import UNKNOWN, ContainerV, InstanceV, Seq, TensorV, Value, py

if TYPE_CHECKING:
    from ..engine import FileContext

log = logging.getLogger("ptlint.shapes")

# Evaluation steps before the analysis gives up (silently): per unit (the module body, one
# function, one model's construction or forward pass) and per file.
UNIT_BUDGET = 50_000
FILE_BUDGET = 300_000
INPUT_OPS_FOR_DATASETS = {
    "Conv2d", "MaxPool2d", "AvgPool2d", "BatchNorm2d", "AdaptiveAvgPool2d", "AdaptiveMaxPool2d", "Flatten",
}


@dataclass(eq=False)
class ModelEntry:
    name: str
    kind: str  # module | sequential
    node: cst.CSTNode  # the ClassDef, or the nn.Sequential(...) call
    stmt: cst.CSTNode  # where a "# ptlint: input=" comment may sit
    cls: Optional[ModelClass] = None
    container: Optional[ContainerV] = None
    instance: Optional[Instance] = None
    top_level: bool = False  # instantiated / built by the file's own code
    candidates: dict[str, InputInfo] = field(default_factory=dict)
    input: Optional[InputInfo] = None
    trace: Optional[Trace] = None
    output: Value = UNKNOWN
    layers: list[tuple[str, Layer]] = field(default_factory=list)
    scope: Optional[cst.FunctionDef] = None  # the function that built it (None: module level)
    # id(layer) -> its name within this model: a block built standalone shares its layer
    # objects with the model that built it (ResNet's downsample), so names are per model.
    layer_names: dict[int, str] = field(default_factory=dict)
    gave_up: bool = False

    @property
    def root(self) -> Value:
        if self.container is not None:
            return self.container
        return InstanceV(self.instance) if self.instance is not None else UNKNOWN


class ShapeAnalysis:
    def __init__(self, ctx: "FileContext", *, input_shape: Optional[Shape] = None) -> None:
        from .crossfile import CrossFileModels
        from .models import FileIndex

        self.ctx = ctx
        self.cli_input = input_shape
        # float32, or None in a file that calls torch.set_default_dtype (floats of unknown width)
        self.default_float = ctx.default_float
        self.crossfile = CrossFileModels(self)  # names imported from other project files
        self.index = FileIndex(ctx, self.crossfile.base_resolver(None))
        self.unit_left = UNIT_BUDGET
        self.file_left = FILE_BUDGET
        self._in_unit = False
        self.models: list[ModelEntry] = []
        self.errors: list[ShapeError] = []
        self.drops: list[DropInfo] = []
        self.internal_errors: list[str] = []
        self._construct: dict[cst.CSTNode, ShapeError] = {}
        self._seq_entries: dict[cst.CSTNode, ModelEntry] = {}
        self._mutated_ids: set[int] = set()
        self._mutated_nodes: set[cst.CSTNode] = set()
        self._script_instances: dict[ModelClass, list[Instance]] = {}
        self._first_args: dict[ModelClass, tuple[list[Value], dict[str, Value], Optional[cst.Call]]] = {}
        self._call_candidates: list[tuple[Any, InputInfo]] = []
        self._fed_samples: list[Any] = []  # models called here with one dataset sample
        # (model, the call's first argument) of each call here: a model fed (N, 64) noise is
        # not the model the dataset's images go to
        self._fed_args: list[tuple[Any, Value, cst.CSTNode]] = []
        self._summary_candidates: list[tuple[Any, InputInfo]] = []
        self._datasets: list[tuple[str, tuple[int, ...], cst.CSTNode, bool, Optional[cst.FunctionDef]]] = []
        self._instance_scope: dict[int, Optional[cst.FunctionDef]] = {}
        self._indexed: set[int] = set()  # Sequentials used as containers (net[0])
        self._called: set[int] = set()  # Sequentials called as pipelines
        self._queue: list[cst.FunctionDef] = []
        self._queued: set[int] = set()
        self._script_traces: list[Trace] = []
        self._foreign_traces: list[Trace] = []  # other files' models run on this file's calls
        self._module_env: dict[str, Value] = {}
        self._once = self._assigned_once()
        self._node_values: dict[cst.CSTNode, list[Value]] = {}
        self._node_formulas: dict[cst.CSTNode, str] = {}
        self._hints: list[cst.CSTNode] = []
        self._node_model: dict[cst.CSTNode, str] = {}
        self._lines: dict[int, Optional[tuple[Optional[int], int]]] = {}
        self._positions: Optional[list[tuple[Any, cst.CSTNode]]] = None
        self._run()

    # ================================================================ budget and globals
    def spend(self) -> None:
        self.unit_left -= 1
        if self.unit_left < 0:
            raise Budget()

    def _assigned_once(self) -> set[str]:
        counts: Counter = Counter()
        for stmt in self.ctx.module.body:
            if isinstance(stmt, (cst.FunctionDef, cst.ClassDef)):
                counts[stmt.name.value] += 1
                continue
            names, _ = assigned_names(stmt)
            counts.update(names)
        return {n for n, c in counts.items() if c == 1}

    def global_value(self, name: str) -> Optional[Value]:
        if name in self._once and name in self._module_env:
            return self._module_env[name]
        return None

    def queue_function(self, fn: cst.FunctionDef) -> None:
        if id(fn) not in self._queued:
            self._queued.add(id(fn))
            self._queue.append(fn)

    def line_of(self, node: cst.CSTNode) -> Optional[int]:
        place = self.place_of(node)
        return place[1] if place is not None else None

    def place_of(self, node: cst.CSTNode) -> Optional[tuple[Optional[int], int]]:
        """(notebook cell or None, 1-based line); positions are only computed for messages."""
        key = id(node)
        if key not in self._lines:
            try:
                cell, rng = self.ctx.locate(node)
                self._lines[key] = (cell, rng.start.line)
            except KeyError:
                self._lines[key] = None
        return self._lines[key]

    # ================================================================ script-phase callbacks
    def script_assign(self, name: str, v: Value, stmt: cst.CSTNode, f: Frame, scope=None) -> None:
        if isinstance(v, ContainerV) and v.kind == "sequential" and v.node is not None \
                and v.node not in self._seq_entries:
            self._seq_entries[v.node] = ModelEntry(name, "sequential", v.node, stmt, container=v, top_level=True,
                                                   scope=scope)

    def container_indexed(self, c: ContainerV) -> None:
        self._indexed.add(id(c))

    def mark_mutated(self, obj: Value) -> None:
        """A model changed after construction (``net.fc = …``, ``model[0] = …``): its
        calls no longer tell us the input of the code we analysed."""
        if isinstance(obj, InstanceV):
            self._mutated_ids.add(id(obj.instance))
        elif isinstance(obj, ContainerV):
            self._mutated_ids.add(id(obj))
            if obj.node is not None:
                self._mutated_nodes.add(obj.node)

    def note_instantiation(self, mc: ModelClass, args: list[Value], kwargs: dict[str, Value],
                           node: Optional[cst.Call], mode: str) -> None:
        self._first_args.setdefault(mc, (args, kwargs, node))

    def remember_instance(self, inst: Instance, scope=None) -> None:
        self._script_instances.setdefault(inst.cls, []).append(inst)
        self._instance_scope[id(inst)] = scope

    def model_called(self, target: Any, args: list[tuple[Value, cst.CSTNode]], node: cst.Call) -> None:
        self._called.add(id(target))
        if not args:
            return
        x = args[0][0]
        self._fed_args.append((target, x, args[0][1]))
        if isinstance(x, TensorV) and x.sample:
            # model(ds[0][0]): one (C, H, W) sample, no batch dimension. The dataset is no
            # evidence of a batched input; the sample itself is the input (torch takes it).
            self._fed_samples.append(target)
            if x.shape is not None and x.shape.fully_known:
                self._call_candidates.append((target, InputInfo(x.shape, "call", node, detail=x.sample, dtype=x.dtype,
                                                                 inferred=True)))
            return
        if isinstance(x, TensorV) and x.literal and x.shape is not None and x.shape.fully_known:
            self._call_candidates.append((target, InputInfo(x.shape, "call", node, dtype=x.dtype)))

    def summary_called(self, q: str, got, node: cst.Call) -> None:
        args, kwargs = got
        if not args:
            return
        target = args[0][0]
        target = target.instance if isinstance(target, InstanceV) else target
        kw = {k: v for k, (v, _) in kwargs.items()}
        if q.startswith("torchsummary"):
            size = args[1][0] if len(args) > 1 else kw.get("input_size", UNKNOWN)
            batch = py(args[2][0] if len(args) > 2 else kw.get("batch_size", UNKNOWN), -1)
            dims = py(size, None)
            if isinstance(dims, (tuple, list)) and dims and all(isinstance(d, int) and not isinstance(d, bool)
                                                               for d in dims):
                b = batch if isinstance(batch, int) and not isinstance(batch, bool) and batch > 0 else "N"
                self._summary_candidates.append((target, InputInfo(Shape((b, *dims)), "summary", node)))
            return
        if "batch_dim" in kw:
            return
        size = args[1][0] if len(args) > 1 else kw.get("input_size", UNKNOWN)
        dims = py(size, None)
        if isinstance(dims, (tuple, list)) and dims and all(isinstance(d, int) and not isinstance(d, bool) for d in dims):
            self._summary_candidates.append((target, InputInfo(Shape(tuple(dims)), "summary", node)))
            return
        data = kw.get("input_data")
        if isinstance(data, TensorV) and data.literal and data.shape is not None:
            self._summary_candidates.append((target, InputInfo(data.shape, "summary", node, dtype=data.dtype)))

    def dataset_seen(self, ds: tuple[str, tuple[int, ...]], got, node: cst.Call, scope=None) -> bool:
        """Remember a dataset built here; whether its images keep the dataset's own size."""
        from .state import TransformV

        args, kwargs = got
        kw = {k: v for k, (v, _) in kwargs.items()}
        t = kw.get("transform", args[2][0] if len(args) > 2 else None)
        ok = isinstance(t, TransformV) and t.keeps_size and t.makes_tensor
        self._datasets.append((ds[0], ds[1], node, ok, scope))
        return ok

    def construct_problem(self, node: cst.Call, problem: Problem, layer: Layer,
                          home: Optional[cst.Call] = None) -> None:
        """``home``: the call of this file that built ``node``, a layer of another file."""
        if home is not None:
            if home not in self._construct:
                self._construct[home] = ShapeError(
                    home, problem.zh, problem.en,
                    [(node, "这一层在另一个文件中的构造位置", "the layer is built here, in the other file")],
                    kind="construct")
        elif node not in self._construct:
            self._construct[node] = ShapeError(node, problem.zh, problem.en, kind="construct")

    # ================================================================ the run
    def _run(self) -> None:
        self._script_phase()
        self._build_entries()
        for entry in self.models:
            self._choose_input(entry)
        ordered = sorted(self.models, key=lambda m: m.input is None)
        for entry in ordered:
            self._run_model(entry)
        self._run_foreign_calls()
        for entry in reversed(ordered):  # shared layers keep the name they have in the main model
            for name, layer in entry.layers:
                layer.name = name
        self._collect()

    def safely(self, what: str, fn, *args) -> bool:
        """Run one unit of work with its own budget; nested units share the outer one."""
        if self._in_unit:
            fn(*args)
            return True
        if self.file_left <= 0:
            return False
        self.unit_left = UNIT_BUDGET
        self._in_unit = True
        try:
            fn(*args)
            return True
        except Budget:
            log.debug("%s: shape analysis budget exhausted in %s", self.ctx.path, what)
            return False
        except RecursionError:
            return False
        except Exception as exc:  # a bug here must never take the rules down
            self.internal_errors.append(f"{what}: {type(exc).__name__}: {exc}")
            log.debug("shape analysis failed in %s", what, exc_info=True)
            return False
        finally:
            self._in_unit = False
            self.file_left -= UNIT_BUDGET - max(self.unit_left, 0)

    def _script_phase(self) -> None:
        trace = Trace(locate=self.place_of)
        self._script_traces.append(trace)
        frame = Frame(self._module_env, "script", module=True)
        interp = Interp(self, trace)
        self.safely("module", interp.exec_block, self.ctx.module.body, frame)
        self._module_env = frame.env
        for cls_name, node in self.index.classdefs.items():
            if cls_name not in self.index.models:
                for item in node.body.body:
                    if isinstance(item, cst.FunctionDef):
                        self.queue_function(item)
        for fn in self.index.functions.values():
            self.queue_function(fn)
        i = 0
        while i < len(self._queue) and i < 2000:
            fn = self._queue[i]
            i += 1
            t = Trace(locate=self.place_of)
            self._script_traces.append(t)
            it = Interp(self, t)

            def run_function(fn=fn, it=it) -> None:
                it.scope_fn = fn
                f = Frame(it.bind_params(fn, None, [], {}), "script")
                it.exec_block(_body(fn), f)

            self.safely(f"function {fn.name.value}", run_function)

    def _build_entries(self) -> None:
        seen_names: Counter = Counter()
        for mc in self.index.models.values():
            if mc.find("forward") is None:
                continue
            entry = ModelEntry(mc.name, "module", mc.node, mc.node, cls=mc)
            inst = self._pick_instance(mc)
            if inst is not None:
                entry.top_level = True
            else:
                args, kwargs, node = self._first_args.get(mc, ([], {}, None))
                t = Trace(locate=self.place_of)
                it = Interp(self, t)
                it.symbolic = mc not in self._first_args  # never built in the file: sizes are symbols
                holder: list[InstanceV] = []
                if self.safely(f"{mc.name}.__init__", lambda: holder.append(it.instantiate(mc, args, kwargs, node))):
                    inst = holder[0].instance
            entry.instance = inst
            if inst is not None:
                entry.scope = self._instance_scope.get(id(inst))
            if inst is None:
                entry.gave_up = True
            self.models.append(entry)
        for entry in self._seq_entries.values():
            c = entry.container
            if c is not None and id(c) in self._indexed and id(c) not in self._called:
                continue  # only indexed (center, ctx = net[0], net[1]): a container, not a pipeline
            self.models.append(entry)
        for m in self.models:
            seen_names[m.name] += 1
            if seen_names[m.name] > 1:
                m.name = f"{m.name}#{seen_names[m.name]}"

    def _pick_instance(self, mc: ModelClass) -> Optional[Instance]:
        """The instance the file's own code uses: one that is called with a literal
        tensor, else one given to summary(), else the first built. Calls and summaries
        only ever describe the very instance they were made on."""
        built = [i for i in self._script_instances.get(mc, []) if i.complete]
        if not built:
            return None
        for pool in (self._call_candidates, self._summary_candidates):
            for target, _ in pool:
                if any(target is i for i in built) and id(target) not in self._mutated_ids:
                    return target
        return built[0]

    def _same_construction(self, mc: ModelClass) -> bool:
        """Every instance the file builds has the same constructor arguments (so a
        dataset, which feeds "the" model, cannot be meant for a differently built one)."""
        built = self._script_instances.get(mc, [])
        keys = {_args_key(i) for i in built}
        return len(keys) == 1 and None not in keys

    def _key_of(self, entry: ModelEntry) -> Any:
        return entry.container if entry.container is not None else entry.cls

    def _choose_input(self, entry: ModelEntry) -> None:
        if self.cli_input is not None:
            entry.input = InputInfo(self.cli_input, "cli")
            return
        found = comment_input(entry.stmt)
        if found is not None:
            entry.candidates["comment"] = InputInfo(found[0], "comment", found[1])
        for target, info in self._call_candidates:
            if self._matches(entry, target) and "call" not in entry.candidates:
                entry.candidates["call"] = info
        for target, info in self._summary_candidates:
            if self._matches(entry, target) and "summary" not in entry.candidates:
                entry.candidates["summary"] = info
        fed_one_sample = any(self._matches(entry, target) for target in self._fed_samples)
        ds = None if fed_one_sample else self._dataset_input(entry.scope)
        if ds is not None and not self._dataset_may_feed(entry, ds):
            ds = None
        if ds is not None and entry.top_level and not self._mutated(entry) and (
                entry.cls is None or self._same_construction(entry.cls)):
            entry.candidates["dataset"] = ds
        for source in ("comment", "call", "summary", "dataset"):
            if source in entry.candidates:
                entry.input = entry.candidates[source]
                return

    def _dataset_may_feed(self, entry: ModelEntry, ds: InputInfo) -> bool:
        """Whether the dataset of the model's scope is evidence of its input: only when the
        flow sees this very model (built at its constructor call) given a batch of the
        dataset's images, a tensor ``(B, C, H, W)`` of the dataset's sample size, in the
        file's code or in a pass of a helper it is handed to (``train(model, loader)``). A
        dataset merely built beside a model is no evidence: the file may make its own samples
        (a ``Dataset`` class whose ``__getitem__`` stacks or crops the images), feed the
        model noise (a GAN's generator) or train another model (``rgb_model`` built beside
        the ``gray_model`` the loop trains). A call with a tensor of another rank rules the
        dataset out."""
        if any(_defines_getitem(c) for c in self.index.classdefs.values()):
            return False
        calls = [(x, arg) for target, x, arg in self._fed_args if self._matches(entry, target)]
        if any(self._rank_fed(x, arg) not in (None, ds.shape.rank) for x, arg in calls):
            return False
        ctor = entry.container.node if entry.container is not None else (
            entry.instance.node if entry.instance is not None else None)
        if ctor is None:
            return False
        from ..flow import FlowAnalysis

        fed = self.ctx.analysis(FlowAnalysis).module_inputs(ctor)
        ranks = {len(x.shape) for x in fed if x.shape is not None}
        return ranks == {ds.shape.rank} and any(_is_image_batch(x.shape, ds.shape.dims[1:]) for x in fed
                                                 if x.shape is not None)

    def _rank_fed(self, x: Value, arg: cst.CSTNode) -> Optional[int]:
        """The rank of what a call gives the model, from the trace or else from the flow
        (``torch.randn(len(real), 64)``: the flow knows ``real``'s batch)."""
        if isinstance(x, TensorV) and x.shape is not None and x.shape.rank is not None:
            return x.shape.rank
        from ..flow import FlowAnalysis

        v = self.ctx.analysis(FlowAnalysis).value_of(arg)
        return len(v.shape) if v.shape is not None else None

    def _mutated(self, entry: ModelEntry) -> bool:
        if entry.container is not None:
            return entry.container.node in self._mutated_nodes
        return entry.instance is not None and id(entry.instance) in self._mutated_ids

    def _matches(self, entry: ModelEntry, target: Any) -> bool:
        if isinstance(target, ContainerV):
            # the very container: a helper that builds blocks (down_sample_blk(3, 10),
            # down_sample_blk(64, 128)) makes a different one at each call site
            return target is entry.container and target.node not in self._mutated_nodes
        if isinstance(target, Instance):
            return target is entry.instance and id(target) not in self._mutated_ids
        return False

    def _dataset_input(self, scope) -> Optional[InputInfo]:
        """A dataset made in the same function as the model (or both at module level): a
        dataset built inside ``load_data_fashion_mnist()`` says nothing about other models."""
        datasets = [d for d in self._datasets if d[4] is scope]
        if not datasets or not all(d[3] for d in datasets):
            return None
        shapes = {d[1] for d in datasets}
        if len(shapes) != 1:
            return None
        name, shape, node, _, _ = datasets[0]
        if other_datasets_disagree(self.ctx.module, self.ctx.qualname, {id(d[2]): d[3] for d in self._datasets}, shape):
            return None
        return InputInfo(Shape(("N", *shape)), "dataset", node, f"datasets.{name}",
                         dtype=default_floating(self.default_float))

    def _run_model(self, entry: ModelEntry) -> None:
        if entry.gave_up:
            return
        entry.layers = []
        entry.layer_names = {}
        for name, layer in walk_layers(entry.root):
            layer.name = name
            entry.layer_names[id(layer)] = name
            entry.layers.append((name, layer))
        trace = self._run_once(entry, entry.input)
        if entry.input is not None and entry.input.source == "dataset" and not _takes_images(trace):
            entry.input = None  # the model starts with something other than an image layer
            trace = self._run_once(entry, None)
        entry.trace = trace
        if entry.container is not None and entry.container.node is not None \
                and self.ctx.is_foreign(entry.container.node):
            # net = make_features() of models/blocks.py, called here: what fails for this
            # file's input is this file's finding, at the call that fed it
            info = entry.input
            home = info.node if info is not None and info.source == "call" else None
            self._bring_home(trace, home, lambda: self._run_once(entry, None))

    def _run_once(self, entry: ModelEntry, info: Optional[InputInfo]) -> Trace:
        trace = Trace(first_only=True, input_info=info, locate=self.place_of)
        interp = Interp(self, trace)
        x = TensorV(info.shape if info is not None else None, info.dtype if info is not None else None)
        x = trace.add("input", None, [], x)

        def go() -> None:
            if entry.container is not None:
                out = interp.run_sequential(entry.container, x, None, Frame({}, "forward"))
            else:
                out = interp.run_forward(entry.instance, [x], {}, None)  # type: ignore[arg-type]
            entry.output = out
            trace.add("output", None, _tensors_of(out), out)

        if not self.safely(f"forward of {entry.name}", go):
            entry.output = UNKNOWN
            entry.gave_up = True
        return trace

    def _run_foreign_calls(self) -> None:
        """A model class of another project file that this file builds and calls with a
        literal tensor (``blk = ConvBlock(3, 8)`` … ``blk(torch.randn(1, 3, 28, 28))``)
        has no entry here, the class being that file's, and that file never sees the
        input: its forward runs once per such call, and the PT006 remainders and PT005
        problems found are this call's (or at this file's number that built the block,
        ``ConvBlock(3, 8)``). A problem in the other file that needs no input is that
        file's own analysis's to report."""
        done: set[int] = set()
        for target, info in self._call_candidates:
            if not isinstance(target, Instance) or not target.complete or id(target) in self._mutated_ids \
                    or info.node is None or id(info.node) in done or not self.ctx.is_foreign(target.cls.node):
                continue
            done.add(id(info.node))
            for name, layer in walk_layers(InstanceV(target)):
                layer.name = name  # entries that share these layers name them again afterwards
            trace = Trace(first_only=True, input_info=info, locate=self.place_of)
            interp = Interp(self, trace)
            x = trace.add("input", None, [], TensorV(info.shape, info.dtype))
            if not self.safely(f"forward of {target.cls.name}", interp.run_forward, target, [x], {}, None):
                continue
            self._bring_home(trace, info.node, lambda target=target: self._without_input(target))
            self._foreign_traces.append(trace)

    def _bring_home(self, trace: Trace, home: Optional[cst.CSTNode], without_input: Callable[[], Trace]) -> None:
        """The PT006 remainders and PT005 problems a run of another file's code found for
        this file's input, reported at ``home`` (this file's call that fed it). A problem
        there whatever the input (``without_input()`` finds it too) is not this input's:
        it is left out. Without such a call (a dataset's shape, a comment) nothing moves:
        the problems stay at the other file's nodes, shown by ``ptlint shapes``, never
        reported by this file's rules."""
        from .calls import bring_drop_home, bring_error_home

        if home is None or self.ctx.is_foreign(home):
            return
        for d in trace.drops:
            if d.home is None and self.ctx.is_foreign(d.node):
                bring_drop_home(d, home)
        if any(self.ctx.is_foreign(e.node) for e in trace.problems):
            anyway = {e.node for e in without_input().problems}
            trace.problems = [e for e in trace.problems if not (self.ctx.is_foreign(e.node) and e.node in anyway)]
            for err in trace.problems:
                if self.ctx.is_foreign(err.node):
                    bring_error_home(err, home)

    def _without_input(self, target: Instance) -> Trace:
        """A forward of ``target`` with an input of unknown shape: where it fails whatever
        its input, those problems do not come from this file's tensor."""
        trace = Trace(locate=self.place_of)
        interp = Interp(self, trace)
        x = trace.add("input", None, [], TensorV(None))
        self.safely(f"forward of {target.cls.name}", interp.run_forward, target, [x], {}, None)
        return trace

    # ================================================================ results
    def _collect(self) -> None:
        errors: list[ShapeError] = list(self._construct.values())
        seen = {e.node for e in errors}
        runs = [m for m in self.models if m.trace is not None]
        runs.sort(key=lambda m: m.input is None)
        for m in runs:
            t = m.trace
            assert t is not None
            for fix in t.fix_candidates:
                uses = sum(1 for s in t.steps if s.layer is fix.layer)
                if uses != 1:
                    for err in t.problems:
                        if err.fix is fix:
                            err.fix = None
            for err in t.problems:
                if err.node not in seen:
                    seen.add(err.node)
                    errors.append(err)
            self._merge_values(t, exact_only=False, model=m.name)
            if m.input is not None and m.input.source == "call" and m.input.node is not None and _exact(m.output):
                # hovering the call that fed the model shows what the model returns
                self._node_values.setdefault(m.input.node, []).append(m.output)
        for t in self._foreign_traces:
            for err in t.problems:
                if err.node not in seen:  # two calls with the same wrong block: one number
                    seen.add(err.node)
                    errors.append(err)
        for t in self._script_traces:
            for err in t.problems:
                if err.node not in seen:
                    seen.add(err.node)
                    err.kind = "script"
                    errors.append(err)
            self._merge_values(t, exact_only=True)
        self.errors = errors
        drop_seen: set = set()
        for t in [m.trace for m in runs] + self._foreign_traces + self._script_traces:
            for d in t.drops:  # type: ignore[union-attr]
                # one per place: two blocks of another file run by one call here are one finding
                place = d.place()
                if place not in drop_seen and place not in seen:
                    drop_seen.add(place)
                    self.drops.append(d)

    def _merge_values(self, t: Trace, exact_only: bool, model: Optional[str] = None) -> None:
        for node, vals in t.node_values.items():
            keep = [v for v in vals if _exact(v)] if exact_only else vals
            if keep:
                self._node_values.setdefault(node, []).extend(keep)
                if model is not None:
                    self._node_model.setdefault(node, model)
        for s in t.steps:
            if s.node is not None and s.formula and s.node not in self._node_formulas:
                self._node_formulas[s.node] = s.formula
        for node in t.hint_nodes:
            if node not in self._hints:
                self._hints.append(node)

    # ================================================================ queries (hover, hints)
    def model(self, name: str) -> Optional[ModelEntry]:
        return next((m for m in self.models if m.name == name), None)

    def module_value(self, name: str) -> Value:
        """What the analysis knows about a module-level variable after the file ran."""
        return self._module_env.get(name, UNKNOWN)

    def shapes_of(self, node: cst.CSTNode) -> list[str]:
        """Distinct shapes the analysis computed for a node (a layer call, an expression, a
        name being assigned), best first: exact shapes before partial ones."""
        vals = self._node_values.get(node, [])
        texts: list[str] = []
        exact = [v for v in vals if _exact(v)]
        for v in exact or vals:
            t = _value_text(v)
            if t is not None and t not in texts:
                texts.append(t)
        return texts

    def dtypes_of(self, node: cst.CSTNode) -> list[Optional[str]]:
        """Distinct dtypes of the tensors the analysis computed for a node (None: unknown)."""
        out: list[Optional[str]] = []
        for v in self._node_values.get(node, []):
            if isinstance(v, TensorV) and v.dtype not in out:
                out.append(v.dtype)
        return out

    def shape_of(self, node: cst.CSTNode) -> Optional[str]:
        texts = self.shapes_of(node)
        if not texts:
            return None
        return " | ".join(texts[:3])

    def formula_of(self, node: cst.CSTNode) -> Optional[str]:
        return self._node_formulas.get(node)

    def _all_positions(self) -> list[tuple[Any, cst.CSTNode]]:
        if self._positions is None:
            out = []
            for node in self._node_values:
                try:
                    cell, rng = self.ctx.locate(node)
                except KeyError:
                    continue
                out.append(((cell, rng), node))
            self._positions = out
        return self._positions

    def hover_at(self, line: int, column: int, cell: Optional[int] = None) -> Optional[dict[str, Any]]:
        """The innermost expression with a known shape at a 1-based line / 0-based column."""
        best = None
        for (c, rng), node in self._all_positions():
            if c != cell:
                continue
            s, e = rng.start, rng.end
            if (s.line, s.column) <= (line, column) <= (e.line, e.column):
                size = (e.line - s.line, e.column - s.column if e.line == s.line else 10 ** 6)
                if best is None or size < best[0]:
                    best = (size, rng, node)
        if best is None:
            return None
        _, rng, node = best
        shape = self.shape_of(node)
        if shape is None:
            return None
        return {"range": rng.to_dict(), "shape": shape, "formula": self.formula_of(node),
                "code": short_code(self.ctx, node)}

    def shape_facts(self) -> list[dict[str, Any]]:
        """Every expression with a known shape, for hover and inlay hints at once:
        ``range``, ``cell``, ``dims`` (the best shape as a list of dims), ``shapes`` (every
        distinct one: a block used twice can see two), ``text``, ``formula``, ``code``,
        ``model`` and ``inlay`` (where an inlay hint goes — the end of a layer call or a
        Sequential entry — or None for hover only). Positions are computed here, once."""
        hint_nodes = set(self._hints)
        out = []
        for (cell, rng), node in self._all_positions():
            vals = self._node_values.get(node, [])
            exact = [v for v in vals if _exact(v)] or vals
            dims_list: list[list] = []
            for v in exact:
                t = first_tensor_shape(v)
                if t is not None and list(t.dims) not in dims_list:
                    dims_list.append(list(t.dims))
            text = self.shape_of(node)
            if text is None or not dims_list:
                continue
            out.append({"range": rng.to_dict(), "cell": cell, "dims": dims_list[0], "shapes": dims_list,
                        "text": text, "formula": self.formula_of(node), "code": short_code(self.ctx, node),
                        "model": self._node_model.get(node),
                        "inlay": rng.end.to_dict() if node in hint_nodes else None})
        out.sort(key=lambda x: (x["cell"] or 0, x["range"]["start"]["line"], x["range"]["start"]["column"]))
        return out

    def inlay_hints(self) -> list[dict[str, Any]]:
        """(range, shape) after each layer call in forward and after each Sequential entry."""
        out = []
        for node in self._hints:
            shape = self.shape_of(node)
            if shape is None:
                continue
            try:
                cell, rng = self.ctx.locate(node)
            except KeyError:
                continue
            out.append({"range": rng.to_dict(), "position": rng.end.to_dict(), "cell": cell, "shape": shape,
                        "label": f"→ {shape}"})
        out.sort(key=lambda h: (h["cell"] or 0, h["position"]["line"], h["position"]["column"]))
        return out


def _is_image_batch(shape: tuple, image: tuple) -> bool:
    """A flow shape ``(B, *image)``: any batch size, the dataset's sample size after it."""
    return len(shape) == len(image) + 1 and all(d.is_int and d.coef == size for d, size in zip(shape[1:], image))


def _defines_getitem(cls: cst.ClassDef) -> bool:
    body = cls.body.body if isinstance(cls.body, cst.IndentedBlock) else ()
    return any(isinstance(item, cst.FunctionDef) and item.name.value == "__getitem__" for item in body)


def _body(fn: cst.FunctionDef):
    from .walk import suite

    return suite(fn.body)


def _args_key(inst: Instance) -> Optional[tuple]:
    """The constructor arguments as plain values, or None when one is not a constant."""
    args = inst.args if inst.args is not None else ((), {})
    pos = tuple(py(v, _NO) for v in args[0])
    kw = tuple(sorted((k, py(v, _NO)) for k, v in args[1].items()))
    if any(x is _NO for x in pos) or any(x is _NO for _, x in kw):
        return None
    try:
        hash((pos, kw))
    except TypeError:
        return None
    return (pos, kw)


_NO = object()


def first_tensor_shape(v: Value) -> Optional[Shape]:
    """The shape of a tensor, or of a tuple result's first tensor (LSTM: the output)."""
    if isinstance(v, TensorV):
        return v.shape
    if isinstance(v, Seq) and v.items:
        return first_tensor_shape(v.items[0])
    return None


def _tensors_of(v: Value) -> list[Value]:
    if isinstance(v, TensorV):
        return [v]
    if isinstance(v, Seq):
        out: list[Value] = []
        for it in v.items:
            out.extend(_tensors_of(it))
        return out
    return []


def _exact(v: Value) -> bool:
    if isinstance(v, TensorV):
        return v.shape is not None and v.shape.exact
    if isinstance(v, Seq):
        return all(_exact(i) for i in v.items) and bool(v.items)
    return False


def _value_text(v: Value) -> Optional[str]:
    if isinstance(v, TensorV):
        return fmt_shape(v.shape) if v.shape is not None else None
    if isinstance(v, Seq):
        parts = [_value_text(i) for i in v.items]
        if any(p is None for p in parts):
            return None
        return "(" + ", ".join(parts) + ")"  # type: ignore[arg-type]
    return None


def _takes_images(trace: Trace) -> bool:
    """Does the first op on the input treat it as an image batch (conv, pool, flatten)?"""
    for s in trace.steps[1:]:
        if 0 in s.inputs:
            if s.op == "layer" and s.layer is not None:
                return s.layer.type_name in INPUT_OPS_FOR_DATASETS
            if s.op == "method":
                return s.fields.get("method") in ("view", "reshape", "flatten", "size")
            if s.op == "call":
                fn = s.fields.get("fn", "")
                return fn in ("torch.flatten", "torch.reshape") or fn.startswith("torch.nn.functional.max_pool2d") \
                    or fn.startswith("torch.nn.functional.avg_pool2d")
            return False
    return False


def short_code(ctx: "FileContext", node: cst.CSTNode) -> str:
    """The expression's source on one line as hover shows it, cut at 60 characters."""
    text = ctx.code_for(node).strip()
    return text if len(text) <= 60 else text[:57] + "…"
