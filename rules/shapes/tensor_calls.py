"""Torch functions and tensor methods for the shape interpreter: tensor creation,
``view`` / ``reshape`` / ``flatten`` / ``cat`` / ``matmul`` and friends with their shape
functions, functional pooling, arithmetic with broadcasting, and the JSON encoding of call
arguments (``{"step": id}``, ``{"size_of": …}``, ``{"unknown": …}``). A mixin of
:class:`~.interp.Interp`."""
from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING, Any, Optional, Sequence

import libcst as cst

from .. import dtypes as D
from ..shape_arith import REDUCTION_ARGS, SCANS, arange_bounds, torch_keyword
from ..size_product import product_of
from . import ops
from .conv import upsample
from .dims import Dim, Shape, broadcast, fmt_dim
from .layers import Problem, build_layer, json_arg
from .state import DType, Frame, _num
from .tables import (
    _ARITH, BINARY_FN, CREATION, ELEMENTWISE_FN, ELEMENTWISE_METHODS, F_POOL, MAX_UNROLL, OPERATORS,
)
from .symbolic import SymInt, combine
from .values import MISSING, UNKNOWN, Const, DimV, Seq, ShapeV, TensorV, Value, as_int, py

if TYPE_CHECKING:
    from .analysis import ShapeAnalysis
    from .trace import Trace


