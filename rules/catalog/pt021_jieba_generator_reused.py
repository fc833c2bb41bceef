from dataclasses import dataclass, field
from typing import Optional

import libcst as cst

from ptlint.rules.bindings import LocalFacts
from ptlint.rules.gating import Gated
from ptlint.rules.findings import FixSafety, Severity
from ptlint.rules.rule import Docs, FixSpec, Message, Related, Replace, Rule
from ptlint.rules.scope_table import BindingKind

_OWN_SCOPE_KINDS = frozenset({BindingKind.COMPREHENSION, BindingKind.PARAMETER})

# generator-returning jieba functions -> their list-returning twins
_GENERATORS = {
    "jieba.cut": "lcut", "jieba.cut_for_search": "lcut_for_search", "jieba.posseg.cut": "lcut",
}
# builtins / methods that iterate their argument to the end
_CONSUMERS = frozenset({"list", "tuple", "set", "frozenset", "sorted", "sum", "max", "min", "any", "all",
                        "dict", "enumerate", "zip", "map", "filter", "reversed", "next"})
_CONSUMER_QUALS = frozenset({"collections.Counter", "itertools.chain"})

ERROR_MESSAGE = Message(
    zh="`{api}` 返回的是生成器：{what}会抛出 TypeError；需要列表请用 `{lcut}`",
    en="`{api}` returns a generator: {what_en} raises TypeError; use `{lcut}` for a list",
)


@dataclass
class _Gen:
    assign: cst.CSTNode
    call: cst.Call
    api: str
    loops: tuple  # loops enclosing the assignment
    uses: list = field(default_factory=list)  # (node, branch path)


