"""Calls: what the callee evaluated to decides — a function or method of this file (its
summary, with its events inlined at the call site), a class (a module instance), a known
layer/loss/optimizer object, a builtin, a method of a tensor/array/module/list/``self``,
or a torch/numpy function by qualified name (``torch_functions.py``).

Contract: ``ev_call`` returns the call's ``Value``. An unknown callee gives a fresh value
and may mutate the objects it gets: their attribute facts are forgotten, an optimizer
handed to it may have its gradients cleared (a ``zero_grad`` event). A mixin of
``interp.Interpreter``."""
from __future__ import annotations

from typing import Any, Callable, Optional

import libcst as cst

from ..dtypes import is_floating, is_integral
from ..module_methods import MODULE_READS
from ..size_product import Product
from .args import Args, key_of
from .creation import dtype_arg
from .call_sites import run_site_pass, summary_pending
from .crossfile import project_member_function, project_relative_member
from .events import CLEAR_ALL, CLEAR_OPTIMIZER, ZERO_GRAD, Event, Inline, only_kinds, remap
from .layers import LayerCall, layer_output
from .state import ClassInfo, FunctionInfo, State
from .transfer import (
    CLEARING_ALIASES, METADATA_METHODS, NDARRAY_COPIES, NDARRAY_INPLACE, NDARRAY_REDUCTIONS, NDARRAY_VIEWS,
    NOT_DATA_WRITES, PURE_BUILTINS, looks_like_optimizer,
)
from .values import Kind, Value, const_value

# Methods whose call may be a training-loop event (see ``loop_events``), as are in-place ``x_``
_LOOP_EVENT_METHODS = frozenset({"backward", "manual_backward", "zero_grad", "step", *CLEARING_ALIASES})
_PARAMETER_METHODS = frozenset({"parameters", "named_parameters"})
_MAY_OWN_PARAMETERS = frozenset({Kind.TENSOR, Kind.UNKNOWN, Kind.MODULE, Kind.OBJECT})
# An unseen method whose name says so may clear gradients (``self.reset_grads()``)
_CLEARING_WORDS = ("zero", "grad", "reset", "clear")
# Methods of an unseen base class that leave the object's attributes as they are
_KEEP_ATTRIBUTES = frozenset({"log", "print", "register_buffer", "parameters", "named_parameters", "modules",
                              "children", "state_dict", "train", "eval", "to", "cuda", "cpu", "zero_grad",
                              "manual_backward", "optimizers"})
# nn.Module methods that return the module itself
_MODULE_RETURNS_SELF = frozenset({"to", "cuda", "cpu", "train", "eval", "float", "double", "half", "bfloat16",
                                  "requires_grad_", "apply", "share_memory"})
_LIST_MUTATORS = frozenset({"append", "extend", "insert", "pop", "clear", "remove", "sort"})
# Methods that take an optimizer without clearing its gradients (GradScaler, accelerate)
# ndarray methods whose result is an index array (``a.nonzero()`` is a tuple of them)
_NDARRAY_INDEX_RESULTS = frozenset({"argmax", "argmin", "argsort"})
# nn.Module methods that leave what the module computes as it was (``to`` only with devices):
# its queries, and the ones that move it, switch its mode or set its weights
_KEEPS_MODULE = MODULE_READS | {"load_state_dict", "eval", "train", "cuda", "cpu", "apply", "requires_grad_",
                                "forward", "__repr__", "share_memory"}
# torch.nn modules that return several tensors (``out, (h, c) = lstm(x)``)
_TUPLE_OUTPUTS = ("LSTM", "GRU", "RNN", "MultiheadAttention", "Transformer")
_STEPPING = frozenset({"step", "scale", "unscale_", "update", "backward", "clip_grad_norm_", "clip_grad_value_"})


_CLEARS = frozenset({ZERO_GRAD})