class TensorCallsMixin:
    a: "ShapeAnalysis"
    ctx: Any
    trace: "Trace"

    # ---------------------------------------------------------------- torch functions
    def call_torch(self, q: str, name: str, e: cst.Call, f: Frame) -> Value:
        got = self.args_of(e, f)
        if got is None:
            return UNKNOWN
        args, kwargs = got
        vals = [v for v, _ in args]
        native = not q.startswith("torch.nn.functional.")  # F.* are Python functions: their own names only
        kw = {torch_keyword(k, name, kwargs) if native else k: v for k, (v, _) in kwargs.items()}
        if name in CREATION and not q.startswith("torch.nn.functional"):
            return self.creation(q, name, vals, kw, e)
        x = vals[0] if vals else kw.get("input", UNKNOWN)
        if name in ("cat", "concat", "concatenate", "stack"):
            seq = vals[0] if vals else kw.get("tensors", UNKNOWN)
            dim = py(vals[1] if len(vals) > 1 else kw.get("dim", Const(0)), MISSING)
            if not isinstance(seq, Seq) or not isinstance(dim, int):
                return self._opaque_call(q, e, args, kwargs)
            shapes = [t.shape if isinstance(t, TensorV) else None for t in seq.items]
            shape, problem = (ops.stack(shapes, dim) if name == "stack" else ops.cat(shapes, dim, "torch." + name))
            dtype = D.concat_result(t.dtype if isinstance(t, TensorV) else None for t in seq.items)
            return self._record_call(q, e, args, kwargs, TensorV(shape, dtype), problem, standalone=True)
        if name in F_POOL and q.startswith("torch.nn.functional."):
            cls_name, order = F_POOL[name]
            bound: dict[str, Value] = dict(zip(order, vals[1:]))
            bound.update({k: v for k, v in kw.items() if k != "input"})
            layer = build_layer(cls_name, q, None, [], bound, [], {})
            if layer is None or not isinstance(x, TensorV):
                return self._record_call(q, e, args, kwargs, TensorV(None))
            layer.name = "F." + name
            out = layer.apply([x])
            res = self._record_call(q, e, args, kwargs, out.out, out.problem, formula=out.formula)
            if out.dropped:
                self.trace.drop(e, None, "F." + name, "pool", out.dropped, x)
            return res
        if name == "pad" and q.startswith("torch.nn.functional.") and isinstance(x, TensorV):
            amounts_v = vals[1] if len(vals) > 1 else kw.get("pad", UNKNOWN)
            if not isinstance(amounts_v, Seq):
                return self._record_call(q, e, args, kwargs, TensorV(None, x.dtype))
            amounts = [_amount(v) for v in amounts_v.items]
            shape, problem = ops.pad(x.shape, amounts)
            return self._record_call(q, e, args, kwargs, TensorV(shape, x.dtype), problem)
        if name == "interpolate" and q.startswith("torch.nn.functional."):
            size = py(vals[1] if len(vals) > 1 else kw.get("size", Const(None)), MISSING)
            scale = py(vals[2] if len(vals) > 2 else kw.get("scale_factor", Const(None)), MISSING)
            mode = py(vals[3] if len(vals) > 3 else kw.get("mode", Const("nearest")), MISSING)
            out = upsample("F.interpolate", x, size, scale, mode)
            return self._record_call(q, e, args, kwargs, out.out, out.problem, formula=out.formula)
        if not isinstance(x, TensorV):
            return UNKNOWN
        if name in ELEMENTWISE_FN:
            other = [v for v in vals[1:] if isinstance(v, TensorV)]
            shape = x.shape
            if other and name not in ("prelu",):
                return self._opaque_call(q, e, args, kwargs)
            dtype = D.float_result(x.dtype, self.a.default_float) if name in D.FLOAT_RESULT else x.dtype
            return self._record_call(q, e, args, kwargs, TensorV(shape, dtype), same_shape=True)
        if name == "flatten":
            start = py(vals[1] if len(vals) > 1 else kw.get("start_dim", Const(0)), MISSING)
            end = py(vals[2] if len(vals) > 2 else kw.get("end_dim", Const(-1)), MISSING)
            if not isinstance(start, int) or not isinstance(end, int):
                return self._record_call(q, e, args, kwargs, TensorV(None, x.dtype))
            shape, problem = ops.flatten(x.shape, start, end, "torch.flatten")
            return self._record_call(q, e, args, kwargs, TensorV(shape, x.dtype), problem, flattening=True)
        if name == "reshape":
            target = self._size_args(vals[1:] if len(vals) > 1 else [kw.get("shape", UNKNOWN)])
            if target is None:
                return self._record_call(q, e, args, kwargs, TensorV(None, x.dtype))
            shape, problem = ops.view(x.shape, target, "torch.reshape")
            return self._record_call(q, e, args, kwargs, TensorV(shape, x.dtype), problem, flattening=True)
        if name in ("matmul", "mm", "bmm"):
            y = vals[1] if len(vals) > 1 else kw.get("other", kw.get("mat2", UNKNOWN))
            if not isinstance(y, TensorV):
                return UNKNOWN
            fn = {"matmul": ops.matmul, "mm": ops.mm, "bmm": ops.bmm}[name]
            shape, problem = fn(x.shape, y.shape, "torch." + name)
            return self._record_call(q, e, args, kwargs, TensorV(shape, _product_dtype(x, y)), problem,
                                     standalone=True)
        if name in BINARY_FN and BINARY_FN[name] is not None and len(vals) >= 2:
            return self.binary_values(BINARY_FN[name], x, vals[1], e, q, args, kwargs)
        if name in ("squeeze", "unsqueeze", "transpose", "permute", "t", "swapaxes", "movedim", "moveaxis") \
                or name in REDUCTION_ARGS:
            return self.shape_method(x, name, vals[1:], kw, e, q, args, kwargs)
        if name in SCANS and len(vals) >= 2:
            return self._record_call(q, e, args, kwargs, TensorV(x.shape, _reduced_dtype(name, x.dtype, vals[1:], kw)))
        return self._opaque_call(q, e, args, kwargs)

    def creation(self, q: str, name: str, vals: list[Value], kw: dict[str, Value], e: cst.Call) -> Value:
        dtype_v = py(kw.get("dtype", Const(None)), MISSING)
        dtype: Optional[str] = dtype_v if isinstance(dtype_v, DType) else None
        unknown_dtype = dtype_v is MISSING  # dtype=<something not known>: never the default
        shape: Optional[Shape] = None
        default_float = self.a.default_float
        default = D.default_floating(default_float)  # randn, zeros, eye …
        if name.endswith("_like"):
            src = vals[0] if vals else kw.get("input", UNKNOWN)
            shape = src.shape if isinstance(src, TensorV) else None
            default = src.dtype if isinstance(src, TensorV) else None  # type: ignore[assignment]
        elif name == "randint":
            size = kw.get("size")
            rest = [v for v in vals]
            if size is None and rest:
                size = rest[-1]
            target = self._size_args([size]) if size is not None else None
            shape = Shape(tuple(target)) if target is not None and -1 not in target else None
            default = D.DEFAULT_INT
        elif name == "full":
            target = self._size_args([vals[0] if vals else kw.get("size", UNKNOWN)])
            shape = Shape(tuple(target)) if target is not None and -1 not in target else None
            fill = py(vals[1] if len(vals) > 1 else kw.get("fill_value", UNKNOWN), MISSING)
            default = D.literal_dtype([D.python_kind(fill)], default_float)  # type: ignore[assignment]
        elif name in ("tensor", "as_tensor"):
            data = py(vals[0] if vals else kw.get("data", UNKNOWN), MISSING)
            shape, default = _nested_shape(data, default_float)  # type: ignore[assignment]
        elif name == "arange":
            bounds = arange_bounds(vals, kw)
            unknown_dtype = unknown_dtype or bounds is None
            vals = bounds if bounds is not None else []
            nums = [py(v, MISSING) for v in vals]
            # int64 when every bound is an int (sizes from x.shape included), float when one is a
            # float, unknown otherwise: never guess float for a bound we cannot see
            default = D.arange_dtype([_number_kind(v) for v in vals], default_float)  # type: ignore[assignment]
            if 1 <= len(nums) <= 3 and all(isinstance(n, (int, float)) and not isinstance(n, bool) for n in nums):
                start, end, step = (0, nums[0], 1) if len(nums) == 1 else (nums[0], nums[1], nums[2] if len(nums) == 3 else 1)
                if step:
                    shape = Shape((max(0, math.ceil((end - start) / step)),))
            elif len(vals) == 1 and isinstance(vals[0], DimV) and vals[0].dim is not None:
                shape = Shape((vals[0].dim,))
        elif name in ("randperm",):
            n = as_int(vals[0]) if vals else None
            shape = Shape((n,)) if n is not None else None
            default = D.DEFAULT_INT
        elif name == "linspace":
            n = as_int(vals[2]) if len(vals) > 2 else as_int(kw.get("steps", UNKNOWN))
            shape = Shape((n,)) if n is not None else None
        elif name == "eye":
            n = as_int(vals[0]) if vals else None
            m = as_int(vals[1]) if len(vals) > 1 else as_int(kw.get("m", Const(n)))
            shape = Shape((n, m)) if n is not None and m is not None else None
        elif name in ("LongTensor", "FloatTensor", "Tensor"):
            default = D.TENSOR_TYPES["torch." + name] if name != "Tensor" or default_float else D.SOME_FLOAT
        else:
            target = self._size_args(vals if vals else [kw.get("size", UNKNOWN)])
            shape = Shape(tuple(target)) if target is not None and -1 not in target else None
        literal = shape is not None and shape.fully_known and all(isinstance(d, int) for d in shape.dims)
        out = TensorV(shape, None if unknown_dtype else (dtype or default), literal=literal)
        return self.trace.add("call", e, [], out, fn=q, args=[], kwargs={}, creation=True)

    def _size_args(self, vals: Sequence[Value]) -> Optional[list[Dim]]:
        """Sizes given as varargs ints or one tuple / list / torch.Size."""
        if len(vals) == 1 and isinstance(vals[0], (Seq, ShapeV)):
            if isinstance(vals[0], ShapeV):
                s = vals[0].shape
                return list(s.dims) if s is not None and s.exact else None
            vals = list(vals[0].items)
        out: list[Dim] = []
        for v in vals:
            if isinstance(v, DimV):
                out.append(v.dim)
            elif isinstance(v, Const) and isinstance(v.value, int) and not isinstance(v.value, bool):
                out.append(v.value)
            else:
                return None
        return out

    def _record_call(self, q: str, e: cst.Call, args, kwargs, out: Value, problem: Optional[Problem] = None, *,
                     formula: Optional[str] = None, same_shape: bool = False, flattening: bool = False,
                     standalone: bool = False) -> Value:
        vals = [v for v, _ in args]
        enc = self._encode_call_args(vals, {k: v for k, (v, _) in kwargs.items()}, [n for _, n in args],
                                     {k: n for k, (_, n) in kwargs.items()})
        tensors = enc.pop("_tensors")
        res = self.trace.add("call", e, tensors, out, fn=q, formula=formula, same_shape=same_shape,
                             flattening=flattening, **enc)
        if problem is not None:
            step = res.step if isinstance(res, TensorV) else getattr(res, "step", None)
            if standalone:
                problem.standalone = True
            self.trace.problem(e, problem, [v for v in vals if isinstance(v, TensorV)][:1], step=step)
        return res

    def _opaque_call(self, q: str, e: cst.Call, args, kwargs) -> Value:
        return self._record_call(q, e, args, kwargs, TensorV(None))

    def _encode_call_args(self, vals: list[Value], kwvals: dict[str, Value], nodes: list,
                          kwnodes: Optional[dict] = None) -> dict[str, Any]:
        """inputs/args/kwargs per the JSON contract: leading tensor arguments are the
        step's inputs; anything else is literal JSON, {"size_of": …} or {"unknown": …};
        tensors found later ({"step": id}) set ``inputs_in_args``."""
        lead = 0
        while lead < len(vals) and isinstance(vals[lead], TensorV):
            lead += 1
        rest_has_tensor = any(_has_tensor(v) for v in vals[lead:]) or any(_has_tensor(v) for v in kwvals.values())
        kwnodes = kwnodes or {}
        if not rest_has_tensor:
            return {"_tensors": vals[:lead],
                    "args": [self._enc(v, n) for v, n in zip(vals[lead:], nodes[lead:])],
                    "kwargs": {k: self._enc(v, kwnodes.get(k)) for k, v in kwvals.items()}}
        return {"_tensors": _flat_tensors(list(vals) + list(kwvals.values())),
                "args": [self._enc(v, n) for v, n in zip(vals, nodes)],
                "kwargs": {k: self._enc(v, kwnodes.get(k)) for k, v in kwvals.items()},
                "inputs_in_args": True}

    def _enc(self, v: Value, node: Optional[cst.CSTNode]) -> Any:
        if isinstance(v, TensorV):
            sid = self.trace.ref(v)
            return {"step": sid}
        if isinstance(v, Seq) and any(_has_tensor(i) for i in v.items):
            return [self._enc(i, None) for i in v.items]
        if isinstance(v, Const) and isinstance(v.value, DType):
            if v.value in D.EXACT:
                return {"dtype": "torch." + v.value}
            return {"unknown": self.ctx.code_for(node) if node is not None else "?"}
        src = self.ctx.code_for(node) if node is not None and _needs_src(v) else "?"
        return json_arg(v, src)

    # ---------------------------------------------------------------- tensor methods
    def tensor_method(self, x: TensorV, m: str, e: cst.Call, f: Frame) -> Value:
        got = self.args_of(e, f)
        if got is None:
            return TensorV(None)
        args, kwargs = got
        vals = [v for v, _ in args]
        kw = {torch_keyword(k, m, kwargs): v for k, (v, _) in kwargs.items()}
        if m == "size":
            d = vals[0] if vals else kw.get("dim")
            k = as_int(d) if d is not None else None
            sid = self.trace.ref(x)
            if d is None:
                return ShapeV(x.shape, sid)
            if k is None or x.shape is None:
                return DimV(None)
            s = x.shape
            idx = k if k >= 0 or not s.exact else len(s.dims) + k
            return DimV(s.dim(k), (sid, idx) if sid is not None and s.exact and 0 <= idx < len(s.dims) else None)
        if m in ("dim", "ndimension"):
            return Const(len(x.shape.dims)) if x.shape is not None and x.shape.exact else UNKNOWN
        if m == "numel":
            p = product_of(x.shape.dims) if x.shape is not None and x.shape.exact else None
            return Const(p.coef) if p is not None and not p.syms else UNKNOWN
        if m in ("item", "tolist", "numpy"):
            return UNKNOWN
        if m in ("view", "reshape"):
            if len(vals) == 1 and isinstance(py(vals[0], MISSING), DType):
                return self._method(x, m, e, args, kwargs, TensorV(None))
            target = self._size_args(vals if vals else [kw.get("shape", UNKNOWN)])
            if target is None:
                return self._method(x, m, e, args, kwargs, TensorV(None, x.dtype))
            shape, problem = ops.view(x.shape, target, m)
            return self._method(x, m, e, args, kwargs, TensorV(shape, x.dtype), problem, flattening=True)
        if m in ("expand", "repeat"):
            target = self._size_args(vals if vals else [kw.get("size", UNKNOWN)])
            if target is None:
                return self._method(x, m, e, args, kwargs, TensorV(None, x.dtype))
            shape, problem = (ops.expand if m == "expand" else ops.repeat)(x.shape, target)
            return self._method(x, m, e, args, kwargs, TensorV(shape, x.dtype), problem)
        if m in ("view_as", "reshape_as", "expand_as"):
            other = vals[0] if vals else UNKNOWN
            return self._method(x, m, e, args, kwargs,
                                TensorV(other.shape if isinstance(other, TensorV) else None, x.dtype))
        if m == "flatten":
            start = py(vals[0] if vals else kw.get("start_dim", Const(0)), MISSING)
            end = py(vals[1] if len(vals) > 1 else kw.get("end_dim", Const(-1)), MISSING)
            if not isinstance(start, int) or not isinstance(end, int):
                return self._method(x, m, e, args, kwargs, TensorV(None, x.dtype))
            shape, problem = ops.flatten(x.shape, start, end, "flatten")
            return self._method(x, m, e, args, kwargs, TensorV(shape, x.dtype), problem, flattening=True)
        if m == "unflatten":
            dim = as_int(vals[0]) if vals else None
            sizes = py(vals[1], MISSING) if len(vals) > 1 else MISSING
            if dim is None or not isinstance(sizes, (tuple, list)):
                return self._method(x, m, e, args, kwargs, TensorV(None, x.dtype))
            shape, problem = ops.unflatten(x.shape, dim, list(sizes))
            return self._method(x, m, e, args, kwargs, TensorV(shape, x.dtype), problem)
        if m in ("matmul", "mm", "bmm"):
            y = vals[0] if vals else UNKNOWN
            if not isinstance(y, TensorV):
                return self._method(x, m, e, args, kwargs, TensorV(None))
            fn = {"matmul": ops.matmul, "mm": ops.mm, "bmm": ops.bmm}[m]
            shape, problem = fn(x.shape, y.shape, m)
            return self._method(x, m, e, args, kwargs, TensorV(shape, _product_dtype(x, y)), problem, standalone=True)
        if m in BINARY_FN and BINARY_FN[m] is not None and vals:
            return self.binary_values(BINARY_FN[m], x, vals[0], e, None, args, kwargs, method=m)
        if m in D.CAST_METHODS:
            return self._method(x, m, e, args, kwargs, x.but(step=None, ref=None, note=None,
                                                               dtype=D.CAST_METHODS[m]), same_shape=True)
        if m == "to":
            return self._method(x, m, e, args, kwargs, x.but(step=None, ref=None, note=None,
                                                               dtype=_to_dtype(x, vals, kw, e)), same_shape=True)
        if m in ("cpu", "cuda", "detach", "clone", "contiguous", "requires_grad_", "pin_memory"):
            return self._method(x, m, e, args, kwargs, x.but(step=None, ref=None, note=None), same_shape=True)
        if m == "type_as":
            other = vals[0] if vals else kw.get("other", UNKNOWN)
            dtype = other.dtype if isinstance(other, TensorV) else None
            return self._method(x, m, e, args, kwargs, TensorV(x.shape, dtype), same_shape=True)
        if m in ELEMENTWISE_METHODS:
            if any(isinstance(v, TensorV) for v in vals) and m not in ("masked_fill", "masked_fill_"):
                return self._method(x, m, e, args, kwargs, TensorV(None, x.dtype))
            dtype = D.float_result(x.dtype, self.a.default_float) if m in D.FLOAT_RESULT else x.dtype
            return self._method(x, m, e, args, kwargs, TensorV(x.shape, dtype), same_shape=True)
        if m in ("squeeze", "unsqueeze", "transpose", "permute", "t", "swapaxes", "movedim", "moveaxis") \
                or m in REDUCTION_ARGS:
            return self.shape_method(x, m, vals, kw, e, None, args, kwargs)
        if m in SCANS and (vals or "dim" in kw):
            return self._method(x, m, e, args, kwargs, TensorV(x.shape, _reduced_dtype(m, x.dtype, vals, kw)),
                                same_shape=True)
        if m == "unbind":  # q, k, v = qkv.unbind(0): a tuple of the slices (added for the runtime probe)
            return self._method(x, m, e, args, kwargs, _unbind(x, vals[0] if vals else kw.get("dim", Const(0))))
        return self._method(x, m, e, args, kwargs, TensorV(None))

    def shape_method(self, x: TensorV, m: str, vals: list[Value], kw: dict[str, Value], e: cst.Call,
                     q: Optional[str], args, kwargs) -> Value:
        shape: Optional[Shape] = None
        problem = None
        dtype = x.dtype
        if m == "unsqueeze":
            d = as_int(vals[0] if vals else kw.get("dim", UNKNOWN))
            if d is not None:
                shape, problem = ops.unsqueeze(x.shape, d)
        elif m == "squeeze":
            d = vals[0] if vals else kw.get("dim")
            if d is None:
                shape, problem = ops.squeeze(x.shape, None)
            else:
                pd = py(d, MISSING)
                dims = [pd] if isinstance(pd, int) else (list(pd) if isinstance(pd, (tuple, list)) else None)
                if dims is not None and all(isinstance(i, int) for i in dims):
                    shape, problem = ops.squeeze(x.shape, dims)
        elif m in ("transpose", "swapaxes"):
            a = as_int(vals[0]) if vals else as_int(kw.get("dim0", UNKNOWN))
            b = as_int(vals[1]) if len(vals) > 1 else as_int(kw.get("dim1", UNKNOWN))
            if a is not None and b is not None:
                shape, problem = ops.transpose(x.shape, a, b)
        elif m in ("movedim", "moveaxis"):
            src = as_int(vals[0]) if vals else as_int(kw.get("source", UNKNOWN))
            dst = as_int(vals[1]) if len(vals) > 1 else as_int(kw.get("destination", UNKNOWN))
            if src is not None and dst is not None:
                shape, problem = ops.movedim(x.shape, src, dst)
        elif m == "t":
            if x.shape is not None and x.shape.exact and len(x.shape.dims) <= 2:
                shape = Shape(tuple(reversed(x.shape.dims)))
        elif m == "permute":
            order = py(vals[0], MISSING) if len(vals) == 1 else [py(v, MISSING) for v in vals]
            if isinstance(order, (tuple, list)) and all(isinstance(o, int) for o in order):
                shape, problem = ops.permute(x.shape, list(order))
        else:
            dtype = _reduced_dtype(m, dtype, vals, kw)
            dim_at, keep_at = REDUCTION_ARGS[m]  # std(dim, unbiased, keepdim), norm(p, dim, keepdim) …
            d = vals[dim_at] if len(vals) > dim_at else kw.get("dim")
            keep = py(vals[keep_at] if keep_at is not None and len(vals) > keep_at
                      else kw.get("keepdim", Const(False)), MISSING)
            if d is None or py(d, MISSING) is None:
                dims = None
            else:
                pd = py(d, MISSING)
                dims = [pd] if isinstance(pd, int) else (list(pd) if isinstance(pd, (tuple, list)) else MISSING)
            if dims is not MISSING and isinstance(keep, bool) and (dims is None or all(isinstance(i, int) for i in dims)):
                if m in ("max", "min") and dims is not None:
                    s, problem = ops.reduce(x.shape, dims, keep)
                    out = Seq((TensorV(s, x.dtype), TensorV(s, "int64")))
                    return self._finish(x, m, e, q, args, kwargs, out, problem)
                shape, problem = ops.reduce(x.shape, dims, keep)
        return self._finish(x, m, e, q, args, kwargs, TensorV(shape, dtype), problem)

    def _finish(self, x: TensorV, m: str, e: cst.Call, q: Optional[str], args, kwargs, out: Value,
                problem: Optional[Problem]) -> Value:
        if q is not None:
            return self._record_call(q, e, args, kwargs, out, problem)
        return self._method(x, m, e, args, kwargs, out, problem)

    def _method(self, x: TensorV, m: str, e: cst.Call, args, kwargs, out: Value, problem: Optional[Problem] = None,
                *, same_shape: bool = False, flattening: bool = False, standalone: bool = False) -> Value:
        vals = [x] + [v for v, _ in args]
        nodes = [None] + [n for _, n in args]
        enc = self._encode_call_args(vals, {k: v for k, (v, _) in kwargs.items()}, nodes,
                                     {k: n for k, (_, n) in kwargs.items()})
        tensors = enc.pop("_tensors")
        res = self.trace.add("method", e, tensors, out, method=m, same_shape=same_shape, flattening=flattening, **enc)
        if problem is not None:
            step = res.step if isinstance(res, TensorV) else getattr(res, "step", None)
            if standalone:
                problem.standalone = True
            self.trace.problem(e, problem, [x], step=step)
        return res

    # ---------------------------------------------------------------- arithmetic
    def binary(self, op: str, left: Value, right: Value, node: cst.CSTNode, ln: cst.CSTNode, rn: cst.CSTNode) -> Value:
        sym = OPERATORS.get(op)
        if sym is None:
            return UNKNOWN
        if isinstance(left, TensorV) or isinstance(right, TensorV):
            return self.binary_values(sym, left, right, node, None, [(left, ln), (right, rn)], {})
        if isinstance(left, Seq) and isinstance(right, Seq) and sym == "+":
            return Seq(left.items + right.items, left.is_list)
        if sym == "%" and isinstance(left, Const) and isinstance(left.value, str):
            rhs = py(right, MISSING)  # "denseblock%d" % (i + 1)
            if rhs is MISSING:
                return UNKNOWN
            try:
                return Const(left.value % rhs)
            except (TypeError, ValueError):
                return UNKNOWN
        if isinstance(left, Seq) and sym == "*" and as_int(right) is not None and as_int(right) <= 10 * MAX_UNROLL:
            return Seq(left.items * as_int(right), left.is_list)  # type: ignore[operator]
        a, b = _num(left), _num(right)
        if a is None or b is None:
            return _sym_arith(sym, left, right)
        try:
            r = _ARITH[sym](a, b)
        except (ZeroDivisionError, OverflowError, ValueError, TypeError):
            return UNKNOWN
        if isinstance(r, int) and abs(r) > 10 ** 15:
            return UNKNOWN
        return Const(r)

    def binary_values(self, sym: str, left: Value, right: Value, node: cst.CSTNode, q: Optional[str], args, kwargs,
                      method: Optional[str] = None) -> Value:
        if not isinstance(left, TensorV) and not isinstance(right, TensorV):
            return UNKNOWN
        tensors = [v for v in (left, right) if isinstance(v, TensorV)]
        problem: Optional[Problem] = None
        shape: Optional[Shape] = None
        if sym == "@":
            if isinstance(left, TensorV) and isinstance(right, TensorV):
                shape, problem = ops.matmul(left.shape, right.shape, "@")
        elif isinstance(left, TensorV) and isinstance(right, TensorV):
            if left.shape is not None and right.shape is not None:
                shape, clash = broadcast(left.shape, right.shape)
                if clash is not None:
                    k, da, db = clash
                    problem = self._broadcast_problem(sym, left, right, k, da, db)
        else:
            t = left if isinstance(left, TensorV) else right
            other = right if t is left else left
            if _operand(other) is None:  # not a Python number or a size
                return TensorV(None)
            shape = t.shape
        if sym == "@":
            dtype = _product_dtype(left, right)
        else:
            a, b = _operand(left), _operand(right)
            rounding = kwargs.get("rounding_mode")  # div(..., rounding_mode="floor"): ints stay ints
            divide = sym == "/" and (rounding is None or py(rounding[0], MISSING) is None)
            dtype = D.binary_result(a, b, divide=divide, default_float=self.a.default_float) if (
                a is not None and b is not None) else None
        out = TensorV(shape, dtype)
        operands = [self._enc(v, n) for v, n in args[:2]] if len(args) >= 2 else []
        if method is not None or q is not None:
            vals = [v for v, _ in args]
            nodes = [n for _, n in args]
            if method is not None:
                vals, nodes = [left, *vals], [None, *nodes]
            enc = self._encode_call_args(vals, {k: v for k, (v, _) in kwargs.items()}, nodes,
                                         {k: n for k, (_, n) in kwargs.items()})
            ins = enc.pop("_tensors")
            fields = {"method": method} if method is not None else {"fn": q}
            res = self.trace.add("method" if method is not None else "call", node, ins, out, **fields, **enc)
        else:
            res = self.trace.add("binary", node, tensors, out, operator=sym, operands=operands)
        if problem is not None:
            problem.standalone = True
            self.trace.problem(node, problem, tensors[:1], step=getattr(res, "step", None))
        return res

    def _broadcast_problem(self, sym: str, a: TensorV, b: TensorV, k: int, da: Dim, db: Dim) -> Problem:
        dz, de, _ = self.trace.describe(a)
        ez, ee, _ = self.trace.describe(b)
        word = {"+": ("相加", "add"), "-": ("相减", "subtract"), "*": ("相乘", "multiply"), "/": ("相除", "divide")}.get(
            sym, ("运算", f"combine with {sym}"))
        return Problem(
            f"{dz} 与 {ez} 无法{word[0]}：倒数第 {-k} 维 {fmt_dim(da)} ≠ {fmt_dim(db)}，两者都不是 1，不能广播",
            f"cannot {word[1]} {de} and {ee}: dim {k} is {fmt_dim(da)} vs {fmt_dim(db)}, neither is 1, "
            "so they do not broadcast", standalone=True)


