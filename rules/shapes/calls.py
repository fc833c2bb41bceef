"""Calls, for the shape interpreter: layer and model calls, ``nn.Sequential`` /
``ModuleList`` construction, torch functions and tensor methods with their shape
functions, tensor creation, arithmetic and broadcasting, and the JSON encoding of call
arguments. A mixin of :class:`~.interp.Interp`."""
from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Optional

import libcst as cst

from ..dtypes import default_floating
from ..module_methods import MODULE_READS
from ..vision_datasets import MAKES_TENSOR, SIZE_KEEPING, dataset_shape, transform_name
from .layers import ArgSource, Layer, OpaqueLayer, build_layer, json_arg, layer_class_name
from .models import Instance, ModelClass
from .builtins import BUILTINS
from .symbolic import sym
from .state import DictV, Frame, FunctionV, LayerClassV, MethodV, ODictV, SuperV, TransformV, _num
from .tables import (
    LAYER_ARITY, LAYER_CALL_KWARGS, MATH_FUNCTIONS, MAX_DEPTH, MODEL_CHAIN, MUTATORS, SAME_SHAPE_INPLACE,
    SCRIPT_CALL_DEPTH, SUMMARIES,
)
from .trace import FLATTENING, SAME_SHAPE_LAYERS, int_literal_expr
from .tensor_calls import TensorCallsMixin, _needs_src
from .dims import Shape
from .values import (
    UNKNOWN, ClassRef, Const, ContainerV, DatasetV, InstanceV, LayerV, SelfRef, Seq, TensorV, Value, join, py,
)
from .walk import _head, suite

if TYPE_CHECKING:
    from .analysis import ShapeAnalysis
    from .trace import DropInfo, ShapeError, Trace


