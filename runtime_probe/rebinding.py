"""Does a name the probe rebuilds still mean torch's?

The shape engine resolves ``nn.Conv2d`` through the file's imports; the probe then
emits *torch's* ``torch.nn.Conv2d``. When the file also rebinds the name it spelled
(``nn = Evil()``, ``import os as nn``, a local ``class Conv2d`` after
``from torch.nn import Conv2d``, ``def relu`` shadowing an imported ``relu``, or
``nn.Conv2d = …``), verifying torch's layer would say "ok" about code that runs
something else: the model is unverifiable instead.

This check reads the file on its own (stdlib ``ast``), so it stays correct whatever
the name resolution of the static rules does. It is conservative: a binding anywhere
in the file (any scope) counts, since the probe cannot tell which one wins at run
time."""
from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from typing import Any, Iterable, Optional

_HEAD = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)")


@dataclass(frozen=True)
class Rebound:
    name: str  # as the file spells it: ``nn``, or ``nn.Conv2d`` for an attribute store
    line: int
    cell: Optional[int] = None

    def reason(self) -> tuple[str, str]:
        where_zh = f"第 {self.cell} 个单元格第 {self.line} 行" if self.cell is not None else f"第 {self.line} 行"
        where_en = f"line {self.line} of cell {self.cell}" if self.cell is not None else f"line {self.line}"
        return (f"{where_zh}重新绑定了 `{self.name}`，它不一定还是 torch 的；探针只重建 torch 自己的层和函数",
                f"`{self.name}` is rebound on {where_en}, so it may not be torch's; the probe only rebuilds "
                f"torch's own layers and functions")


def _is_torch(module: Optional[str]) -> bool:
    return module is not None and (module == "torch" or module.startswith("torch."))


@dataclass
class _Unit:
    tree: Optional[ast.AST]
    lines: list[str]
    cell: Optional[int]