def _sym_arith(sym: str, left: Value, right: Value) -> Value:
    """Arithmetic on a symbolic size (``x.size(0) * 1``): kept only where it stays exact;
    on symbolic constructor parameters (``c // r``) it builds an expression."""
    if isinstance(left, SymInt) or isinstance(right, SymInt):
        a = left if isinstance(left, SymInt) else as_int(left)
        b = right if isinstance(right, SymInt) else as_int(right)
        if a is None or b is None:
            return UNKNOWN
        out = combine(sym, a, b)
        return out if out is not None else UNKNOWN
    if isinstance(left, DimV) or isinstance(right, DimV):
        if sym == "*" and _num(right) == 1:
            return left
        if sym == "*" and _num(left) == 1:
            return right
        return DimV(None)
    return UNKNOWN


def _operand(v: Value) -> Optional[D.Operand]:
    """An operand of the dtype rules: a tensor (its rank tells a 0-d one), a Python number
    or a size (an int); None for anything else."""
    if isinstance(v, TensorV):
        rank = len(v.shape.dims) if v.shape is not None and v.shape.exact else None
        return D.tensor_operand(v.dtype, rank)
    if isinstance(v, DimV):
        return D.scalar_operand("int")
    kind = D.python_kind(py(v, MISSING))
    return D.scalar_operand(kind) if kind is not None else None


