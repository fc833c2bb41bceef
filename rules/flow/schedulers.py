"""Learning-rate schedulers as flow values: which calls build one, and which optimizer it
drives.

Contract: ``scheduler_value(node, q, args)`` is the ``Kind.SCHEDULER`` value of a call to
``q`` (a ``torch.optim.lr_scheduler`` class, or a schedule factory of another library built
on torch's ``LambdaLR``), None for any other call. ``driven_optimizer(value)`` is the key of
the optimizer a scheduler value was built on (None: not a plain name, or unknown).
``metric_driven(value)``: the scheduler follows a metric it is given (``ReduceLROnPlateau``),
not a schedule, so no call order skips one of its values. ``SCHEDULER_WORDS``: a file whose text holds none of these builds no scheduler."""
from __future__ import annotations

from typing import Optional

import libcst as cst

from ..astutil import get_arg
from .args import Args, key_of
from .values import Kind, Value

_TORCH = "torch.optim.lr_scheduler."

# Schedules of other libraries built on torch's LambdaLR: the same step counter, the same
# "Detected call of lr_scheduler.step() before optimizer.step()" warning and skipped first
# value. Qualified name -> position of the optimizer argument. (timm's schedulers are not
# here: they set the rate from the epoch/update number they are given, so their call order
# skips nothing.)
_HF_SCHEDULES = (
    "get_linear_schedule_with_warmup", "get_cosine_schedule_with_warmup", "get_constant_schedule",
    "get_constant_schedule_with_warmup", "get_cosine_with_hard_restarts_schedule_with_warmup",
    "get_polynomial_decay_schedule_with_warmup", "get_inverse_sqrt_schedule", "WarmupLinearSchedule",
    "WarmupCosineSchedule", "WarmupConstantSchedule", "WarmupCosineWithHardRestartsSchedule",
)
LAMBDA_LR_FACTORIES: dict[str, int] = {
    f"{pkg}{name}": 0
    for pkg in ("transformers.", "transformers.optimization.", "pytorch_transformers.",
                "pytorch_transformers.optimization.")
    for name in _HF_SCHEDULES
} | {"transformers.get_scheduler": 1, "transformers.optimization.get_scheduler": 1}

# Schedulers driven by a metric, not by a schedule: stepped before the first optimizer step
# they only count one evaluation (torch 2.13 gives no warning and skips no value)
_METRIC_DRIVEN = frozenset({f"{_TORCH}ReduceLROnPlateau"})

# torch's module path, and the "schedule" of every factory above (get_*_schedule*,
# Warmup*Schedule, get_scheduler)
SCHEDULER_WORDS = ("lr_scheduler", "chedule")


def scheduler_value(node: cst.Call, q: str, args: Args) -> Optional[Value]:
    if q.startswith(_TORCH) and q.rpartition(".")[2][:1].isupper():
        return Value(Kind.SCHEDULER, spec=q, origin=node)
    if q in LAMBDA_LR_FACTORIES and not args.star:
        return Value(Kind.SCHEDULER, spec=q, origin=node)
    return None  # star arguments hide which one is the optimizer


def driven_optimizer(value: Optional[Value]) -> Optional[str]:
    ctor = value.origin if value is not None else None
    if value is None or value.kind is not Kind.SCHEDULER or not isinstance(ctor, cst.Call):
        return None
    arg = get_arg(ctor, LAMBDA_LR_FACTORIES.get(value.spec or "", 0), "optimizer")
    return key_of(arg.value) if arg is not None else None


def metric_driven(value: Optional[Value]) -> bool:
    return value is not None and value.spec in _METRIC_DRIVEN
