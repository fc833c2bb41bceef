"""Hover documentation for torch API names: the typed record, the lookup tables and the
markdown the language server shows.

The text itself lives in the ``api_*.py`` modules next to this one, one module per area.
They are plain data (strings and dataclasses), loaded on the first lookup, so importing
``ptlint.rules.docs`` stays cheap and never touches torch.

Conventions every entry follows (the tests check them):

* ``qualname`` is the canonical dotted name the import table produces
  (``torch.nn.functional.relu``, ``torch.optim.lr_scheduler.StepLR``). Methods and
  attributes are written on their class: ``torch.Tensor.view``, ``torch.nn.Module.apply``,
  ``torch.optim.Optimizer.zero_grad``, ``torch.optim.lr_scheduler.LRScheduler.step``.
  That spelling is also what makes ``method_doc("view")`` find them.
* ``aliases`` are the other spellings of the same object (``torch.relu``,
  ``torch.Tensor.relu`` for ``torch.nn.functional.relu``): all of them map to one doc.
* ``zh`` / ``en`` are markdown: the first sentence is the conclusion, then the reason,
  then how to use or fix it. ``example`` is Python shared by both languages; it may use
  ``torch``, ``nn``, ``F``, ``optim``, ``np`` and the placeholders ``model``, ``opt``,
  ``loader``, ``loss_fn``. A line ending in ``# → value`` shows what the line evaluates
  to, ``# ✗ Error`` marks a line that raises, ``# ⚠ Warning`` one that warns; the test
  suite runs every example against the installed torch and checks those comments.
"""
from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Iterable, Literal, Optional

Kind = Literal["function", "class", "method", "attribute"]
Receiver = Literal["tensor", "module", "optimizer", "scheduler"]

# The class each receiver kind's methods are documented on.
RECEIVER_CLASSES: dict[str, str] = {
    "tensor": "torch.Tensor",
    "module": "torch.nn.Module",
    "optimizer": "torch.optim.Optimizer",
    "scheduler": "torch.optim.lr_scheduler.LRScheduler",
}
# Which receiver a bare method name means when the caller cannot tell: ``opt.zero_grad()``
# and ``opt.step()`` are far more common than the module / scheduler spellings.
_DEFAULT_RECEIVER: dict[str, str] = {"zero_grad": "optimizer", "step": "optimizer"}
_RECEIVER_ORDER = ("tensor", "module", "optimizer", "scheduler")

# Python operators that are tensor operations, for hovers on ``a @ b`` or ``x[i]``.
OPERATORS: dict[str, str] = {
    "@": "torch.matmul",
    "*": "torch.mul",
    "/": "torch.div",
    "+": "torch.add",
    "-": "torch.sub",
    "**": "torch.pow",
    "[]": "torch.Tensor.__getitem__",
}

_DATA_MODULES = ("api_creation", "api_tensor", "api_shape", "api_autograd", "api_nn", "api_init_loss", "api_optim")