class JiebaGeneratorReused(Gated, Rule):
    code = "PT021"
    name = "jieba-generator-reused"
    needs = ('jieba',)
    severity = Severity.WARNING
    fix_safety = FixSafety.SAFE
    mentions = ("jieba",)
    message = Message(
        zh="`{name}` 是 `{api}` 返回的生成器，前面已经遍历过一次：这里再遍历得到的是空序列；需要多次使用请改用 `{lcut}`",
        en="`{name}` is the generator `{api}` returned and was already iterated: this pass sees nothing; use `{lcut}` to get a list",
    )
    docs = Docs(
        zh="""## 它检查什么
`jieba.cut` / `jieba.cut_for_search`（以及 `jieba.posseg.cut`）的结果被遍历了两次、在循环里被反复遍历、被传给 `len()` 或用下标访问。

## 为什么有问题
`jieba.cut` 返回的是**生成器**，只能从头到尾走一遍。第一次遍历（`for`、`list()`、`" ".join()`、推导式……）之后它就空了，第二次遍历不会报错，只是什么也得不到——词表、停用词过滤的结果悄悄变成空的。生成器也没有长度、不能索引：`len(seg)` 和 `seg[0]` 会抛出 `TypeError`。笔记里用的是返回列表的 `jieba.lcut`，正是为了避开这个问题。

## 示例
```python
seg = jieba.cut(text)
print("/".join(seg))          # 第一次遍历：正常
words = [w for w in seg]      # 第二次：空列表
```

## 如何修复
需要多次使用分词结果时用返回列表的版本：

```python
seg = jieba.lcut(text)             # 或 jieba.lcut_for_search(text)
```

快速修复会把 `jieba.cut` 改为 `jieba.lcut`（`cut_for_search` 改为 `lcut_for_search`）。两者参数相同，列表可以反复遍历（安全修复）。
""",
        en="""## What it finds
The result of `jieba.cut` / `jieba.cut_for_search` (and `jieba.posseg.cut`) iterated twice, iterated inside a loop, passed to `len()` or indexed.

## Why it is a problem
`jieba.cut` returns a **generator**, which can be walked once. After the first pass (`for`, `list()`, `" ".join()`, a comprehension…) it is exhausted; a second pass raises nothing and yields nothing, so a vocabulary or a stop-word filter silently comes out empty. A generator has no length and no indexing either: `len(seg)` and `seg[0]` raise `TypeError`. The notes use `jieba.lcut`, which returns a list, precisely to avoid this.

## Example
```python
seg = jieba.cut(text)
print("/".join(seg))          # first pass: fine
words = [w for w in seg]      # second pass: empty
```

## How to fix
Use the list-returning variant when the words are needed more than once:

```python
seg = jieba.lcut(text)             # or jieba.lcut_for_search(text)
```

The quick fix turns `jieba.cut` into `jieba.lcut` (`cut_for_search` into `lcut_for_search`): same arguments, and a list can be iterated again (safe).
""",
    )
    must_flag = (
        "import jieba\nseg = jieba.cut(text)\nprint('/'.join(seg))\nwords = [w for w in seg]  # <-\n",
        "import jieba\nwords = jieba.cut_for_search(text)\nprint(len(words))  # <-\n",
        "import jieba\ndef first(text):\n    seg = jieba.cut(text)\n    return seg[0]  # <-\n",
        "import jieba\nseg = jieba.cut(text)\nfor epoch in range(3):\n    for w in seg:  # <-\n        print(w)\n",
        "import jieba\nn = len(jieba.cut(text))  # <-\n",
    )
    must_not_flag = (
        "import jieba\nseg = jieba.lcut(text)\nprint('/'.join(seg))\nwords = [w for w in seg]\n",
        "import jieba\nseg = jieba.cut(text)\nwords = [w for w in seg if w not in stop]\n",
        "import jieba\nfor line in lines:\n    seg = jieba.cut(line)\n    print(' '.join(seg))\n",
        "import jieba\nseg = jieba.cut(text)\nif short:\n    out = list(seg)\nelse:\n    out = sorted(seg)\n",
        "import jieba\nseg = jieba.cut(text)\nprint(list(seg))\nseg = jieba.cut(other)\nprint(list(seg))\n",
        "import jieba\nseg = jieba.cut(text)\nkeep(seg)\nprint(list(seg))\n",
    )

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        # (scope node, name) -> the generator being tracked
        self.gens: dict[tuple[int, str], _Gen] = {}

    def _scope(self) -> cst.CSTNode:
        for a in reversed(self.ctx.ancestors):
            if isinstance(a, (cst.FunctionDef, cst.Lambda)):
                return a
        return self.ctx.module

    def _binding_scope(self) -> cst.CSTNode:
        """The scope a binding at the current node goes to (a ``def`` binds its name
        outside itself)."""
        for a in reversed(self.ctx.ancestors[:-1]):
            if isinstance(a, (cst.FunctionDef, cst.Lambda)):
                return a
        return self.ctx.module

    def _gen_call(self, expr: cst.BaseExpression) -> Optional[str]:
        if isinstance(expr, cst.Call):
            q = self.qualname(expr.func)
            if q in _GENERATORS:
                return q
        return None

    def _fix(self, call: cst.Call, api: str) -> Optional[FixSpec]:
        new_name = _GENERATORS[api]
        func = call.func
        if not isinstance(func, cst.Attribute):
            return None  # ``from jieba import cut``: the list twin may not be imported
        return FixSpec((Replace(func.attr, new_name),), f"改用 {api.rsplit('.', 1)[0]}.{new_name}",
                       f"use {api.rsplit('.', 1)[0]}.{new_name}", FixSafety.SAFE)

    def _lfix(self, api: str) -> str:
        return f"{api.rsplit('.', 1)[0]}.{_GENERATORS[api]}"

    # --------------------------------------------------------------- bindings
    # Any binding of a tracked name (the binding table's: assignments, loop / with /
    # except targets, imports, ``:=``, ``del``, ``def``, patterns …) ends the tracking;
    # comprehension targets and parameters live in scopes of their own.
    def _unbind_at(self, node: cst.CSTNode) -> None:
        table = self.ctx.analysis(LocalFacts).table
        scope = id(self._binding_scope())
        for b in table.bindings_at(node):
            if b.kind not in _OWN_SCOPE_KINDS:
                self.gens.pop((scope, b.name), None)

    def visit_Assign(self, node: cst.Assign) -> None:
        self._unbind_at(node)
        api = self._gen_call(node.value)
        if api and len(node.targets) == 1 and isinstance(node.targets[0].target, cst.Name):
            loops = tuple(id(a) for a in self.ctx.ancestors if isinstance(a, (cst.For, cst.While)))
            self.gens[(id(self._scope()), node.targets[0].target.value)] = _Gen(
                node, node.value, api, loops)  # type: ignore[arg-type]

    visit_AugAssign = visit_AnnAssign = visit_For = visit_WithItem = visit_Del = _unbind_at
    visit_ExceptHandler = visit_ExceptStarHandler = visit_ImportAlias = visit_NamedExpr = _unbind_at
    visit_FunctionDef = visit_ClassDef = visit_Global = visit_Nonlocal = _unbind_at
    visit_MatchAs = visit_MatchStar = visit_MatchMapping = _unbind_at

    # --------------------------------------------------------------- direct misuse
    def visit_Subscript(self, node: cst.Subscript) -> None:
        api = self._gen_call(node.value)
        if api:
            self.report(node, message=ERROR_MESSAGE, api=api, what="用下标访问", what_en="indexing it",
                        fix=self._fix(node.value, api), lcut=self._lfix(api))  # type: ignore[arg-type]

    def visit_Call(self, node: cst.Call) -> None:
        if isinstance(node.func, cst.Name) and node.func.value == "len" and len(node.args) == 1:
            api = self._gen_call(node.args[0].value)
            if api:
                self.report(node, message=ERROR_MESSAGE, api=api, what="传给 len()", what_en="passing it to len()",
                            fix=self._fix(node.args[0].value, api), lcut=self._lfix(api))  # type: ignore[arg-type]

    # --------------------------------------------------------------- uses
    def visit_Name(self, node: cst.Name) -> None:
        gen = self.gens.get((id(self._scope()), node.value))
        if gen is None:
            return
        anc = self.ctx.ancestors
        parent = anc[-2] if len(anc) >= 2 else None
        if isinstance(parent, (cst.AssignTarget, cst.Param)) or (
                isinstance(parent, cst.Attribute) and parent.attr is node) or (
                isinstance(parent, cst.Arg) and parent.keyword is node):
            return
        key = (id(self._scope()), node.value)
        use = self._use_kind(node, parent, anc)
        if use is None:
            self.gens.pop(key, None)  # handed to something we cannot see into
            return
        kind, site = use
        if kind in ("len", "index"):
            what = "传给 len()" if kind == "len" else "用下标访问"
            what_en = "passing it to len()" if kind == "len" else "indexing it"
            self.report(site, message=ERROR_MESSAGE, api=gen.api, what=what, what_en=what_en,
                        fix=self._fix(gen.call, gen.api), lcut=self._lfix(gen.api),
                        related=[Related(gen.assign, "生成器在这里创建", "the generator is created here")])
            self.gens.pop(key, None)
            return
        path = self._branch_path(anc)
        in_new_loop = any(isinstance(a, (cst.For, cst.While)) and id(a) not in gen.loops and a is not site
                          and not (isinstance(a, cst.For) and a.iter is node) for a in anc)
        earlier = [u for u in gen.uses if not _exclusive(u[1], path)]
        if earlier or in_new_loop:
            related = [Related(gen.assign, "生成器在这里创建", "the generator is created here")]
            if earlier:
                related.append(Related(earlier[0][0], "第一次遍历在这里", "first pass here"))
            self.report(site, name=node.value, api=gen.api, fix=self._fix(gen.call, gen.api),
                        related=related, lcut=self._lfix(gen.api))
            self.gens.pop(key, None)
            return
        gen.uses.append((site, path))

    def _use_kind(self, node: cst.Name, parent: Optional[cst.CSTNode], anc: list) -> Optional[tuple[str, cst.CSTNode]]:
        if isinstance(parent, cst.For) and parent.iter is node:
            return "iter", parent.iter
        if isinstance(parent, cst.CompFor) and parent.iter is node:
            return "iter", node
        if isinstance(parent, cst.Subscript) and parent.value is node:
            return "index", parent
        if isinstance(parent, cst.Arg) and parent.value is node and not parent.star and len(anc) >= 3:
            call = anc[-3]
            if isinstance(call, cst.Call):
                if isinstance(call.func, cst.Name) and call.func.value == "len":
                    return "len", call
                if isinstance(call.func, cst.Name) and call.func.value in _CONSUMERS:
                    return "iter", call
                if self.qualname(call.func) in _CONSUMER_QUALS:
                    return "iter", call
                if isinstance(call.func, cst.Attribute) and call.func.attr.value == "join" and \
                        isinstance(call.func.value, (cst.SimpleString, cst.ConcatenatedString)):
                    return "iter", call
        return None

    @staticmethod
    def _branch_path(anc: list) -> tuple:
        """(if-node id, arm) pairs leading to the node, to tell if/else arms apart."""
        path = []
        for i, a in enumerate(anc[:-1]):
            if isinstance(a, cst.If):
                child = anc[i + 1]
                arm = "body" if child is a.body else ("else" if child is a.orelse else "test")
                path.append((id(a), arm))
        return tuple(path)


def _exclusive(p1: tuple, p2: tuple) -> bool:
    arms1 = dict(p1)
    return any(k in arms1 and arms1[k] != arm and "test" not in (arm, arms1[k]) for k, arm in p2)