def _to_dtype(x: TensorV, vals: list[Value], kw: dict[str, Value], call: cst.Call) -> Optional[str]:
    """``x.to(...)``: a dtype argument, or another tensor's dtype (``x.to(y)``). A positional
    argument of unknown value keeps the dtype only when it names a device (``x.to(device)``,
    ``.to(t.device)``, ``.to('cuda')``, ``.to(0)``); anything else (``.to(t.dtype)``, a tensor
    we cannot see) may change it: unknown. An unknown ``dtype=`` is unknown."""
    dt = x.dtype
    nodes = [a.value for a in call.args if a.keyword is None and not a.star]
    for i, v in enumerate(vals):
        got = py(v, MISSING)
        if isinstance(got, DType):
            dt = got
        elif isinstance(v, TensorV):
            dt = v.dtype
        elif not (isinstance(got, (str, int)) and not isinstance(got, bool)) \
                and not (i < len(nodes) and _names_a_device(nodes[i])):
            dt = None
    got = py(kw.get("dtype", Const(None)), MISSING)
    if isinstance(got, DType):
        dt = got
    named = py(kw["dtype"], MISSING) if "dtype" in kw else None
    return None if named is MISSING else dt


_DEVICE_WORDS = re.compile(r"dev|cuda|gpu|cpu|rank|place", re.IGNORECASE)