class CallsMixin(TensorCallsMixin):
    a: "ShapeAnalysis"
    ctx: Any
    trace: "Trace"
    depth: int
    stack: list
    unrolled: int
    script_depth: int
    scope_fn: Optional[cst.FunctionDef]
    symbolic: bool
    home_calls: list
    loops: int

    def _call(self, e: cst.Call, f: Frame) -> Value:
        if self.a.crossfile.project is None or self.ctx.is_foreign(e):
            return self._call_here(e, f)
        before = len(self.trace.problems), len(self.trace.drops)
        self.home_calls.append(e)
        try:
            return self._call_here(e, f)
        finally:
            self.home_calls.pop()
            self._bring_home(e, *before)

    def _bring_home(self, call: cst.Call, before: int, drops_before: int) -> None:
        """A mismatch found inside another project file's code that this file's ``call``
        ran (``super().forward(x)`` into models/base.py, ``self.layer1(x)`` into a block
        of models/blocks.py) is this call's: its input or its arguments come from here,
        and the other file's own analysis does not know them. The place in the other file
        stays as a related location; a fix would edit that file, so there is none. So is
        a PT006 remainder dropped there (the block's pool on this file's 13×13)."""
        for err in self.trace.problems[before:]:
            if self.ctx.is_foreign(err.node):
                bring_error_home(err, call)
            elif err.via is None and err.defined is not None and self.ctx.is_foreign(err.defined):
                # the number to change is here (``mb.Head(8 * 6 * 6, 10)``), the layer that
                # fails in the other file: this is the call that ran it
                err.via = call
                at = next((i for i, (n, _, _) in enumerate(err.related) if not self.ctx.is_foreign(n)),
                          len(err.related))
                err.related.insert(at, (call, "从这里运行另一个文件中的代码", "the other file's code runs from here"))
        for d in self.trace.drops[drops_before:]:
            if d.home is None and self.ctx.is_foreign(d.node):
                bring_drop_home(d, call)

    def _call_here(self, e: cst.Call, f: Frame) -> Value:
        func = e.func
        head = _head(func)
        if head is not None and head not in f.env:
            q = self.ctx.qualname(func)
            if q is not None:
                ref = self.a.crossfile.callee(func, q)  # a class or function of another project file
                return self.call_value(ref, e, f) if ref is not None else self.call_qualified(q, e, f)
            if isinstance(func, cst.Name) and head in BUILTINS and head not in self.a.index.functions:
                return BUILTINS[head](self, e, f)
            if head == "super" and isinstance(func, cst.Name):
                if f.inst is not None and f.owner is not None:
                    return SuperV(f.inst, f.owner)
                return UNKNOWN
        if isinstance(func, cst.Attribute):
            recv = self.eval(func.value, f)
            m = func.attr.value
            out = self.call_method(recv, m, e, f)
            if isinstance(recv, TensorV) and m.endswith("_") and m not in SAME_SHAPE_INPLACE:
                # x.t_(), x.unsqueeze_(0), x.resize_(…): the tensor itself changed shape
                self._forget_tensor(func.value, f)
            return out
        fv = self.eval(func, f)
        return self.call_value(fv, e, f)

    def _forget_tensor(self, target: cst.BaseExpression, f: Frame) -> None:
        if isinstance(target, cst.Name) and target.value in f.env:
            old = f.env[target.value]
            f.env[target.value] = TensorV(None, old.dtype if isinstance(old, TensorV) else None)
        elif isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name) and f.inst is not None \
                and isinstance(f.env.get(target.value.value), SelfRef) and target.attr.value in f.inst.attrs:
            f.inst.attrs[target.attr.value] = TensorV(None)

    def args_of(self, e: cst.Call, f: Frame) -> Optional[tuple[list[tuple[Value, cst.CSTNode]],
                                                               dict[str, tuple[Value, cst.CSTNode]]]]:
        args: list[tuple[Value, cst.CSTNode]] = []
        kwargs: dict[str, tuple[Value, cst.CSTNode]] = {}
        ok = True
        for a in e.args:
            v = self.eval(a.value, f)
            if a.star == "*":
                if isinstance(v, Seq):
                    args.extend((it, a.value) for it in v.items)
                elif isinstance(v, ContainerV):
                    args.extend((it, a.value) for _, it in v.entries)
                else:
                    ok = False
            elif a.star == "**":
                if isinstance(v, DictV) and all(isinstance(k, str) for k in v.items):
                    kwargs.update((k, (x, a.value)) for k, x in v.items.items())
                else:
                    ok = False
            elif a.keyword is not None:
                kwargs[a.keyword.value] = (v, a.value)
            else:
                args.append((v, a.value))
        return (args, kwargs) if ok else None

    def call_value(self, fv: Value, e: cst.Call, f: Frame) -> Value:
        if isinstance(fv, LayerClassV):  # norm_layer(planes) with norm_layer = nn.BatchNorm2d
            return self.make_layer(fv.short, fv.qualname, e, f)
        if isinstance(fv, LayerV):
            got = self.args_of(e, f)
            if got is None:
                return TensorV(None)
            args = [v for v, _ in got[0]]
            call_kw = {k: v for k, (v, _) in got[1].items()}
            accepted = LAYER_CALL_KWARGS.get(fv.layer.type_name, ())
            if call_kw and all(k in accepted for k in call_kw) and len(args) <= LAYER_ARITY.get(fv.layer.type_name, 1):
                return self.call_layer(fv.layer, args, e, f, call_kw)
            if got[1] or len(args) > LAYER_ARITY.get(fv.layer.type_name, 1):
                # e.g. ConvTranspose2d(x, output_size=…): an output we do not model
                enc = self._encode_call_args(args, {k: v for k, (v, _) in got[1].items()}, [n for _, n in got[0]],
                                             {k: n for k, (_, n) in got[1].items()})
                tensors = enc.pop("_tensors")
                return self.trace.add("layer", e, tensors, TensorV(None), layer=fv.layer, hint=True, **enc)
            return self.call_layer(fv.layer, args, e, f)
        if isinstance(fv, ContainerV):
            got = self.args_of(e, f)
            if got is None or fv.kind != "sequential":
                return UNKNOWN
            if f.mode == "script":
                self.a.model_called(fv, got[0], e)
                return UNKNOWN
            return self.run_sequential(fv, got[0][0][0] if got[0] else UNKNOWN, e, f)
        if isinstance(fv, InstanceV):
            got = self.args_of(e, f)
            if got is None:
                return UNKNOWN
            if f.mode == "script":
                self.a.model_called(fv.instance, got[0], e)
                return UNKNOWN
            return self.run_forward(fv.instance, [v for v, _ in got[0]], {k: v for k, (v, _) in got[1].items()}, e)
        if isinstance(fv, ClassRef):
            got = self.args_of(e, f)
            if got is None:
                return InstanceV(Instance(fv.model, node=e, complete=False))
            return self.instantiate(fv.model, [v for v, _ in got[0]], {k: v for k, (v, _) in got[1].items()}, e, f)
        if isinstance(fv, MethodV):
            got = self.args_of(e, f)
            if got is None:
                return UNKNOWN
            if fv.fn.name.value == "forward" and f.mode == "script":
                self.a.model_called(fv.inst, got[0], e)
                return UNKNOWN
            return self.inline(fv.fn, fv.owner, fv.inst, [v for v, _ in got[0]],
                               {k: v for k, (v, _) in got[1].items()}, "init" if f.mode == "init" else "forward")
        if isinstance(fv, FunctionV):
            got = self.args_of(e, f)
            # Script code is analysed function by function; it follows calls a few levels deep
            # (``net = vgg11(num_classes=10)`` → ``_vgg(cfg, **kwargs)`` → ``VGG(...)``), each
            # with the arguments of its own call site, so call trees stay small.
            if got is None or (f.mode == "script" and self.script_depth >= SCRIPT_CALL_DEPTH):
                return UNKNOWN
            if f.mode == "script":
                self.script_depth += 1
            try:
                return self.inline(fv.fn, None, None, [v for v, _ in got[0]],
                                   {k: v for k, (v, _) in got[1].items()}, f.mode)
            finally:
                if f.mode == "script":
                    self.script_depth -= 1
        self.args_of(e, f)  # arguments may still hold calls worth seeing (model(x) inside print)
        return UNKNOWN

    def call_method(self, recv: Value, m: str, e: cst.Call, f: Frame) -> Value:
        if isinstance(recv, TensorV):
            return self.tensor_method(recv, m, e, f)
        if isinstance(recv, SelfRef):
            if m in REGISTER_METHODS and m not in recv.instance.attrs and recv.instance.cls.find(m) is None:
                return self._register(recv.instance, e, f)
            return self.call_value(self.instance_attr(recv.instance, m), e, f)
        if isinstance(recv, SuperV):
            hit = recv.inst.cls.next_after(recv.owner, m)
            got = self.args_of(e, f)
            if hit is None and got is not None and m == "__init__" and recv.inst.seq is not None:
                return self._sequential_init(recv.inst, [v for v, _ in got[0]])
            if hit is None or got is None:
                return Const(None) if m == "__init__" else UNKNOWN
            return self.inline(hit[1], hit[0], recv.inst, [v for v, _ in got[0]], {k: v for k, (v, _) in got[1].items()},
                               "init" if m == "__init__" else ("forward" if f.mode != "init" else "init"))
        if isinstance(recv, (InstanceV, LayerV, ContainerV)):
            if m in MODEL_CHAIN:
                self.args_of(e, f)
                return recv
            if m in MODULE_READS and not (isinstance(recv, InstanceV) and recv.instance.cls.find(m) is not None):
                self.args_of(e, f)
                return UNKNOWN  # nn.Module's own method (a class of this file may define its own)
            if m == "forward":
                return self.call_value(recv, e, f)
            if isinstance(recv, ContainerV):
                got = self.args_of(e, f)
                if got is not None and m in ("append", "add_module", "extend"):
                    if m == "append" and len(got[0]) == 1:
                        recv.entries.append((str(len(recv.entries)), got[0][0][0]))
                        return Const(None)
                    if m == "add_module" and len(got[0]) == 2 and isinstance(py(got[0][0][0]), str):
                        recv.entries.append((py(got[0][0][0]), got[0][1][0]))
                        return Const(None)
                    if m == "extend" and len(got[0]) == 1 and isinstance(got[0][0][0], Seq):
                        for it in got[0][0][0].items:
                            recv.entries.append((str(len(recv.entries)), it))
                        return Const(None)
                self.a.mark_mutated(recv)
                recv.entries.append(("?", UNKNOWN))  # something we cannot follow: the container is unknown now
                return UNKNOWN
            if isinstance(recv, InstanceV):
                v = self.instance_attr(recv.instance, m)
                if isinstance(v, (MethodV, LayerV, ContainerV, InstanceV)):
                    return self.call_value(v, e, f)
            self.args_of(e, f)
            return UNKNOWN
        home = self._list_home(e.func.value, f) if m in MUTATORS and isinstance(e.func, cst.Attribute) else None
        if isinstance(recv, Seq) and m in ("append", "extend") and home is not None:
            got = self.args_of(e, f)
            if got is not None and len(got[0]) == 1:
                add = (got[0][0][0],) if m == "append" else (
                    got[0][0][0].items if isinstance(got[0][0][0], Seq) else None)
                if add is not None:
                    home[0][home[1]] = Seq(recv.items + tuple(add), recv.is_list)
                    return Const(None)
            home[0][home[1]] = UNKNOWN
            return UNKNOWN
        if isinstance(recv, ClassRef):
            self.args_of(e, f)
            return UNKNOWN
        if isinstance(recv, DictV) and m in ("get", "items", "keys", "values"):
            got = self.args_of(e, f)
            if got is None or got[1]:
                return UNKNOWN
            if m == "get" and got[0]:
                key = py(got[0][0][0], MISSING_KEY)
                if key is MISSING_KEY:
                    return UNKNOWN
                default = got[0][1][0] if len(got[0]) > 1 else Const(None)
                return recv.items.get(key, default) if _hashable(key) else UNKNOWN
            if m == "items":
                return Seq(tuple(Seq((Const(k), v)) for k, v in recv.items.items()), True)
            if m == "keys":
                return Seq(tuple(Const(k) for k in recv.items), True)
            return Seq(tuple(recv.items.values()), True)
        self.args_of(e, f)
        if home is not None:
            home[0][home[1]] = UNKNOWN
        return UNKNOWN

    def _list_home(self, holder: cst.BaseExpression, f: Frame) -> Optional[tuple[dict, str]]:
        """Where the list or dict a mutating method is called on lives: a local name, or an
        attribute of an instance this trace follows (``self.data.append(t)`` in
        ``put_data``). Values here are immutable, so the mutation is written back to its
        home; a list no name holds (``self.buf[0].append``) has no home to update."""
        if isinstance(holder, cst.Name):
            return (f.env, holder.value) if holder.value in f.env else None
        if isinstance(holder, cst.Attribute) and isinstance(holder.value, cst.Name):
            owner = f.env.get(holder.value.value)
            if isinstance(owner, (SelfRef, InstanceV)):
                return owner.instance.attrs, holder.attr.value
        return None

    def scope(self) -> Optional[cst.FunctionDef]:
        """The function whose body is being run (None: module-level code): datasets and
        models only meet when they are made in the same one."""
        return self.stack[0] if self.stack else self.scope_fn

    def _sequential_init(self, inst: Instance, values: list[Value]) -> Value:
        """``super().__init__(conv, bn, act)`` in an nn.Sequential subclass (or one OrderedDict)."""
        seq = inst.seq
        assert seq is not None
        if len(values) == 1 and isinstance(values[0], ODictV):
            pairs = list(values[0].pairs)
        else:
            pairs = [(str(i), v) for i, v in enumerate(values)]
        for key, v in pairs:
            if not isinstance(v, (LayerV, ContainerV, InstanceV)):
                inst.complete = False  # something we cannot follow is in the pipeline
                return Const(None)
            seq.entries.append((key, v))
        return Const(None)

    def _register(self, inst: Instance, e: cst.Call, f: Frame) -> Value:
        """``self.add_module(name, m)``, ``self.register_buffer(name, t)``: an attribute by name."""
        got = self.args_of(e, f)
        if got is None or len(got[0]) < 2 or not isinstance(py(got[0][0][0]), str):
            inst.complete = False
            return Const(None)
        name, v = py(got[0][0][0]), got[0][1][0]
        if f.mode == "init":
            self.set_instance_attr(inst, name, v)
        return Const(None)

    def set_instance_attr(self, inst: Instance, name: str, v: Value) -> None:
        inst.attrs[name] = v
        if inst.seq is not None and isinstance(v, (LayerV, ContainerV, InstanceV)):
            # nn.Module.__setattr__ registers the module: a Sequential subclass runs it too
            inst.seq.entries = [(k, x) for k, x in inst.seq.entries if k != name] + [(name, v)]

    # ---------------------------------------------------------------- models
    def instantiate(self, mc: ModelClass, args: list[Value], kwargs: dict[str, Value], node: Optional[cst.Call],
                    f: Optional[Frame] = None) -> InstanceV:
        inst = Instance(mc, node=node, args=(list(args), dict(kwargs)))
        if mc.is_sequential:
            inst.seq = ContainerV("sequential", [], node)
        self.a.note_instantiation(mc, args, kwargs, node, f.mode if f is not None else "init")
        if self.depth >= MAX_DEPTH:
            inst.complete = False
            return InstanceV(inst)
        hit = mc.find("__init__")
        if hit is not None:
            # a construction in a loop builds several blocks from the one call: no sources
            construct = f is None or self.loops == f.loops
            if f is not None and f.mode == "script" and not mc.is_sequential and self.ctx.is_foreign(mc.node):
                inst.defer(lambda: self.a.safely(f"{mc.name}.__init__", self._construct_later, hit, inst, args,
                                                 kwargs, construct))
            else:
                self.inline(hit[1], hit[0], inst, args, kwargs, "init", construct=construct)
        if f is not None and f.mode == "script":
            self.a.remember_instance(inst, self.scope())
        return InstanceV(inst)

    def _construct_later(self, hit, inst: Instance, args: list[Value], kwargs: dict[str, Value],
                         construct: bool) -> None:
        """A deferred construction (Instance.defer), run when first needed, from wherever
        that is, as a call of its own (the loop context of its call was taken then). One that
        runs out of budget or fails leaves the instance incomplete (silence for whatever
        reads it); inside a unit of work it ends that unit, as it would have ended the one that
        built it, and outside one (a model's layers listed for a report) it is a unit itself."""
        depth, stack = self.depth, self.stack
        self.depth, self.stack = 0, []
        try:
            self.inline(hit[1], hit[0], inst, args, kwargs, "init", construct=construct)
        except Exception:
            inst.complete = False
            raise
        finally:
            self.depth, self.stack = depth, stack

    def inline(self, fn: cst.FunctionDef, owner: Optional[ModelClass], inst: Optional[Instance],
               args: list[Value], kwargs: dict[str, Value], mode: str, construct: bool = False) -> Value:
        """Run ``fn``; ``construct``: it is the ``__init__`` of ``inst``'s construction."""
        if self.depth >= MAX_DEPTH or any(x is fn for x in self.stack):
            return UNKNOWN
        env = self.bind_params(fn, inst, args, kwargs)
        frame = Frame(env, mode, inst, owner, loops=self.loops)
        if construct and inst is not None:
            frame.sources = param_sources(fn, env, len(args), kwargs, inst.node)
        self.depth += 1
        self.stack.append(fn)
        try:
            ended = self.exec_block(suite(fn.body), frame)
        finally:
            self.depth -= 1
            self.stack.pop()
        returns = list(frame.returns)
        if not ended:
            returns.append(Const(None))
        out = returns[0] if returns else Const(None)
        for r in returns[1:]:
            out = join(out, r)
        return out

    def bind_params(self, fn: cst.FunctionDef, inst: Optional[Instance], args: list[Value],
                    kwargs: dict[str, Value]) -> dict[str, Value]:
        p = fn.params
        positional = list(p.posonly_params) + list(p.params)
        env: dict[str, Value] = {}
        given = list(args)
        if inst is not None and positional:
            env[positional[0].name.value] = SelfRef(inst)
            positional = positional[1:]
        for i, param in enumerate(positional):
            name = param.name.value
            if i < len(given):
                env[name] = given[i]
            elif name in kwargs:
                env[name] = kwargs[name]
            elif param.default is not None:
                env[name] = self.eval(param.default, Frame({}, "script"))
            else:
                # a model analysed on its own: its sizes are symbols (SE(c, r) → c // r)
                env[name] = sym(name) if self.symbolic and inst is not None else UNKNOWN
        if isinstance(p.star_arg, cst.Param):
            extra = given[len(positional):]
            env[p.star_arg.name.value] = Seq(tuple(extra))
        for param in p.kwonly_params:
            name = param.name.value
            env[name] = kwargs.get(name, self.eval(param.default, Frame({}, "script"))
                                   if param.default is not None else UNKNOWN)
        if isinstance(p.star_kwarg, cst.Param):
            named = {q.name.value for q in list(p.posonly_params) + list(p.params) + list(p.kwonly_params)}
            env[p.star_kwarg.name.value] = DictV({k: v for k, v in kwargs.items() if k not in named})
        return env

    def run_forward(self, inst: Instance, args: list[Value], kwargs: dict[str, Value],
                    node: Optional[cst.CSTNode]) -> Value:
        hit = inst.cls.find("forward")
        if hit is None and inst.seq is not None and inst.complete and len(args) == 1 and not kwargs:
            return self.run_sequential(inst.seq, args[0], node, Frame({}, "forward"))
        if hit is None or not inst.complete:
            return TensorV(None)
        out = self.inline(hit[1], hit[0], inst, args, kwargs, "forward")
        if node is not None:
            self.trace.note(node, out)
            if isinstance(out, (TensorV, Seq)):
                self.trace.hint_nodes.append(node)
        return out

    def run_sequential(self, seq: ContainerV, x: Value, node: Optional[cst.CSTNode], f: Frame) -> Value:
        for key, v in seq.entries:
            if isinstance(v, LayerV):
                x = self.call_layer(v.layer, [x], v.layer.node, f)
            elif isinstance(v, ContainerV) and v.kind == "sequential":
                x = self.run_sequential(v, x, None, f)
            elif isinstance(v, InstanceV):
                drops_before = len(self.trace.drops)
                x = self.run_forward(v.instance, [x], {}, v.instance.node)
                home = v.instance.node
                if not self.home_calls and home is not None and self.a.crossfile.project is not None \
                        and not self.ctx.is_foreign(home):
                    # a block of another file in this file's top-level Sequential (nothing
                    # here calls it by name): its remainders are the entry's, as a layer's are
                    for d in self.trace.drops[drops_before:]:
                        if d.home is None and self.ctx.is_foreign(d.node):
                            bring_drop_home(d, home)
            else:
                x = self.trace.add("unknown", None, [x], TensorV(None))
        if node is not None:
            self.trace.note(node, x)
            self.trace.hint_nodes.append(node)
        return x

    def call_layer(self, layer: Layer, inputs: list[Value], node: Optional[cst.CSTNode], f: Frame,
                   call_kw: Optional[dict[str, Value]] = None) -> Value:
        if not inputs:
            return TensorV(None)
        out = layer.apply_call(inputs, call_kw) if call_kw else layer.apply(inputs)
        kind = layer.type_name
        extra: dict[str, Any] = {}
        tensors: list[Value] = [inputs[0]]
        if len(inputs) > 1:
            extra = self._encode_call_args(inputs, {}, [None] * len(inputs))
            tensors = extra.pop("_tensors")
            if not extra.get("inputs_in_args"):
                extra = {}
        res = self.trace.add("layer", node, tensors, out.out, layer=layer, formula=out.formula, same_shape=kind in SAME_SHAPE_LAYERS,
                             flattening=kind in FLATTENING, hint=True, **extra)
        step = res.step if isinstance(res, TensorV) else getattr(res, "step", None)
        if out.problem is not None and node is not None:
            self.trace.problem(node, out.problem, inputs, layer=layer, step=step)
        if out.dropped and node is not None:
            self.trace.drop(node, layer, layer.label, "conv" if kind.startswith("Conv") else "pool", out.dropped,
                            inputs[0])
        return res

    # ---------------------------------------------------------------- qualified calls
    def call_qualified(self, q: str, e: cst.Call, f: Frame) -> Value:
        short = layer_class_name(q)
        if short is not None:
            return self.make_layer(short, q, e, f)
        if q in ("torch.nn.Sequential", "torch.nn.modules.container.Sequential"):
            return self.make_sequential(e, f)
        if q in PARAMETER_CLASSES:
            got = self.args_of(e, f)
            data = (got[0][0][0] if got[0] else got[1].get("data", (UNKNOWN, None))[0]) if got is not None else UNKNOWN
            if isinstance(data, TensorV):
                return data.but(step=None, ref=None, literal=False, note=None)
            return TensorV(None)
        if q in ("torch.nn.ModuleList", "torch.nn.modules.container.ModuleList"):
            got = self.args_of(e, f)
            if got is None:
                return UNKNOWN
            entries: list[tuple[str, Value]] = []
            if got[0]:
                seq = got[0][0][0]
                if not isinstance(seq, Seq):
                    return UNKNOWN
                entries = [(str(i), v) for i, v in enumerate(seq.items)]
            return ContainerV("list", entries, e)
        if q in ("collections.OrderedDict",):
            got = self.args_of(e, f)
            if got is None or len(got[0]) != 1 or not isinstance(got[0][0][0], Seq):
                return UNKNOWN
            pairs = []
            for it in got[0][0][0].items:
                if not (isinstance(it, Seq) and len(it.items) == 2 and isinstance(py(it.items[0]), str)):
                    return UNKNOWN
                pairs.append((py(it.items[0]), it.items[1]))
            return ODictV(pairs)
        if q.startswith("torch.nn.") and q.rsplit(".", 1)[-1][:1].isupper() and "functional" not in q:
            got = self.args_of(e, f)
            if got is None:
                return UNKNOWN
            return LayerV(self._opaque(q, e, got))
        if q in SUMMARIES:
            got = self.args_of(e, f)
            if got is not None and f.mode == "script":
                self.a.summary_called(q, got, e)
            return UNKNOWN
        ds = dataset_shape(q)
        if ds is not None:
            got = self.args_of(e, f)
            if got is None:
                return UNKNOWN
            keeps_size = self.a.dataset_seen(ds, got, e, self.scope()) if f.mode == "script" else False
            return DatasetV(Shape(ds[1]) if keeps_size else None, e, f"datasets.{ds[0]}",
                            default_floating(self.a.default_float))
        tname = transform_name(q)
        if tname is not None:
            got = self.args_of(e, f)
            if tname in ("Compose", "RandomApply", "RandomChoice", "RandomOrder"):
                items = got[0][0][0] if got and got[0] else None
                if isinstance(items, Seq) and all(isinstance(i, TransformV) for i in items.items):
                    return TransformV(all(i.keeps_size for i in items.items),  # type: ignore[union-attr]
                                      any(i.makes_tensor for i in items.items))  # type: ignore[union-attr]
                return TransformV(False, False)
            if tname == "RandomCrop":
                return TransformV(False, False)  # keeps the size only when it equals the image size
            return TransformV(tname in SIZE_KEEPING, tname in MAKES_TENSOR)
        if q.startswith("math.") and q.count(".") == 1:
            return self._math(q[5:], e, f)
        short_fn = _torch_short(q)
        if short_fn is not None:
            return self.call_torch(q, short_fn, e, f)
        self.args_of(e, f)
        return UNKNOWN

    def _math(self, name: str, e: cst.Call, f: Frame) -> Value:
        got = self.args_of(e, f)
        fn = getattr(math, name, None) if name in MATH_FUNCTIONS else None
        if got is None or got[1] or fn is None:
            return UNKNOWN
        nums = [_num(v) for v, _ in got[0]]
        if None in nums:
            return UNKNOWN
        try:
            return Const(fn(*nums))
        except (ValueError, OverflowError, TypeError):
            return UNKNOWN

    def _opaque(self, q: str, e: cst.Call, got) -> Layer:
        args_json = [json_arg(v, self.ctx.code_for(n)) if _needs_src(v) else json_arg(v, "") for v, n in got[0]]
        kwargs_json = {k: json_arg(v, self.ctx.code_for(n)) if _needs_src(v) else json_arg(v, "")
                       for k, (v, n) in got[1].items()}
        lit = all(not (isinstance(a, dict) and "unknown" in a) for a in [*args_json, *kwargs_json.values()])
        return OpaqueLayer(q.rsplit(".", 1)[-1], q, e, {}, args_json, kwargs_json, lit)

    def make_layer(self, short: str, q: str, e: cst.Call, f: Frame) -> Value:
        got = self.args_of(e, f)
        if got is None:
            return LayerV(OpaqueLayer(short, f"torch.nn.{short}", e, {}, [{"unknown": "*"}], {}, False))
        args_json = [json_arg(v, self.ctx.code_for(n) if _needs_src(v) else "") for v, n in got[0]]
        kwargs_json = {k: json_arg(v, self.ctx.code_for(n) if _needs_src(v) else "") for k, (v, n) in got[1].items()}
        layer = build_layer(short, f"torch.nn.{short}", e, [v for v, _ in got[0]],
                            {k: v for k, (v, _) in got[1].items()}, args_json, kwargs_json)
        if layer is None:
            return LayerV(OpaqueLayer(short, f"torch.nn.{short}", e, {}, args_json, kwargs_json, False))
        if f.sources and self.loops == f.loops:
            # built once, right in a block's __init__ (not in a loop): a parameter passed on
            # unchanged has its number where the block is built
            layer.sources = _layer_sources(e, layer, f)
        problem = layer.construct_problem()
        if problem is not None:
            # a layer of another file built with this file's arguments: the error is this call's
            home = self.home_calls[-1] if self.home_calls and self.ctx.is_foreign(e) else None
            self.a.construct_problem(e, problem, layer, home)
        return LayerV(layer)

    def make_sequential(self, e: cst.Call, f: Frame) -> Value:
        got = self.args_of(e, f)
        if got is None:
            return UNKNOWN
        values = [v for v, _ in got[0]]
        if len(values) == 1 and isinstance(values[0], ODictV):
            entries = list(values[0].pairs)
        else:
            entries = [(str(i), v) for i, v in enumerate(values)]
        for _, v in entries:
            if not isinstance(v, (LayerV, ContainerV, InstanceV)):
                return UNKNOWN
        return ContainerV("sequential", entries, e)


