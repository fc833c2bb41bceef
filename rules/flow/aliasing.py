"""Memory shared between numpy and torch (``.numpy()``, ``torch.from_numpy``,
``torch.as_tensor``, ``numpy.asarray`` of a cpu tensor): alias groups, the writes through
one side and the reads through the other that see them (``Hazard``).

Contract: a bridge puts the storage group into ``State.bridged`` and records where the
sharing began (``FlowAnalysis.bridges``); ``note_write`` of a bridged group leaves a pending
``WRITE`` event; ``note_read`` through the other side reports a hazard to the analysis
(``FlowAnalysis._note_hazard``). A mixin of ``interp.Interpreter``."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

import libcst as cst

from . import chain as C
from .args import Args, key_of
from .creation import creation_value, device_of, dtype_arg
from .events import READ, WRITE, Event
from .state import State
from .values import CONTIGUOUS, UNKNOWN, Kind, Value


@dataclass
class Hazard:
    """An in-place write through one side (numpy / torch) of shared memory that a later
    read through the other side sees."""

    write: Event
    read: cst.CSTNode
    read_value: Value


def side_of(v: Value) -> str:
    return "numpy" if v.kind is Kind.NDARRAY else ("torch" if v.kind is Kind.TENSOR else "")


class AliasingMixin:
    """numpy/torch shared-memory transfer functions; mixed into ``Interpreter``."""

    def from_numpy(self, node: cst.Call, q: str, args: Args, st: State) -> Value:
        """``torch.from_numpy(a)``: a cpu tensor sharing ``a``'s memory."""
        a = args.get(0)
        if a is None:
            return self.fresh(node, Kind.TENSOR)
        group = a.storage if a.storage is not None else ("n", id(node))
        self.bridge(group, node, "numpy", st, a)
        fresh_array = a.layout is None and a.provenance and a.provenance.startswith("numpy.")
        return Value(Kind.TENSOR, dtype=a.dtype, shape=a.shape, layout=CONTIGUOUS if fresh_array else None,
                     storage=group, device="cpu", requires_grad=False, is_leaf=True, bridge=node, origin=node,
                     provenance=q, anchor=a.anchor)

    def numpy_asarray(self, node: cst.Call, q: str, args: Args, st: State) -> Optional[Value]:
        """``numpy.asarray(x)``: the array itself, or one sharing a cpu tensor's memory; None
        (not decided here) with a dtype or anything else."""
        a = args.get(0)
        dv = args.get(1, "dtype")
        if a is not None and a.kind is Kind.NDARRAY and dv is None:
            return a
        if a is not None and a.kind is Kind.TENSOR and dv is None:
            group = a.storage if a.storage is not None else ("n", id(node))
            if a.device in ("cpu", None):
                self.bridge(group, node, "torch", st)
                return Value(Kind.NDARRAY, dtype=a.dtype, shape=a.shape, storage=group, device="cpu",
                             bridge=node, origin=node, provenance=q)
        return None

    def as_tensor(self, node: cst.Call, q: str, args: Args, st: State) -> Value:
        a = args.get(0, "data")
        if a is None:
            return self.fresh(node, Kind.TENSOR)
        dv = args.get(1, "dtype")
        given, dt = dtype_arg(dv) if dv is not None else (False, None)
        dev = args.get(2 if q == "torch.as_tensor" else None, "device")
        device = device_of(dev) if dev is not None else "cpu"
        if a.kind in (Kind.NDARRAY, Kind.TENSOR):
            same_dtype = (not given) or (dt is not None and dt == a.dtype)
            same_dev = device in ("cpu",) if a.kind is Kind.NDARRAY else (dev is None)
            if same_dtype and same_dev:
                group = a.storage if a.storage is not None else ("n", id(node))
                if a.kind is Kind.NDARRAY:
                    self.bridge(group, node, "numpy", st)
                    return Value(Kind.TENSOR, dtype=a.dtype, shape=a.shape, storage=group, device="cpu",
                                 bridge=node, origin=node, provenance=q, anchor=a.anchor)
                return a.evolve(origin=node)
            known = (not given or dt is not None) and (dev is None or device is not None)
            return Value(Kind.TENSOR, dtype=dt if given else a.dtype, shape=a.shape,
                         storage=("n", id(node)) if known else None, device=device, origin=node, provenance=q)
        created = creation_value("torch.tensor", node, lambda e: self.fa._values.get(e, UNKNOWN), self.default_float)
        if created is not None:
            return C.start(created.evolve(storage=("n", id(node)), provenance=q), node)
        return self.fresh(node, Kind.TENSOR)

    def bridge(self, group: Any, node: cst.CSTNode, source_side: str, st: State, source: Optional[Value] = None) -> None:
        if source is not None and source.initialized is False:
            return  # filling an uninitialised buffer (torch.empty) through the other side is the point
        st.bridged = st.bridged | {group}
        self.fa.bridges.setdefault(group, (node, source_side))

    def note_write(self, node: cst.CSTNode, v: Value, key: Optional[str], st: State,
                   target: Optional[cst.CSTNode] = None) -> None:
        """An in-place write of ``v``'s memory at ``node``; ``target`` the expression written
        through. A write through the crossing call itself (``np.random.shuffle(x.numpy())``,
        ``torch.from_numpy(a).add_(1)``, ``t.numpy()[:, 0] = 0``) has no other handle on that
        memory than the other side: changing it is the point, not a surprise."""
        g = v.storage
        if g is None or g not in st.bridged:
            return
        while isinstance(target, cst.Subscript):
            target = target.value
        if target is not None and v.bridge is target:
            return
        side = side_of(v) or self._source_side(g)
        if not side:
            return
        ev = Event(WRITE, node, key, v, group=g, side=side)
        st.pending = st.pending | {ev}
        self.emit(ev)

    def forget_reallocated(self, node: cst.CSTNode, st: State) -> None:
        """``node`` runs again (a loop's next iteration, where ``samples = gen(z)`` is a new
        tensor each time): the memory its last run made, named after the node like the new
        one, is another buffer now. Writes pending on it and its sharing are forgotten, so a
        read of the new buffer is no read of the old one (a name rebound to ``.numpy()`` of a
        fresh tensor, then written in place). What still holds the old buffer is not followed
        any more: silence, not a guess."""
        group = ("n", id(node))
        if group in st.bridged or any(w.group == group for w in st.pending):
            st.bridged = st.bridged - {group}
            st.pending = frozenset(w for w in st.pending if w.group != group)

    def _source_side(self, g: Any) -> str:
        b = self.fa.bridges.get(g)
        return b[1] if b else ""

    def note_read(self, node: cst.CSTNode, v: Value, st: State) -> None:
        side = side_of(v) or self._source_side(v.storage)
        if not side:
            return
        self.emit(Event(READ, node, key_of(node), v, group=v.storage, side=side))
        for w in st.pending:
            if w.group == v.storage and w.side != side:
                self.fa._note_hazard(w, node, v)


# qualified name -> handler of the calls that cross between numpy and torch (read by
# torch_functions.call_function before anything else)
BRIDGES = {
    "torch.from_numpy": AliasingMixin.from_numpy,
    "torch.as_tensor": AliasingMixin.as_tensor, "torch.asarray": AliasingMixin.as_tensor,
    "numpy.asarray": AliasingMixin.numpy_asarray, "numpy.asanyarray": AliasingMixin.numpy_asarray,
}
