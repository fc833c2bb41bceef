"""Import/alias resolution shared by every rule: turn ``T.nn.CrossEntropyLoss`` or
``CE`` into ``torch.nn.CrossEntropyLoss`` whatever the import spelling."""
from __future__ import annotations

from typing import Optional, Union

import libcst as cst

# Public aliases PyTorch itself defines: one canonical spelling per callable so rules
# match a single name.
CANONICAL = {
    "torch.nn.modules.loss.CrossEntropyLoss": "torch.nn.CrossEntropyLoss",
    "torch.nn.modules.loss.NLLLoss": "torch.nn.NLLLoss",
    "torch.special.softmax": "torch.softmax",
    "torch.nn.functional.softmax": "torch.nn.functional.softmax",
    "torch.Tensor.softmax": "torch.softmax",
}


def dotted_name(node: cst.BaseExpression) -> Optional[str]:
    """``a.b.c`` for a Name/Attribute chain, else None."""
    parts = []
    while isinstance(node, cst.Attribute):
        parts.append(node.attr.value)
        node = node.value
    if not isinstance(node, cst.Name):
        return None
    parts.append(node.value)
    return ".".join(reversed(parts))


def _module_name(node: Union[cst.Attribute, cst.Name, None]) -> str:
    return dotted_name(node) if node is not None else ""  # type: ignore[return-value]


class ImportTable:
    """Local name -> qualified name, filled from Import/ImportFrom statements."""

    def __init__(self) -> None:
        self.aliases: dict[str, str] = {}
        self.modules: set[str] = set()  # top-level modules imported anywhere

    def add_import(self, node: cst.Import) -> None:
        for alias in node.names:
            full = _module_name(alias.name)
            self.modules.add(full.split(".")[0])
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                self.aliases[alias.asname.name.value] = full
            else:
                top = full.split(".")[0]
                self.aliases[top] = top

    def add_import_from(self, node: cst.ImportFrom) -> None:
        if node.relative or node.module is None:
            return
        mod = _module_name(node.module)
        self.modules.add(mod.split(".")[0])
        if isinstance(node.names, cst.ImportStar):
            if mod in ("torch", "torch.nn", "torch.nn.functional", "torch.optim", "numpy"):
                self.aliases.setdefault("*" + mod, mod)
            return
        for alias in node.names:
            name = _module_name(alias.name)
            local = name
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                local = alias.asname.name.value
            self.aliases[local] = f"{mod}.{name}"

    def scan_statements(self, body) -> None:
        """Shallow pre-scan of module-level statements (including those nested in
        if/try blocks) so functions defined above an import still resolve."""
        for stmt in body:
            if isinstance(stmt, cst.SimpleStatementLine):
                for small in stmt.body:
                    if isinstance(small, cst.Import):
                        self.add_import(small)
                    elif isinstance(small, cst.ImportFrom):
                        self.add_import_from(small)
            elif isinstance(stmt, (cst.If, cst.Try)):
                self.scan_statements(stmt.body.body)
                if isinstance(stmt, cst.Try):
                    for h in stmt.handlers:
                        self.scan_statements(h.body.body)
                elif stmt.orelse is not None:
                    orelse = stmt.orelse
                    self.scan_statements(orelse.body.body if isinstance(orelse, cst.Else) else [orelse])

    def resolve(self, dotted: str) -> Optional[str]:
        head, _, rest = dotted.partition(".")
        full = self.aliases.get(head)
        if full is None:
            for star in ("torch", "torch.nn", "torch.nn.functional", "torch.optim"):
                if ("*" + star) in self.aliases and head[:1].isalpha():
                    # ``from torch.nn import *`` then ``Conv2d``: only trust names that start
                    # upper-case (classes) or are functional names; unknown otherwise.
                    if star == "torch.nn" and head[:1].isupper():
                        full = f"{star}.{head}"
                    break
            if full is None:
                return None
        q = f"{full}.{rest}" if rest else full
        return CANONICAL.get(q, q)

    def qualname(self, node: cst.BaseExpression) -> Optional[str]:
        d = dotted_name(node)
        return self.resolve(d) if d else None

    def mentions(self, module: str) -> bool:
        return module in self.modules