def bring_error_home(err: "ShapeError", home: cst.CSTNode) -> None:
    """Report a mismatch found in another project file's code at ``home``, this file's
    call that ran it; the place there stays as a related location, and a fix would edit
    that file, so there is none."""
    err.related = [r for r in err.related if r[0] is not home]  # the finding is there now
    err.related.insert(0, (err.node, "实际出错的位置（在另一个文件中）", "where it fails, in the other file"))
    err.node = home
    err.fix = None


def bring_drop_home(d: "DropInfo", home: cst.CSTNode) -> None:
    """Report a remainder dropped by another project file's layer at ``home``, this
    file's call that fed it; the layer call there stays as a related location."""
    d.home = home
    d.related.insert(0, (d.node, "输入的最后几行在这里被丢掉（在另一个文件中）",
                         "where the input's last rows are dropped, in the other file"))


def param_sources(fn: cst.FunctionDef, env: dict[str, Value], n_args: int, kwargs: dict[str, Value],
                  node: Optional[cst.CSTNode]) -> dict[str, tuple[Value, ArgSource]]:
    """The parameters of a block's ``__init__`` whose value is an int literal (or arithmetic
    on literals, ``16 * 5 * 5``) written at the construction call ``node`` (by position or keyword) or as the default, with the
    value ``bind_params`` bound them to (a later assignment makes another value)."""
    p = fn.params
    positional = (list(p.posonly_params) + list(p.params))[1:]  # self
    call_pos: Optional[list[cst.BaseExpression]] = None
    call_kw: dict[str, cst.BaseExpression] = {}
    if isinstance(node, cst.Call) and not any(a.star for a in node.args):
        call_pos = [a.value for a in node.args if a.keyword is None]
        call_kw = {a.keyword.value: a.value for a in node.args if a.keyword is not None}
        if len(call_pos) != n_args:
            call_pos = None
    out: dict[str, tuple[Value, ArgSource]] = {}
    for i, param in enumerate(positional + list(p.kwonly_params)):
        name = param.name.value
        if i < len(positional) and i < n_args:
            lit, default = (call_pos[i] if call_pos is not None else None), False
        elif name in kwargs:
            lit, default = (call_kw.get(name) if call_pos is not None else None), False
        else:
            lit, default = param.default, True
        if lit is not None and int_literal_expr(lit) and name in env:
            out[name] = (env[name], ArgSource(lit, name, fn, default))
    return out


