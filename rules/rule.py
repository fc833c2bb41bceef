"""The rule framework: one class per rule, shaped like Fixit's rules.

A rule subclasses :class:`Rule`, declares its code, kebab name, severity, zh/en message
and docs, must-flag / must-not-flag examples, and defines ``visit_<Node>`` /
``leave_<Node>`` methods. The engine runs every enabled rule in one traversal.
Defining the class registers it; adding a rule is adding one file to ``catalog/``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Optional, Sequence, Union

import libcst as cst

from .findings import FixSafety, Severity

if TYPE_CHECKING:
    from .engine import FileContext

# Marks the line a must-flag example expects a finding on.
EXPECT_MARKER = "# <-"


@dataclass(frozen=True)
class Message:
    zh: str
    en: str

    def format(self, **args: Any) -> tuple[str, str]:
        return self.zh.format(**args), self.en.format(**args)


@dataclass(frozen=True)
class Docs:
    """Markdown bodies. zh uses the sections 它检查什么 / 为什么有问题 / 示例 / 如何修复;
    en uses What it finds / Why it is a problem / Example / How to fix."""

    zh: str
    en: str

    def get(self, lang: str) -> str:
        return self.en if lang == "en" else self.zh


DOC_SECTIONS = {
    "zh": ("## 它检查什么", "## 为什么有问题", "## 示例", "## 如何修复"),
    "en": ("## What it finds", "## Why it is a problem", "## Example", "## How to fix"),
}


# ---------------------------------------------------------------------- fix specs
# Rules describe edits against nodes; the engine turns them into text edits once
# positions are known (positions are only computed for what is reported).
@dataclass(frozen=True)
class Replace:
    node: cst.CSTNode
    new: Union[str, cst.CSTNode]


@dataclass(frozen=True)
class InsertBefore:
    node: cst.CSTNode
    text: str


@dataclass(frozen=True)
class InsertAfter:
    node: cst.CSTNode
    text: str


@dataclass(frozen=True)
class InsertStatementBefore:
    """Insert ``code`` as a new line before ``stmt`` with the same indentation."""

    stmt: cst.CSTNode
    code: str


EditSpec = Union[Replace, InsertBefore, InsertAfter, InsertStatementBefore]


@dataclass(frozen=True)
class FixSpec:
    edits: tuple[EditSpec, ...]
    title_zh: str
    title_en: str
    safety: FixSafety = FixSafety.SAFE


@dataclass(frozen=True)
class Related:
    node: cst.CSTNode
    message_zh: str
    message_en: str


@dataclass
class Report:
    """What a rule reported during the traversal, before positions are known."""

    rule: "Rule"
    node: cst.CSTNode
    message_zh: str
    message_en: str
    severity: Severity
    fix: Optional[FixSpec] = None
    related: Sequence[Related] = ()
    extra: dict[str, Any] = field(default_factory=dict)
    alt_fixes: Sequence[FixSpec] = ()


REGISTRY: dict[str, type["Rule"]] = {}


class Rule:
    code: ClassVar[str] = ""
    name: ClassVar[str] = ""
    severity: ClassVar[Severity] = Severity.WARNING
    message: ClassVar[Message]
    docs: ClassVar[Docs]
    must_flag: ClassVar[Sequence[str]] = ()
    must_not_flag: ClassVar[Sequence[str]] = ()
    fix_safety: ClassVar[Optional[FixSafety]] = None  # None: this rule offers no fix
    # Every safety this rule's fixes may have when the code decides (PT005: safe or unsafe
    # by where the input shape came from); empty: always ``fix_safety``. See safeties().
    fix_safeties: ClassVar[tuple[FixSafety, ...]] = ()
    # The file is only parsed for this rule if its text mentions one of these words.
    mentions: ClassVar[tuple[str, ...]] = ("torch",)
    # Codes this rule explains better: a finding of one of them at the same place as a
    # finding of this rule is dropped (one problem, one finding).
    supersedes: ClassVar[tuple[str, ...]] = ()

    def __init_subclass__(cls, **kw: Any) -> None:
        super().__init_subclass__(**kw)
        if not cls.code:
            return  # abstract helper base
        other = REGISTRY.get(cls.code)
        if other is not None and other.__qualname__ != cls.__qualname__:
            raise ValueError(f"rule code {cls.code} used by both {other.__qualname__} and {cls.__qualname__}")
        REGISTRY[cls.code] = cls
        cls._handlers = tuple(
            n for n in dir(cls) if (n.startswith("visit_") or n.startswith("leave_")) and callable(getattr(cls, n))
        )

    _handlers: ClassVar[tuple[str, ...]] = ()

    def __init__(self, ctx: "FileContext") -> None:
        self.ctx = ctx
        self.reports: list[Report] = []

    # ------------------------------------------------------------------ reporting
    def report(
        self,
        node: cst.CSTNode,
        *,
        message: Optional[Message] = None,
        fix: Optional[FixSpec] = None,
        related: Sequence[Related] = (),
        severity: Optional[Severity] = None,
        extra: Optional[dict[str, Any]] = None,
        alt_fixes: Sequence[FixSpec] = (),
        **args: Any,
    ) -> None:
        zh, en = (message or self.message).format(**args)
        self.reports.append(
            Report(self, node, zh, en, severity or self.severity, fix, tuple(related), extra or {},
                   tuple(alt_fixes))
        )

    def finish(self) -> None:
        """Called once after the traversal (for rules that decide at the end)."""

    @property
    def active(self) -> bool:
        """False: this rule has nothing to do in this file; the engine neither
        dispatches nodes to it nor calls ``finish`` (see rules/gating.py's Gated)."""
        return True

    # ------------------------------------------------------------------ helpers
    def qualname(self, node: cst.BaseExpression) -> Optional[str]:
        return self.ctx.qualname(node)

    def call_chain_related(self, chain: Sequence[cst.Call], passed_zh: str, passed_en: str) -> list[Related]:
        """Related locations for a finding drawn from a call-site pass (flow/call_sites.py:
        ``site.chain``, outermost call first): the helper's own call ("called here with
        {passed}"), then each call of a helper that led to it, innermost first, from the
        finding outwards to where the values come from."""
        names = [self.ctx.code_for(call.func).strip() for call in chain]
        out = [Related(chain[-1], f"`{names[-1]}()` 在这里被调用，传入了{passed_zh}",
                       f"`{names[-1]}()` is called here with {passed_en}")]
        for call, outer, inner in zip(chain[-2::-1], names[-2::-1], names[:0:-1]):
            out.append(Related(call, f"`{outer}()` 在这里被调用，它又调用了 `{inner}()`",
                               f"`{outer}()` is called here and calls `{inner}()`"))
        return out

    @staticmethod
    def layer_call_related(call: Any) -> list[Related]:
        """Related locations for a finding at a layer call the flow followed
        (``flow.LayerCall``): where the layer is defined, then each call that gave the input."""
        label = call.outcome.label
        out = [Related(call.layer, f"{label} 在这里定义", f"{label} is defined here")] if call.layer is not call.node else []
        chain = call.chain
        if call.declared is not None:  # the pass of a ``# ptlint: input=`` comment: its first call is the constructor
            out.append(Related(call.declared, "输入形状来自这条 ptlint 注释", "the input shape comes from this ptlint comment"))
            chain = chain[1:]
        return out + [Related(site, "输入形状来自这次调用", "the input shape comes from this call") for site in chain]

    @classmethod
    def kebab(cls) -> str:
        return cls.name

    @classmethod
    def safeties(cls) -> tuple[FixSafety, ...]:
        """The safeties this rule's fixes can have, safe first; () when it offers no fix."""
        found = set(cls.fix_safeties) | ({cls.fix_safety} if cls.fix_safety is not None else set())
        return tuple(s for s in FixSafety if s in found)


def all_rules() -> dict[str, type[Rule]]:
    """Every registered rule, importing the catalog on first use."""
    from . import catalog  # noqa: F401  (importing registers the rules)

    catalog.load_all()
    return dict(sorted(REGISTRY.items()))


def get_rule(code: str) -> Optional[type[Rule]]:
    return all_rules().get(code.upper())