class CallsMixin:
    """Call transfer functions; mixed into ``Interpreter``."""

    def ev_call(self, node: cst.Call, st: State, read: bool = True) -> Value:
        func = node.func
        if isinstance(func, cst.Attribute):
            q = self.qual(func, st)
            if q is None:
                name = func.attr.value
                key = key_of(func)
                if key is not None and key in st.env:
                    fv = self.record(func, st.env[key])
                    args = Args(node.args, [self.ev(a.value, st) for a in node.args])
                    return self.call_value(node, func, fv, args, st)
                recv_read = name not in METADATA_METHODS and not (name.endswith("_") and name not in NOT_DATA_WRITES)
                recv = self.ev(func.value, st, read=recv_read)
                if recv.kind is Kind.OBJECT and recv.func is not None and recv.func in self.fa.classes:
                    fv = self.object_attr(recv, self.fa.classes[recv.func], name)
                    if fv is not None and fv.kind is not Kind.FUNCTION:
                        self.record(func, fv)
                        args = Args(node.args, [self.ev(a.value, st) for a in node.args])
                        return self.call_value(node, func, fv, args, st)
                vals = [self.ev(a.value, st) for a in node.args]
                args = Args(node.args, vals)
                if recv.kind is Kind.UNKNOWN and (helper := project_relative_member(self, func)) is not None:
                    # ``from . import collate; collate.to_channels_first(x)`` (flow/crossfile.py)
                    return self.call_value(node, func, self.record(func, helper), args, st)
                return self.call_method(node, func.value, recv, name, args, st)
            vals = [self.ev(a.value, st) for a in node.args]
            if (helper := project_member_function(self, func)) is not None:  # dc.pad_batch (flow/crossfile.py)
                return self.call_value(node, func, self.record(func, helper), Args(node.args, vals), st)
            return self.call_function(node, q, Args(node.args, vals), st)
        if isinstance(func, cst.Name):
            fv = self.record(func, self.lookup(func.value, func, st))
        else:
            fv = self.ev(func, st, read=False)
        args = Args(node.args, [self.ev(a.value, st) for a in node.args])
        return self.call_value(node, func, fv, args, st)

    def call_value(self, node: cst.Call, func: cst.BaseExpression, fv: Value, args: Args, st: State) -> Value:
        """Call whatever ``func`` evaluated to."""
        if fv.kind is Kind.FUNCTION and fv.func is not None:
            info = self.fa.functions.get(fv.func)
            if info is not None:
                return self.call_local(node, info, args, st, None)
        if fv.kind is Kind.CLASS and fv.func is not None:
            cinfo = self.fa.classes.get(fv.func)
            if cinfo is not None and cinfo.is_module:
                init = self.class_method(cinfo, "__init__")
                if init is not None:
                    # its own attributes come from an ``__init__`` pass with these arguments, run
                    # when a call of the instance needs them (most models only ever see batches
                    # the flow cannot know: no pass at all)
                    self.fa.instance_inits[node] = (cinfo, init, self.site_arguments(init, args, bound=True))
                made = Value(Kind.MODULE, spec=cinfo.node.name.value, func=cinfo.node, origin=node)
                declared = self.fa.declared_inputs.of_class(cinfo.node)
                if declared is not None and not self.site_chain:
                    self.fa.declared_inputs.note(node, made, declared)
                return made
            return self.fresh(node)
        if fv.kind is Kind.CLASS and fv.spec is not None:
            return self.call_function(node, fv.spec, args, st)
        if fv.kind is Kind.UNKNOWN and fv.provenance:
            return self.call_function(node, fv.provenance, args, st)
        if fv.kind is Kind.LOSS:
            return Value(Kind.TENSOR, shape=(), dtype=None, storage=("n", id(node)), origin=node, provenance="loss")
        if fv.kind is Kind.MODULE:
            return self.module_call(node, fv, args)
        if isinstance(func, cst.Name) and func.value in PURE_BUILTINS:
            return self.call_builtin(node, func.value, args, st)
        self.unknown_call_effects(node, args, st)
        return self.fresh(node)

    @staticmethod
    def site_arguments(info: FunctionInfo, args: Args, bound: bool = False) -> dict:
        """Parameter name -> the value this call passes (positional and keyword; none
        for ``*args``: which parameter gets what is then unknown). ``bound``: a method
        called on an instance, whose first parameter is the instance."""
        if args.star:
            return {}
        params = info.params[1:] if bound else info.params
        out = {p: v for p, (_, v) in zip(params, args.pos)}
        out.update({name: v for name, (_, v) in args.kw.items() if name in info.params})
        return out

    def module_call(self, node: cst.Call, fv: Value, args: Args) -> Value:
        """``layer(x)``, ``model(x)``, ``nn.Sequential(...)(x)``: the output a ``torch.nn``
        layer gives (``layers.py``), a pipeline's layers one after the other, a model class
        of the file per instance (``instance_call``); else unknown (a tensor for torch.nn)."""
        spec = fv.spec or ""
        x = args.get(0, "input")
        if x is not None and fv.origin is not None:
            self.fa.note_module_input(fv.origin, x)
        if spec.startswith("torch.nn."):
            single = x is not None and len(args.pos) == 1 and not args.kw and not args.star
            out = self.layer_step(node, fv, x) if single else None
            return out if out is not None else self.fresh(node, Kind.TENSOR)
        self.forward_clears(node, fv)
        out = self.instance_output(node, fv, lambda forward: self.site_arguments(forward, args, bound=True))
        return out if out is not None else self.fresh(node)

    def forward_clears(self, node: cst.Call, fv: Value) -> None:
        """``model(x)`` of a model class of this file whose ``forward`` clears gradients
        (``self.zero_grad()`` before the loss, as some seq2seq code does): the clears happen
        in the caller's iteration, on the caller's module (``model``, whose ``model.enc`` an
        optimizer may hold). Only the clears: the rest of ``forward`` is the call-site pass's."""
        cinfo = self.fa.classes.get(fv.func) if fv.func is not None else None
        forward = self.class_method(cinfo, "forward") if cinfo is not None and cinfo.is_module else None
        if forward is None or not forward.params or forward.running or summary_pending(self, forward):
            return
        if not forward.evaluated:
            self.eval_function(forward)
        clears = only_kinds(forward.block, _CLEARS) if forward.block else []
        if clears:
            self.emit(Inline(node, forward.node, remap(clears, {forward.params[0]: key_of(node.func)}, node)))

    def module_input_pass(self, node: cst.Call, model: Optional[Value], x: Value) -> None:
        """Run ``model`` on the one input ``x`` at ``node``, as ``model(x)`` would (a library
        call that runs the model itself, ``model_summaries.py``): what its layers raise or drop
        is recorded; the output is no value of the file."""
        if model is None or model.kind is not Kind.MODULE:
            return
        if (model.spec or "").startswith("torch.nn."):
            self.layer_step(node, model, x)
        else:
            self.instance_output(node, model, lambda forward: {forward.params[1]: x} if len(forward.params) > 1 else {})

    def instance_output(self, node: cst.Call, fv: Value, bind: Callable[[FunctionInfo], dict]) -> Optional[Value]:
        """``model(x)`` of a model class of this file: the tensor its ``forward`` returns for
        this call (``instance_call``), None when the flow cannot say. ``bind`` gives
        ``forward``'s parameter values (``self`` aside) for the call."""
        cinfo = self.fa.classes.get(fv.func) if fv.func is not None else None
        forward = self.class_method(cinfo, "forward") if cinfo is not None and cinfo.is_module else None
        if forward is None or not isinstance(fv.origin, cst.Call):
            return None
        params = bind(forward)
        if not any(v.kind is not Kind.UNKNOWN for v in params.values()):
            return None
        out = self.instance_call(node, cinfo, forward, params, fv.origin)
        if out is None or out.kind is not Kind.TENSOR:
            return None
        # made by this call (rules ask which model an output comes from), as forward made it
        return out.evolve(storage=("n", id(node)), bridge=None, origin=node, anchor=id(node))

    def layer_step(self, node: cst.Call, layer: Value, x: Optional[Value]) -> Optional[Value]:
        """One module applied to one input at ``node`` (a pipeline applies several there):
        the output, or None when the flow cannot say."""
        if x is None or x.kind is not Kind.TENSOR or layer.origin in self.fa.changed_modules:
            return None
        spec = layer.spec or ""
        if spec == "torch.nn.Sequential":
            if layer.items is None:
                return None
            for part in layer.items:
                x = self.layer_step(node, part, x)
                if x is None:
                    return None
            return x
        if spec.startswith("torch.nn."):
            if any(s in spec for s in _TUPLE_OUTPUTS):
                return None
            out = layer_output(node, layer, x)
            if out is None:
                return None
            if out.problem is not None or out.dropped:
                self.fa.note_layer_call(LayerCall(node, layer.origin, self.site_chain, x.shape, out,
                                                  self.declared_comment))
            if out.shape is None:
                return None
            return Value(Kind.TENSOR, shape=out.shape, dtype=out.dtype, storage=("n", id(node)), device=x.device,
                         origin=node)
        if layer.kind is Kind.MODULE and layer.func is not None:  # a block of this file inside the pipeline
            return self.instance_output(node, layer, lambda forward: dict(zip(forward.params[1:2], [x])))
        return None

    def instance_call(self, node: cst.Call, cinfo: ClassInfo, method: FunctionInfo, params: dict,
                      made: cst.Call) -> Optional[Value]:
        """A model class of this file, per instance: ``Net(3, 10)`` runs ``__init__`` with
        those arguments (when a call of the instance is first interpreted) and keeps what it
        assigns to ``self`` as that instance's attributes,
        ``model(x)`` runs ``forward`` with ``x`` bound and ``self`` the instance ``made``
        (the constructor call) built; both are call-site passes (call_sites.py), and what
        the pass returns is the call's value (a block's output is the next block's input,
        the script's ``out = model(x)`` has the model's output shape). ``forward`` runs
        once the instance's attributes are known: its ``__init__`` pass ran, or the class's
        summaries are made; a call met before either (an instance the flow did not see
        built) waits for the end of the file, where its value stays unknown."""
        if method.params:
            params = {**params, method.params[0]: Value(Kind.OBJECT, func=cinfo.node, origin=made)}
        init = self.class_method(cinfo, "__init__")
        if method is not init and made in self.fa.changed_modules:
            return None
        built = self.fa.instance_inits.pop(made, None) if method is not init else None
        if built is not None and (not built[1].evaluated or any(v.kind is not Kind.UNKNOWN for v in built[2].values())):
            self.instance_call(made, built[0], built[1], built[2], made)  # its attributes first
        if method is init or init is None or init.evaluated or made in self.fa.instance_attrs:
            return run_site_pass(self, node, method, params, method=True)
        if not self.site_chain:
            self.pending_instance_calls.append((node, method, params))
        return None

    def unknown_call_effects(self, node: cst.Call, args: Args, st: State) -> None:
        name = node.func.attr.value if isinstance(node.func, cst.Attribute) else ""
        if name in _STEPPING:
            return self._forget_objects(args, st)
        self._forget_objects(args, st, clears=True, node=node)

    def _forget_objects(self, args: Args, st: State, clears: bool = False, node: Any = None) -> None:
        """An unknown function may mutate the objects it gets (not a tensor's dtype,
        layout or storage: Python cannot rebind the caller's names). An optimizer handed
        to it may get its gradients cleared there (a callback, ``clip_and_step(opt)``)."""
        for a, v in args.pos + list(args.kw.values()):
            k = key_of(a.value)
            if clears and (v.kind is Kind.OPTIMIZER or (v.kind is Kind.UNKNOWN and looks_like_optimizer(k))):
                self.emit(Event(ZERO_GRAD, node, k, v, CLEAR_OPTIMIZER, certain=False))
            if v.kind is Kind.MODULE:
                self.note_module_change(a.value)
            if v.kind in (Kind.OBJECT, Kind.MODULE, Kind.LIST, Kind.UNKNOWN):
                if k is not None:
                    st.forget_attrs(k)
                    if v.kind is Kind.LIST:
                        st.bind(k, Value(Kind.LIST, origin=v.origin))

    def call_builtin(self, node: cst.Call, name: str, args: Args, st: State) -> Value:
        handler = BUILTINS.get(name)
        a0 = args.get(0)
        if handler is None or args.star or (a0 is None and name in _BUILTINS_NEEDING_AN_ARGUMENT):
            return self.fresh(node)  # ``zip(*batch)``: which values it is given is not known
        return handler(self, node, name, a0, args)

    # ------------------------------------------------------------------ builtins (a0: the first argument)
    def builtin_len(self, node: cst.Call, name: str, a0: Value, args: Args) -> Value:
        if a0.items is not None:
            return const_value(len(a0.items), node)
        if a0.kind.is_array:
            d = a0.dim(0)
            return Value(Kind.INT, sym=d, const=d.coef if (d is not None and d.is_int) else None, origin=node)
        return Value(Kind.INT, origin=node)

    def builtin_range(self, node: cst.Call, name: str, a0: Optional[Value], args: Args) -> Value:
        return Value(origin=node, provenance="range", elem=Value(Kind.INT))

    def builtin_enumerate(self, node: cst.Call, name: str, a0: Value, args: Args) -> Value:
        return Value(origin=node, elem=Value(Kind.TUPLE, items=(Value(Kind.INT), self.elem_of(a0, node))))

    def builtin_zip(self, node: cst.Call, name: str, a0: Optional[Value], args: Args) -> Value:
        items = tuple(self.elem_of(v, node) for _, v in args.pos)
        return Value(origin=node, elem=Value(Kind.TUPLE, items=items))

    def builtin_sequence(self, node: cst.Call, name: str, a0: Value, args: Args) -> Value:
        """``list(x)`` / ``tuple(x)``."""
        kind = Kind.LIST if name == "list" else Kind.TUPLE
        return Value(kind, items=a0.items, elem=a0.elem if a0.elem is not None else (
            self.elem_of(a0, node) if a0.kind is not Kind.UNKNOWN else None), origin=node)

    def builtin_int(self, node: cst.Call, name: str, a0: Optional[Value], args: Args) -> Value:
        return Value(Kind.INT, sym=a0.sym if (a0 is not None and a0.kind is Kind.INT) else None,
                     const=a0.const if (a0 is not None and a0.kind is Kind.INT) else None, origin=node)

    def builtin_result(self, node: cst.Call, name: str, a0: Optional[Value], args: Args) -> Value:
        """Builtins whose result is known only by its kind (``float``, ``isinstance``, ``str``…)."""
        return Value(_BUILTIN_RESULT_KINDS[name], origin=node)

    def builtin_iterator(self, node: cst.Call, name: str, a0: Value, args: Args) -> Value:
        """``reversed``/``sorted``/``iter``/``filter``: the same elements."""
        return Value(Kind.LIST if name == "sorted" else Kind.UNKNOWN, elem=self.elem_of(a0, node), origin=node)

    def builtin_next(self, node: cst.Call, name: str, a0: Value, args: Args) -> Value:
        return self.elem_of(a0, node) if a0.elem is not None else self.fresh(node)

    def call_local(self, node: cst.Call, info: FunctionInfo, args: Args, st: State,
                   bound: Optional[cst.BaseExpression]) -> Value:
        if info.running or summary_pending(self, info):
            return self.fresh(node)
        if not info.evaluated:
            self.eval_function(info)
        params = list(info.params)
        mapping: dict = {}
        if bound is not None and info.is_method and params:
            mapping[params[0]] = key_of(bound)
            params = params[1:]
        if args.star:
            for p in params:
                mapping[p] = None
        for i, (a, _) in enumerate(args.pos):
            if i < len(params):
                mapping[params[i]] = key_of(a.value)
        for name, (a, _) in args.kw.items():
            mapping[name] = key_of(a.value)
        for p in params:
            mapping.setdefault(p, None)
        if info.block:
            self.emit(Inline(node, info.node, remap(info.block, mapping, node)))
        r = info.returns
        if bound is None:
            # what the body returns given this call's arguments: a fuller value than the
            # summary's, which knows none of them (``get_toy_data(1000)`` -> 1000 rows)
            site = run_site_pass(self, node, info, self.site_arguments(info, args))
            if site is not None and site.kind is not Kind.UNKNOWN:
                r = site
        if bound is not None and info.self_assigned:
            bk = key_of(bound)
            if bk is not None:
                for attr in info.self_assigned:
                    st.forget(bk + "." + attr)
        if r is None or r.kind is Kind.UNKNOWN:
            return self.fresh(node)
        return r.evolve(storage=("n", id(node)) if r.kind.is_array else None, bridge=None)

    def call_method(self, node: cst.Call, recv_node: cst.BaseExpression, r: Value, name: str, args: Args,
                    st: State) -> Value:
        """``recv.name(args)``: the receiver's kind picks the handler (``METHODS_BY_KIND``)."""
        if name in _LOOP_EVENT_METHODS or name.endswith("_"):
            self.loop_events(node, recv_node, r, name, args, st)
        if name in _PARAMETER_METHODS and r.kind in _MAY_OWN_PARAMETERS and not r.provenance:
            return self.params_value(node, key_of(recv_node), name)
        handler = METHODS_BY_KIND.get(r.kind, CallsMixin.unknown_receiver_method)
        return handler(self, node, recv_node, r, name, args, st)

    # ------------------------------------------------------------------ methods by receiver kind
    def object_method(self, node: cst.Call, recv_node: cst.BaseExpression, r: Value, name: str, args: Args,
                      st: State) -> Value:
        """An instance of a class: its method of this file when there is one; otherwise a
        method we cannot see, which may change the object's attributes."""
        cinfo = self.fa.classes.get(r.func) if r.func is not None else None
        m = self.class_method(cinfo, name) if cinfo is not None else None
        if m is not None:
            return self.call_local(node, m, args, st, recv_node)
        k = key_of(recv_node)
        if any(w in name.lower() for w in _CLEARING_WORDS):
            self.emit(Event(ZERO_GRAD, node, None, None, CLEAR_ALL, certain=False))  # a base-class method we cannot see
        self.unknown_call_effects(node, args, st)
        if k is not None and name not in _KEEP_ATTRIBUTES:
            st.forget_attrs(k)
        if name in _PARAMETER_METHODS:
            return self.params_value(node, k, name)
        return self.fresh(node)

    def module_method(self, node: cst.Call, recv_node: cst.BaseExpression, r: Value, name: str, args: Args,
                      st: State) -> Value:
        if name in _PARAMETER_METHODS:
            return self.params_value(node, key_of(recv_node), name)
        if name not in _KEEPS_MODULE and not (name == "to" and self.moves_only(args)):
            self.note_module_change(recv_node)  # ``net.append(layer)``, ``model.double()``, a hook
        if name in _MODULE_RETURNS_SELF:
            return r
        if name == "forward":
            return self.module_call(node, r, args)
        return self.fresh(node)

    @staticmethod
    def moves_only(args: Args) -> bool:
        """``model.to(device)``: every argument is a device, not a dtype."""
        values = [v for _, v in args.pos] + [v for _, v in args.kw.values()]
        return bool(values) and all(v.kind in (Kind.DEVICE, Kind.STR) for v in values)

    def note_module_change(self, expr: cst.BaseExpression) -> None:
        """A module the code changes after building it (a layer replaced, a layer added, its
        dtype changed, handed to a function we cannot see) and every module it is reached
        through (``model`` of ``model.features[0] = …``): their constructors no longer say
        what they compute, so their calls get no per-instance pass and no pipeline output."""
        n: Optional[cst.BaseExpression] = expr
        while n is not None:
            v = self.fa._values.get(n)
            if v is not None and v.kind is Kind.MODULE and isinstance(v.origin, cst.Call):
                self.fa.changed_modules.add(v.origin)
            n = n.value if isinstance(n, (cst.Attribute, cst.Subscript)) else None

    def training_object_method(self, node: cst.Call, recv_node: cst.BaseExpression, r: Value, name: str,
                               args: Args, st: State) -> Value:
        """Optimizers, schedulers, grad scalers, losses: ``scaler.scale(loss)`` is the loss."""
        if r.kind is Kind.GRAD_SCALER and name == "scale":
            a0 = args.get(0)
            return a0 if a0 is not None else self.fresh(node)
        return self.fresh(node)

    def tensor_or_unknown_method(self, node: cst.Call, recv_node: cst.BaseExpression, r: Value, name: str,
                                 args: Args, st: State) -> Value:
        if r.kind is Kind.UNKNOWN and r.provenance:
            # a module-level name (``np.random``, ``os.path``): not a tensor
            self.unknown_call_effects(node, args, st)
            return self.fresh(node)
        if r.kind is Kind.UNKNOWN and name in _PARAMETER_METHODS:
            return self.params_value(node, key_of(recv_node), name)
        return self.tensor_method(node, recv_node, r, name, args, st)

    def list_method(self, node: cst.Call, recv_node: cst.BaseExpression, r: Value, name: str, args: Args,
                    st: State) -> Value:
        if name not in _LIST_MUTATORS:
            return self.unknown_receiver_method(node, recv_node, r, name, args, st)
        k = key_of(recv_node)
        if k is not None:
            st.bind(k, Value(Kind.LIST, origin=r.origin))  # its elements are no longer known
        return self.fresh(node)

    def str_method(self, node: cst.Call, recv_node: cst.BaseExpression, r: Value, name: str, args: Args,
                   st: State) -> Value:
        return Value(Kind.LIST if name == "split" else Kind.STR, origin=node)

    def unknown_receiver_method(self, node: cst.Call, recv_node: cst.BaseExpression, r: Value, name: str,
                                args: Args, st: State) -> Value:
        self.unknown_call_effects(node, args, st)
        return self.fresh(node)

    def class_method(self, cinfo: ClassInfo, name: str, depth: int = 0) -> Optional[FunctionInfo]:
        if depth > 10:
            return None
        m = cinfo.methods.get(name)
        if m is not None:
            return m if m.is_method else None
        for b in cinfo.bases:
            m = self.class_method(b, name, depth + 1)
            if m is not None:
                return m
        return None

    def params_value(self, node: cst.Call, owner: Optional[str], name: str) -> Value:
        p = Value(Kind.TENSOR, requires_grad=True, is_leaf=True, owner=owner, origin=node, provenance="parameter")
        elem = p if name == "parameters" else Value(Kind.TUPLE, items=(Value(Kind.STR), p))
        return Value(Kind.UNKNOWN, origin=node, provenance=None, owner=owner, elem=elem, spec="parameters")

    def ndarray_method(self, node, recv_node, r: Value, name: str, args: Args, st: State) -> Value:
        if name in NDARRAY_INPLACE:
            self.note_write(node, r, key_of(recv_node), st, recv_node)
            return Value(Kind.NONE, origin=node)
        if name in NDARRAY_VIEWS:
            if name == "view" and args.get(0) is not None and args.get(0).kind is Kind.DTYPE:
                return r.evolve(dtype=args.get(0).const, origin=node, provenance=".view")
            shape = None
            if name == "reshape":
                sizes = self.targets(args)
                if isinstance(sizes, list) and all(isinstance(t, Product) for t in sizes):
                    shape = tuple(sizes)
            return r.evolve(origin=node, provenance="." + name, shape=shape, layout=None)
        if name in ("copy", "astype", "flatten"):
            dt = r.dtype
            if name == "astype":
                v = args.get(0, "dtype")
                dt = dtype_arg(v, numpy=True)[1] if v is not None else None
                cp = args.get(1, "copy")
                if cp is not None and cp.kind is Kind.BOOL and cp.const is False and dt == r.dtype and dt is not None:
                    return r
            return Value(Kind.NDARRAY, dtype=dt, shape=r.shape if name != "flatten" else None, device="cpu",
                         storage=("n", id(node)), origin=node, provenance="." + name)
        if name in ("tolist",):
            return Value(Kind.LIST, origin=node)
        if name == "item":
            return Value(Kind.FLOAT if is_floating(r.dtype) else (Kind.INT if is_integral(r.dtype) else Kind.UNKNOWN),
                         origin=node)
        if name in NDARRAY_REDUCTIONS or name in _NDARRAY_INDEX_RESULTS:
            return Value(Kind.NDARRAY, storage=("n", id(node)), origin=node, provenance="." + name,
                         dtype="int64" if name in _NDARRAY_INDEX_RESULTS else (r.dtype if is_floating(r.dtype) else None))
        return Value(Kind.NDARRAY if name in NDARRAY_COPIES else Kind.UNKNOWN, storage=("n", id(node)), origin=node)