def _layer_sources(e: cst.Call, layer: Layer, f: Frame) -> dict[str, ArgSource]:
    """The layer's arguments that are a bare parameter of the block, still holding the
    value its construction gave it."""
    names = [n for n, _ in layer.signature_for(layer.type_name, layer.opts)]
    out: dict[str, ArgSource] = {}
    pos = 0
    for a in e.args:
        if a.star:
            break  # positions after *args are unknowable
        if a.keyword is None:
            name = names[pos] if pos < len(names) else None
            pos += 1
        else:
            name = a.keyword.value
        v = a.value
        if name is None or not isinstance(v, cst.Name):
            continue
        hit = f.sources.get(v.value)
        if hit is not None and f.env.get(v.value) is hit[0]:
            out[name] = hit[1]
    return out


PARAMETER_CLASSES = ("torch.nn.Parameter", "torch.nn.parameter.Parameter")
REGISTER_METHODS = ("add_module", "register_module", "register_buffer", "register_parameter")
MISSING_KEY = object()


def _hashable(x: Any) -> bool:
    try:
        hash(x)
    except TypeError:
        return False
    return True


def _torch_short(q: str) -> Optional[str]:
    """``torch.nn.functional.relu`` → ``relu``; ``torch.relu`` → ``relu``; else None."""
    for prefix in ("torch.nn.functional.", "torch.special.", "torch.Tensor.", "torch."):
        if q.startswith(prefix):
            rest = q[len(prefix):]
            return rest if "." not in rest else None
    return None
