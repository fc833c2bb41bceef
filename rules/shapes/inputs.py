"""Where a model's input shape comes from. First match wins:

1. a comment ``# ptlint: input=(1, 3, 32, 32)`` on (or just above) the class or
   ``Sequential`` line;
2. a call in the same file that feeds the model a literal tensor
   (``net(torch.randn(1, 3, 32, 32))``, ``torch.zeros``, ``torch.rand`` …) or one sample
   of a dataset of source 4 (``net(train_data[0][0])``: ``(C, H, W)``, no batch
   dimension; a model fed a sample never takes the dataset's batched shape);
3. ``torchsummary.summary(net, (3, 32, 32))`` / ``torchinfo.summary(net, input_size=(…))``;
4. a dataset known from the same file (``datasets.MNIST`` → ``(N, 1, 28, 28)``,
   ``CIFAR10`` → ``(N, 3, 32, 32)``) unless a transform may change the image size.

``ptlint shapes --input`` overrides all of them (source ``cli``)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional

import libcst as cst

from ..input_comments import comment_input as declared_input
from ..vision_datasets import dataset_shape, transform_arg, transform_effect
from .dims import Shape

SOURCES = ("comment", "call", "summary", "dataset")

@dataclass
class InputInfo:
    shape: Shape
    source: str  # comment | call | summary | dataset | cli
    node: Optional[cst.CSTNode] = None  # the comment, call or dataset constructor
    detail: str = ""  # e.g. "datasets.MNIST" (source dataset, or the dataset a called sample is of)
    dtype: Optional[str] = None  # rules/dtypes.py's name ("float32", SOME_FLOAT …); None: unknown
    # Worked out from what a dataset yields rather than written in the code (a dataset, or a
    # call with one sample of it): a fix built on it is unsafe.
    inferred: bool = False

    def describe(self, locate: Optional[Callable[[cst.CSTNode], Optional[tuple]]]) -> tuple[str, str]:
        place = locate(self.node) if (locate and self.node is not None) else None
        at_zh, at_en = at_text(place)
        at_en = f" on {at_en}" if at_en else ""
        if self.source == "comment":
            return f"见{at_zh}的 ptlint 注释", f"from the ptlint comment{at_en}"
        if self.source == "call" and self.detail:
            return (f"来自{at_zh}的调用，传入的是 {self.detail} 的一个样本",
                    f"from the call{at_en}, given one sample of {self.detail}")
        if self.source == "call":
            return f"来自{at_zh}的调用", f"from the call{at_en}"
        if self.source == "summary":
            return f"来自{at_zh}的 summary(…)", f"from summary(…){at_en}"
        if self.source == "dataset":
            return f"来自{at_zh}的 {self.detail}", f"from {self.detail}{at_en}"
        return "来自命令行 --input", "from --input"


def at_text(place: Optional[tuple]) -> tuple[str, str]:
    """("第 3 个单元格第 2 行", "cell 3, line 2") / ("第 12 行", "line 12") / ("", "")."""
    if not place:
        return "", ""
    cell, line = place
    if cell is not None:
        return f"第 {cell} 个单元格第 {line} 行", f"cell {cell}, line {line}"
    return f"第 {line} 行", f"line {line}"


def comment_input(stmt: cst.CSTNode) -> Optional[tuple[Shape, cst.Comment]]:
    """A ``# ptlint: input=…`` comment directly above the statement or on its first line
    (``rules/input_comments.py``), as a shape."""
    found = declared_input(stmt)
    return (Shape(found[0]), found[1]) if found is not None else None


def other_datasets_disagree(module: cst.Module, qualname: Callable[[cst.BaseExpression], Optional[str]],
                            judged: dict[int, bool], shape: tuple[int, ...]) -> bool:
    """True when the file also builds, anywhere (a LightningDataModule's ``setup``, a
    helper), a known dataset whose tensors may have another size (``Resize``,
    ``RandomCrop``, another dataset): which one feeds the model is then not known, so the
    dataset is no evidence of the input shape. ``judged``: id of each construction the run
    reached -> whether its transform surely keeps the size and makes a tensor; the others
    are read from the source. A construction without a transform
    (``MNIST(root, download=True)``) yields images, not tensors, and says nothing either way."""
    assigned = _module_assignments(module)
    found: list[bool] = []

    class _Datasets(cst.CSTVisitor):
        def visit_Call(self, node: cst.Call) -> None:
            q = qualname(node.func)
            ds = dataset_shape(q) if q else None
            if ds is None:
                return
            tf = transform_arg(node)
            if tf is None:
                return
            keeps = judged[id(node)] if id(node) in judged else _keeps_size(tf, qualname, assigned)
            if ds[1] != shape or not keeps:
                found.append(True)

    from ..astutil import walk

    walk(module, _Datasets())
    return bool(found)


def _module_assignments(module: cst.Module) -> dict[str, Optional[cst.BaseExpression]]:
    """Module-level ``name = value`` (None for a name assigned more than once)."""
    out: dict[str, Optional[cst.BaseExpression]] = {}
    for stmt in module.body:
        if not isinstance(stmt, cst.SimpleStatementLine):
            continue
        for small in stmt.body:
            if isinstance(small, cst.Assign) and len(small.targets) == 1 and isinstance(small.targets[0].target, cst.Name):
                name = small.targets[0].target.value
                out[name] = None if name in out else small.value
    return out


def _keeps_size(expr: cst.BaseExpression, qualname: Callable[[cst.BaseExpression], Optional[str]],
                assigned: dict[str, Optional[cst.BaseExpression]]) -> bool:
    """The transform, read from the source, surely keeps the image size and makes a tensor."""
    if isinstance(expr, cst.Name) and assigned.get(expr.value) is not None:
        expr = assigned[expr.value]  # type: ignore[assignment]
    effect = transform_effect(expr, qualname)
    return effect.keeps_size and effect.makes_tensor