class Bindings:
    """Every binding of every name in a file (or notebook), read once."""

    def __init__(self, units: Iterable[tuple[str, Optional[int]]]) -> None:
        self.units: list[_Unit] = []
        self.torch_imports: dict[str, set[str]] = {}  # name -> torch modules/objects it was imported as
        self.star_from_torch = False
        self.others: dict[str, list[tuple[int, Optional[int]]]] = {}  # name -> non-torch bindings (line, cell)
        self.attr_stores: dict[str, list[tuple[str, int, Optional[int]]]] = {}  # root -> (dotted, line, cell)
        for text, cell in units:
            try:
                tree: Optional[ast.AST] = ast.parse(text)
            except (SyntaxError, ValueError, RecursionError, MemoryError):
                tree = None
            self.units.append(_Unit(tree, text.splitlines(), cell))
            if tree is not None:
                self._scan(tree, cell)

    # ------------------------------------------------------------------ scanning
    def _other(self, name: str, node: Any, cell: Optional[int]) -> None:
        self.others.setdefault(name, []).append((getattr(node, "lineno", 0), cell))

    def _scan(self, tree: ast.AST, cell: Optional[int]) -> None:
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for a in node.names:
                    bound = a.asname or a.name.split(".")[0]
                    if _is_torch(a.name):
                        self.torch_imports.setdefault(bound, set()).add(a.name if a.asname else bound)
                    else:
                        self._other(bound, node, cell)
            elif isinstance(node, ast.ImportFrom):
                torch_mod = node.level == 0 and _is_torch(node.module)
                for a in node.names:
                    if a.name == "*":
                        self.star_from_torch |= torch_mod
                        continue
                    bound = a.asname or a.name
                    if torch_mod:
                        self.torch_imports.setdefault(bound, set()).add(f"{node.module}.{a.name}")
                    else:
                        self._other(bound, node, cell)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
                self._other(node.id, node, cell)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                self._other(node.name, node, cell)
            elif isinstance(node, ast.arg):
                self._other(node.arg, node, cell)
            elif isinstance(node, ast.ExceptHandler) and node.name:
                self._other(node.name, node, cell)
            elif isinstance(node, ast.Global) or isinstance(node, ast.Nonlocal):
                continue
            elif type(node).__name__ in ("MatchAs", "MatchStar") and getattr(node, "name", None):
                self._other(node.name, node, cell)  # type: ignore[attr-defined]
            elif type(node).__name__ == "MatchMapping" and getattr(node, "rest", None):
                self._other(node.rest, node, cell)  # type: ignore[attr-defined]
            elif isinstance(node, (ast.Attribute, ast.Subscript)) and isinstance(node.ctx, (ast.Store, ast.Del)):
                self._attr_store(node, cell)
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("setattr", "delattr") \
                    and node.args:
                root = _root(node.args[0])
                if root is not None:
                    self.attr_stores.setdefault(root, []).append((f"{_dotted(node.args[0])}", node.lineno, cell))

    def _attr_store(self, node: ast.AST, cell: Optional[int]) -> None:
        """``nn.Conv2d = Evil``, ``torch.nn.functional.relu = f``, ``globals()["nn"] = …``."""
        target = node.value if isinstance(node, ast.Subscript) else node  # type: ignore[attr-defined]
        if isinstance(node, ast.Subscript) and isinstance(target, ast.Call) and isinstance(target.func, ast.Name) \
                and target.func.id in ("globals", "locals", "vars"):
            self.attr_stores.setdefault("*", []).append((f"{target.func.id}()", node.lineno, cell))
            return
        root = _root(target)
        if root is not None and isinstance(node, ast.Attribute):
            self.attr_stores.setdefault(root, []).append((_dotted(node), node.lineno, cell))

    # ------------------------------------------------------------------ questions
    def head_at(self, rng: Any) -> Optional[str]:
        """The leading identifier of the source at a range's start (``nn`` of ``nn.Conv2d(…)``)."""
        try:
            line, col = int(rng["start"]["line"]), int(rng["start"]["column"])
        except (KeyError, TypeError, ValueError):
            return None
        cell = rng.get("cell")
        for u in self.units:
            if u.cell == cell and 1 <= line <= len(u.lines):
                m = _HEAD.match(u.lines[line - 1], col)
                return m.group(1) if m else None
        return None

    def rebound(self, head: str, qualname: Optional[str] = None) -> Optional[Rebound]:
        """The first binding that makes ``head`` (as spelled at a rebuilt call) mean
        something other than what torch's import gave it; None when it is torch's."""
        if "*" in self.attr_stores:
            name, line, cell = self.attr_stores["*"][0]
            return Rebound(name, line, cell)
        trusted = head in self.torch_imports or head == "torch" or (
            qualname is not None and self.star_from_torch and qualname.rsplit(".", 1)[-1] == head)
        if not trusted:
            return None  # a helper of the file's own (the engine followed it), not a torch name
        if len(self.torch_imports.get(head, ())) > 1:  # imported as two different torch things
            return Rebound(head, self._import_line(head), None)
        hits = [Rebound(head, line, cell) for line, cell in self.others.get(head, [])]
        hits += [Rebound(name, line, cell) for name, line, cell in self.attr_stores.get(head, [])]
        if not hits:
            return None
        return min(hits, key=lambda r: (r.cell or 0, r.line))

    def torch_names(self) -> set[str]:
        return set(self.torch_imports) | {"torch"}

    def class_names(self) -> list[str]:
        return [node.name for u in self.units if u.tree is not None
                for node in ast.walk(u.tree) if isinstance(node, ast.ClassDef)]

    def names_used_by(self, cls: str) -> set[str]:
        """Names read inside class ``cls`` and in the arguments of calls ``cls(...)``
        (``ResNet(BasicBlock, [2, 2, 2, 2])``): the blocks it is built from."""
        out: set[str] = set()
        for u in self.units:
            if u.tree is None:
                continue
            for node in ast.walk(u.tree):
                if isinstance(node, ast.ClassDef) and node.name == cls:
                    out |= {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
                elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == cls:
                    for a in [*node.args, *(k.value for k in node.keywords)]:
                        out |= {n.id for n in ast.walk(a) if isinstance(n, ast.Name)}
        return out

    def _import_line(self, head: str) -> int:
        lines = []
        for u in self.units:
            if u.tree is None:
                continue
            for node in ast.walk(u.tree):
                if isinstance(node, (ast.Import, ast.ImportFrom)) and any(
                        (a.asname or a.name.split(".")[0] if isinstance(node, ast.Import) else a.asname or a.name) == head
                        for a in node.names):
                    lines.append(node.lineno)
        return sorted(lines)[1] if len(lines) > 1 else (lines[0] if lines else 0)


def _root(node: ast.AST) -> Optional[str]:
    while isinstance(node, ast.Attribute):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _dotted(node: ast.AST) -> str:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    return ".".join(reversed(parts))


def file_bindings(text: str, path: str, notebook: bool = False) -> Bindings:
    if notebook:
        try:
            from ptlint.rules.source import source_from_text

            units = [(u.real_text, u.cell) for u in source_from_text(text, path, notebook=True).units]
        except Exception:  # a broken notebook: the shape engine said so already
            units = []
        return Bindings(units)
    return Bindings([(text, None)])


def model_rebinding(model: dict, bindings: Bindings) -> Optional[Rebound]:
    """The first rebound name among those a model's rebuilt layers and calls spell."""
    sites: list[tuple[Any, Optional[str]]] = []
    for layer in model.get("layers") or []:
        if isinstance(layer, dict):
            sites.append((layer.get("range"), layer.get("type") if isinstance(layer.get("type"), str) else None))
    for step in model.get("steps") or []:
        if isinstance(step, dict) and step.get("op") == "call":
            sites.append((step.get("range"), step.get("fn") if isinstance(step.get("fn"), str) else None))
    found = []
    for rng, qual in sites:
        head = bindings.head_at(rng) if rng else None
        r = bindings.rebound(head, qual) if head else None
        if r is not None:
            found.append(r)
    # The static rules give up on a rebound torch name, so a step spelled with it may not
    # be in the facts at all (an unknown call the shapes pass through): ask the class too.
    name = model.get("name")
    if isinstance(name, str):
        found += [r for r in (bindings.rebound(n) for n in sorted(bindings.names_used_by(name) & bindings.torch_names()))
                  if r is not None]
    return min(found, key=lambda r: (r.cell or 0, r.line)) if found else None


def classes_using(bindings: Bindings, rebound: Rebound) -> list[str]:
    """Classes of the file that read the rebound name: the models the shape engine could
    not see once that name stopped resolving to torch."""
    head = rebound.name.split(".", 1)[0]
    return [c for c in bindings.class_names() if head in bindings.names_used_by(c)]


def file_rebinding(bindings: Bindings) -> Optional[Rebound]:
    """For a single finding (PT001 / PT003), whose facts do not say how each name was
    spelled: the first rebound torch name anywhere in the file."""
    found = [r for r in (bindings.rebound(n) for n in sorted(bindings.torch_names())) if r]
    return min(found, key=lambda r: (r.cell or 0, r.line)) if found else None