def _names_a_device(node: cst.BaseExpression) -> bool:
    """The expression says it is a device: ``t.device``, ``torch.device(...)``, or a name
    such as ``device`` / ``self.dev`` / ``args.local_rank``."""
    if isinstance(node, cst.Call):
        node = node.func
    last = node.attr.value if isinstance(node, cst.Attribute) else (node.value if isinstance(node, cst.Name) else "")
    return bool(_DEVICE_WORDS.search(last)) and last != "dtype"


def _reduced_dtype(m: str, dtype: Optional[str], vals: list[Value], kw: dict[str, Value]) -> Optional[str]:
    """A reduction's result dtype: the one asked for (``x.sum(dtype=torch.float64)``,
    ``x.cumsum(0, torch.float64)``), else what it accumulates in (integer sums in int64,
    argmax int64 …)."""
    asked = kw["dtype"] if "dtype" in kw else next((v for v in vals if isinstance(py(v, MISSING), DType)), None)
    got = py(asked, MISSING) if asked is not None else None
    if isinstance(got, DType):
        return got
    return D.reduction_result(m, dtype) if got is None else None


def _number_kind(v: Value) -> Optional[str]:
    """"int" for an int or a size (``x.shape[1]``), "float" / "bool" for those literals."""
    return "int" if isinstance(v, DimV) else D.python_kind(py(v, MISSING))