@dataclass(frozen=True)
class ApiDoc:
    """One hover entry: a torch API, its documented signature and a bilingual explanation."""

    qualname: str
    signature: str
    zh: str
    en: str
    see_also: tuple[str, ...] = ()
    kind: Kind = "function"
    example: str = ""
    aliases: tuple[str, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        """Every qualified name this entry answers to, canonical first."""
        return (self.qualname, *self.aliases)

    def text(self, lang: str) -> str:
        return self.en if lang == "en" else self.zh


@dataclass
class _Registry:
    docs: list[ApiDoc] = field(default_factory=list)
    by_name: dict[str, ApiDoc] = field(default_factory=dict)
    by_method: dict[tuple[str, str], ApiDoc] = field(default_factory=dict)

    def add(self, doc: ApiDoc) -> None:
        for name in doc.names:
            if name in self.by_name:
                raise ValueError(f"{name} is documented twice ({self.by_name[name].qualname}, {doc.qualname})")
            self.by_name[name] = doc
            for receiver, cls in RECEIVER_CLASSES.items():
                owner, _, member = name.rpartition(".")
                if owner == cls:
                    self.by_method[(receiver, member)] = doc
        self.docs.append(doc)


def doc(
    qualname: str,
    signature: str,
    zh: str,
    en: str,
    *,
    kind: Kind = "function",
    example: str = "",
    see_also: Iterable[str] = (),
    aliases: Iterable[str] = (),
) -> ApiDoc:
    """Build an entry from indented triple-quoted text (the data modules use this)."""
    return ApiDoc(
        qualname=qualname,
        signature=signature,
        zh=textwrap.dedent(zh).strip(),
        en=textwrap.dedent(en).strip(),
        see_also=tuple(see_also),
        kind=kind,
        example=textwrap.dedent(example).strip(),
        aliases=tuple(aliases),
    )


@lru_cache(maxsize=1)
def _registry() -> _Registry:
    from importlib import import_module

    reg = _Registry()
    for mod in _DATA_MODULES:
        for entry in import_module(f"{__package__}.{mod}").DOCS:
            reg.add(entry)
    return reg


def _normalise(qualname: str) -> str:
    # ``torch.nn.modules.loss.CrossEntropyLoss`` and friends are what a few import styles
    # produce; the public name is what we document.
    m = re.match(r"torch\.nn\.modules\.[a-z_]+\.([A-Za-z0-9_]+)$", qualname)
    if m:
        return f"torch.nn.{m.group(1)}"
    if qualname.startswith("torch.optim.optimizer.Optimizer."):
        return "torch.optim.Optimizer." + qualname.rsplit(".", 1)[1]
    return qualname


def api_doc(qualname: str) -> Optional[ApiDoc]:
    """The entry for a canonical qualified name (``torch.from_numpy``,
    ``torch.nn.functional.relu``, ``torch.Tensor.view``), or None."""
    reg = _registry()
    found = reg.by_name.get(qualname)
    if found is None:
        found = reg.by_name.get(_normalise(qualname))
    return found


def method_doc(name: str, receiver: Optional[str] = None) -> Optional[ApiDoc]:
    """The entry for ``x.<name>`` (method or attribute).

    ``receiver`` ("tensor", "module", "optimizer", "scheduler") picks between same-named
    methods when the caller knows what ``x`` is: ``model.to(device)`` works in place while
    ``x.to(device)`` returns a new tensor. Without it the most common meaning is returned.
    """
    reg = _registry()
    if receiver is not None:
        return reg.by_method.get((receiver, name))
    preferred = _DEFAULT_RECEIVER.get(name)
    order = ((preferred,) if preferred else ()) + _RECEIVER_ORDER
    for recv in order:
        found = reg.by_method.get((recv, name))
        if found is not None:
            return found
    return None


def operator_doc(op: str) -> Optional[ApiDoc]:
    """The entry for a Python operator applied to tensors: ``@``, ``*``, ``[]``…"""
    target = OPERATORS.get(op)
    return api_doc(target) if target else None


def all_api_docs() -> tuple[ApiDoc, ...]:
    """Every distinct entry, in catalogue order (for the docs search index)."""
    return tuple(_registry().docs)


def method_receivers(doc_: ApiDoc) -> tuple[str, ...]:
    """Receiver kinds (``tensor``, ``module``…) under which ``doc_`` is a method/attribute."""
    out = []
    for name in doc_.names:
        owner = name.rpartition(".")[0]
        for receiver, cls in RECEIVER_CLASSES.items():
            if owner == cls and receiver not in out:
                out.append(receiver)
    return tuple(out)


# Markdown emphasis characters inside the bold signature line: ``*`` always, ``_`` only at
# the start of a word (``__getitem__``); intraword underscores (``zeros_like``) are inert.
_EMPHASIS = re.compile(r"\*|(?<![A-Za-z0-9])_")

_LABELS = {
    "zh": {"see": "另见：", "sep": "、"},
    "en": {"see": "See also: ", "sep": ", "},
}


def _bold_signature(signature: str) -> str:
    return "**" + _EMPHASIS.sub(lambda m: "\\" + m.group(0), signature) + "**"


def api_hover_markdown(entry: ApiDoc, lang: str = "zh") -> str:
    """Hover markdown in the house style: bold signature line, the explanation (conclusion
    first, then reason and usage), a copyable example, then related APIs."""
    lang = "en" if lang == "en" else "zh"
    parts = [_bold_signature(entry.signature), entry.text(lang)]
    if entry.example:
        parts.append(f"```python\n{entry.example}\n```")
    if entry.see_also:
        labels = _LABELS[lang]
        parts.append(labels["see"] + labels["sep"].join(f"`{s}`" for s in entry.see_also))
    return "\n\n".join(parts) + "\n"
