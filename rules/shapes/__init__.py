"""Static shape inference: dims and shapes, layer transfer functions, model extraction,
input-shape sources and the per-file :class:`ShapeAnalysis` (``ctx.analysis(ShapeAnalysis)``).

Nothing here imports torch."""
from .analysis import ModelEntry, ShapeAnalysis
from .dims import Dim, Shape, fmt_shape
from .inputs import InputInfo
from .trace import drop_text, problem_text

__all__ = ["Dim", "InputInfo", "ModelEntry", "Shape", "ShapeAnalysis", "drop_text", "fmt_shape", "problem_text", "shapes_report"]


def shapes_report(source_text, path="<stdin>", *, input_shape=None, model=None):
    """The ``ptlint shapes --format json`` document for a source text (see docs/shapes.md)."""
    from .report import shapes_report as _report

    return _report(source_text, path, input_shape=input_shape, model=model)
