"""The nodes of a file by identity, with their parents: where a fact that names a node by
its ``id()`` points, and what encloses it.

Contract: ``ctx.analysis(NodeIndex)`` is built by one walk of the file's module on first
use. ``node(ident)`` is the node whose ``id()`` is ``ident`` (the flow names the dims of a
tensor whose shape it does not know by the node that made it, ``Product.sym((id(node), i))``,
and a view's ``-1`` by ``("view", id(call), dim)``), or None when no node of this file has
it (a node of another project file). ``ancestors(node)`` is the list of nodes that enclose
``node``, from the module down, ending with ``node`` itself: the same shape as the
traversal's ``ctx.ancestors`` while it visits ``node``. ``unit_of(node)`` is the index of
the unit (notebook cell) whose top-level statement holds ``node``. ``innermost(node,
types)`` is the nearest node enclosing ``node`` (itself excluded) of one of ``types``, or
None; ``encloses(region, node)`` whether ``node`` lies under ``region`` (or is it)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Optional

import libcst as cst

from ptlint.rules.astutil import iter_children

if TYPE_CHECKING:
    from ptlint.rules.engine import FileContext


class NodeIndex:
    def __init__(self, ctx: "FileContext") -> None:
        self._module = ctx.module
        self._nodes: dict[int, cst.CSTNode] = {}
        self._parents: dict[int, cst.CSTNode] = {}
        self._unit_of_top = {id(stmt): i for i, (_, module) in enumerate(ctx.unit_modules) for stmt in module.body}
        # an explicit stack, not recursion: deeply nested expressions must not hit the recursion limit
        stack: list[cst.CSTNode] = [ctx.module]
        while stack:
            node = stack.pop()
            self._nodes[id(node)] = node
            for child in iter_children(node):
                self._parents[id(child)] = node
                stack.append(child)

    def node(self, ident: int) -> Optional[cst.CSTNode]:
        return self._nodes.get(ident)

    def parent(self, node: cst.CSTNode) -> Optional[cst.CSTNode]:
        return self._parents.get(id(node))

    def ancestors(self, node: cst.CSTNode) -> list[cst.CSTNode]:
        chain = [node]
        cur = self._parents.get(id(node))
        while cur is not None:
            chain.append(cur)
            cur = self._parents.get(id(cur))
        chain.reverse()
        return chain

    def innermost(self, node: cst.CSTNode, types: tuple[type, ...]) -> Optional[cst.CSTNode]:
        cur = self._parents.get(id(node))
        while cur is not None and not isinstance(cur, types):
            cur = self._parents.get(id(cur))
        return cur

    def encloses(self, region: cst.CSTNode, node: cst.CSTNode) -> bool:
        cur: Optional[cst.CSTNode] = node
        while cur is not None and cur is not region:
            cur = self._parents.get(id(cur))
        return cur is not None

    def unit_of(self, node: cst.CSTNode) -> Optional[int]:
        chain = self.ancestors(node)
        if len(chain) < 2 or chain[0] is not self._module:
            return None
        return self._unit_of_top.get(id(chain[1]))