def _product_dtype(x: Value, y: Value) -> Optional[str]:
    """``x @ y`` and the matrix products: torch requires one dtype (no promotion)."""
    if isinstance(x, TensorV) and isinstance(y, TensorV) and x.dtype == y.dtype:
        return x.dtype
    return None


def _amount(v: Value) -> Optional[int]:
    x = py(v, MISSING)
    return x if isinstance(x, int) and not isinstance(x, bool) else None


def _has_tensor(v: Value) -> bool:
    if isinstance(v, TensorV):
        return True
    if isinstance(v, Seq):
        return any(_has_tensor(i) for i in v.items)
    return False


def _flat_tensors(vals: list[Value]) -> list[Value]:
    out: list[Value] = []
    for v in vals:
        if isinstance(v, TensorV):
            out.append(v)
        elif isinstance(v, Seq):
            out.extend(_flat_tensors(list(v.items)))
    return out


def _needs_src(v: Value) -> bool:
    return py(v, MISSING) is MISSING


def _nested_shape(data: Any, default_float: Optional[str]) -> tuple[Optional[Shape], Optional[str]]:
    if data is MISSING:
        return None, None
    dims: list[int] = []
    x = data
    while isinstance(x, (list, tuple)):
        dims.append(len(x))
        if not x:
            break
        x = x[0]

    def leaves(d: Any):
        if isinstance(d, (list, tuple)):
            for i in d:
                yield from leaves(i)
        else:
            yield d

    vals = list(leaves(data))
    if any(isinstance(v, str) for v in vals):
        return None, None
    kinds = [D.python_kind(v) for v in vals]
    dtype = D.literal_dtype(kinds, default_float) if vals else D.default_floating(default_float)  # tensor([])
    return Shape(tuple(dims)), dtype


def _unbind(x: TensorV, dim: Value) -> Value:
    """``x.unbind(d)``: one tensor per index of dim ``d``, when its size is a known small int."""
    d = as_int(dim)
    shape = x.shape
    if d is None or shape is None or not shape.exact or not -len(shape.dims) <= d < len(shape.dims):
        return TensorV(None)
    k = d % len(shape.dims)
    n = shape.dims[k]
    if type(n) is not int or not 0 < n <= MAX_UNROLL:
        return TensorV(None)
    rest = Shape(shape.dims[:k] + shape.dims[k + 1:])
    return Seq(tuple(TensorV(rest, x.dtype) for _ in range(n)))