# receiver kind -> method handler; any other kind: an unknown method (``unknown_receiver_method``)
METHODS_BY_KIND: dict[Kind, Callable[..., Value]] = {
    Kind.OBJECT: CallsMixin.object_method, Kind.MODULE: CallsMixin.module_method,
    **{kind: CallsMixin.training_object_method
       for kind in (Kind.OPTIMIZER, Kind.SCHEDULER, Kind.GRAD_SCALER, Kind.LOSS)},
    Kind.NDARRAY: CallsMixin.ndarray_method,
    Kind.TENSOR: CallsMixin.tensor_or_unknown_method, Kind.UNKNOWN: CallsMixin.tensor_or_unknown_method,
    Kind.LIST: CallsMixin.list_method, Kind.STR: CallsMixin.str_method,
}

_BUILTIN_RESULT_KINDS = {
    "float": Kind.FLOAT, "print": Kind.NONE,
    **{name: Kind.BOOL for name in ("isinstance", "issubclass", "hasattr", "callable", "bool", "any", "all")},
    **{name: Kind.STR for name in ("str", "repr", "format", "chr", "hex", "bin", "oct")},
}
_BUILTINS_NEEDING_AN_ARGUMENT = frozenset({"len", "enumerate", "list", "tuple", "reversed", "sorted", "iter",
                                           "filter", "next"})
# builtin name -> handler; a builtin with no handler (or without the argument it needs) gives a fresh value
BUILTINS: dict[str, Callable[..., Value]] = {
    "len": CallsMixin.builtin_len, "range": CallsMixin.builtin_range, "enumerate": CallsMixin.builtin_enumerate,
    "zip": CallsMixin.builtin_zip, "list": CallsMixin.builtin_sequence, "tuple": CallsMixin.builtin_sequence,
    "int": CallsMixin.builtin_int, "next": CallsMixin.builtin_next,
    **{name: CallsMixin.builtin_result for name in _BUILTIN_RESULT_KINDS},
    **{name: CallsMixin.builtin_iterator for name in ("reversed", "sorted", "iter", "filter")},
}
