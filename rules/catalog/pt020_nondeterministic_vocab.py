import re
from typing import Optional

import libcst as cst

from ptlint.rules.astutil import literal_value
from ptlint.rules.bindings import LocalFacts, ScopeInfo
from ptlint.rules.gating import Gated
from ptlint.rules.name_uses import Mention, NameMentions
from ptlint.rules.names import dotted_name
from ptlint.rules.findings import FixSafety, Severity
from ptlint.rules.rule import Docs, FixSpec, Message, Related, Replace, Rule
from ptlint.rules.scope_table import BindingKind, ScopeBindings

# Names that hold words / characters / tokens (strings), and names that hold numbers.
_STRINGY = re.compile(r"word|token|tok\b|char|vocab|term|text|sent|letter|corpus|seg|lexicon|tag|phrase|lemma"
                      r"|gram|字|词", re.I)
_NUMERIC = re.compile(r"(^|_)(ids?|idx|index|indices|num|nums|len|count|counts|size|sizes)($|_)|_ids?$|Ids?$")
# Calls whose result is a sequence of strings.
_STRING_SOURCES = frozenset({
    "jieba.lcut", "jieba.cut", "jieba.lcut_for_search", "jieba.cut_for_search", "jieba.posseg.lcut",
    "nltk.word_tokenize", "nltk.tokenize.word_tokenize", "re.findall", "re.split",
})
_BUILTINS = frozenset({"set", "frozenset", "list", "tuple", "enumerate", "zip", "range", "len", "sorted"})
_STRING_METHODS = frozenset({"split", "rsplit", "splitlines", "tokenize", "lcut", "cut", "findall", "keys"})


class NondeterministicVocab(Gated, Rule):
    code = "PT020"
    name = "nondeterministic-vocab"
    needs = ('set(',)
    severity = Severity.WARNING
    fix_safety = FixSafety.SAFE
    mentions = ("torch", "jieba")
    message = Message(
        zh="按 `set` 的迭代顺序给词编号：字符串的哈希每次运行都不同，词的编号也会变，保存的词向量和模型就对不上了",
        en="ids are assigned in `set` iteration order: string hashes change between runs, so the ids change and saved embeddings no longer match",
    )
    docs = Docs(
        zh="""## 它检查什么
用 `set` 的迭代顺序建立“编号 ↔ 词”映射：`id2word = list(set(words))` 之后按下标或 `enumerate` 编号、`for i, w in enumerate(set(words))`、`dict(zip(set(words), range(n)))`，以及在 `for w in set(words):` 循环里给词分配编号。笔记中构建词表的例子正是 `id2word = list(set(words))`。

加上特殊符号拼接（`['<pad>'] + list(set(words)) + ['<unk>']`）之后再编号也一样；把按 `set` 排列的列表（或 `set` 本身）交给本文件中定义的类或函数、而它在内部按顺序编号（`Vocab(list(set(words)))`，其 `__init__` 里有 `enumerate(tokens)`），同样会被报告。列表在同一作用域里被原地排序（`vocab.sort()`，哪怕只在 `if sort:` 这样的分支里）时不报告：那条路径上的顺序是固定的，规则无法断定实际走的是哪条路径。

## 为什么有问题
Python 对字符串的哈希值带有随机种子，每次启动解释器都不一样（除非固定 `PYTHONHASHSEED`），所以同一组词放进 `set` 后的顺序每次运行都可能不同。于是同一个词这次是 5 号、下次是 17 号：训练时保存的 `nn.Embedding` 权重、分类层、缓存的索引数据，在下一次运行时全部对应错词。不会报错，模型只是莫名其妙地变差，且很难复现。

## 示例
```python
words = jieba.lcut(text)
id2word = list(set(words))               # 每次运行顺序不同
word2id = {w: i for i, w in enumerate(id2word)}
embed = nn.Embedding(len(id2word), 5)
```

## 如何修复
排序后再编号，顺序就固定了：

```python
id2word = sorted(set(words))
```

如果想按词频编号，用 `collections.Counter(words).most_common()`（频率相同的词按首次出现的顺序排列，也是确定的）。快速修复会把 `list(set(...))` 改为 `sorted(set(...))`（安全修复：原来的顺序本来就是随机的）。
""",
        en="""## What it finds
An id ↔ token mapping built from `set` iteration order: `id2word = list(set(words))` then indexed or enumerated, `for i, w in enumerate(set(words))`, `dict(zip(set(words), range(n)))`, or ids handed out inside `for w in set(words):`. The notes build their vocabulary exactly like this (`id2word = list(set(words))`).

The same holds after concatenating special tokens (`['<pad>'] + list(set(words)) + ['<unk>']`), and when the set-ordered list (or the set itself) is handed to a class or function of this file that numbers it (`Vocab(list(set(words)))` whose `__init__` does `enumerate(tokens)`). A list that its scope sorts in place (`vocab.sort()`, even only under `if sort:`) is not reported: on that path the order is fixed, and the rule cannot tell which path runs.

## Why it is a problem
Python salts string hashes per interpreter start (unless `PYTHONHASHSEED` is fixed), so the iteration order of a set of words changes between runs. A word that is id 5 today is id 17 tomorrow: saved `nn.Embedding` weights, classifier rows and cached index data all point at the wrong words in the next run. Nothing raises; the model just gets worse, irreproducibly.

## Example
```python
words = jieba.lcut(text)
id2word = list(set(words))               # a different order every run
word2id = {w: i for i, w in enumerate(id2word)}
embed = nn.Embedding(len(id2word), 5)
```

## How to fix
Sort before numbering, so the order is fixed:

```python
id2word = sorted(set(words))
```

To number by frequency use `collections.Counter(words).most_common()` (ties keep first-seen order, which is deterministic too). The quick fix turns `list(set(...))` into `sorted(set(...))` (safe: the old order was random anyway).
""",
    )
    must_flag = (
        "import torch\nimport jieba\nwords = jieba.lcut(text)\nid2word = list(set(words))  # <-\nword2id = {w: i for i, w in enumerate(id2word)}\n",
        "import torch\ndef build(tokens):\n    return {w: i for i, w in enumerate(set(tokens))}  # <-\n",
        "import torch\nwords = text.split()\nvocab = dict(zip(set(words), range(len(words))))  # <-\n",
        "import torch\nword2id = {}\nfor w in set(all_words):  # <-\n    word2id[w] = len(word2id)\n",
        "import torch\nchars = list(set(corpus_text))  # <-\nidx = chars.index('a')\n",
        # special tokens around the set keep its order in the middle
        "import torch\nwords = text.split()\nvocab = ['<pad>'] + list(set(words)) + ['<unk>']  # <-\n"
        "word2idx = {w: i for i, w in enumerate(vocab)}\n",
        # a constructor of this file numbers what it is given
        "import torch\nclass Vocab:\n    def __init__(self, tokens):\n        self.itos = tokens\n"
        "        self.stoi = {t: i for i, t in enumerate(tokens)}\nwords = text.split()\n"
        "vocab = Vocab(list(set(words)))  # <-\n",
        # an NER dataset's tag table, kept on self (a posted pattern)
        "import torch\nclass NerDataset(torch.utils.data.Dataset):\n    def __init__(self, sentences, tags):\n"
        "        self.sentences_tags = tags\n"
        "        self.ner_tags = ['<PAD>'] + list(set(tag for tag_list in self.sentences_tags for tag in tag_list))  # <-\n"
        "        self.tag2idx = {tag: idx for idx, tag in enumerate(self.ner_tags)}\n",
    )
    must_not_flag = (
        "import torch\nwords = text.split()\nid2word = sorted(set(words))\nword2id = {w: i for i, w in enumerate(id2word)}\n",
        # sorted in place on the path the callers take (d2l notes' ``load_data_jay_song(sort=True)``)
        "import torch\ndef load(chars, sort=True):\n    vocab = list(set(chars))\n    if sort:\n        vocab.sort()\n"
        "    return {c: i for i, c in enumerate(vocab)}\n",
        "import torch\nlabels = [3, 1, 2]\nclasses = list(set(labels))\nfor i, c in enumerate(classes):\n    print(i, c)\n",
        "import torch\nwords = text.split()\nunique = list(set(words))\nprint(len(unique))\n",
        "import torch\ntoken_ids = [5, 3, 5]\nfor i, t in enumerate(set(token_ids)):\n    print(i, t)\n",
        "import torch\nfor w in set(words):\n    print(w)\n",
        "import torch\nwords = text.split()\nvocab = ['<pad>'] + sorted(set(words)) + ['<unk>']\n"
        "word2idx = {w: i for i, w in enumerate(vocab)}\n",
        # the constructor sorts before numbering
        "import torch\nclass Vocab:\n    def __init__(self, tokens):\n        tokens = sorted(tokens)\n"
        "        self.stoi = {t: i for i, t in enumerate(tokens)}\nwords = text.split()\n"
        "vocab = Vocab(list(set(words)))\n",
        # the callee only counts them
        "import torch\ndef report(tokens):\n    print(len(tokens))\nwords = text.split()\nreport(list(set(words)))\n",
        # integers named like tags: their hash is their value, the order is fixed
        "import torch\ntags = ['<PAD>'] + list(set(tag for tag in tag_ids))\ntag2idx = {t: i for i, t in enumerate(tags)}\n",
    )

    def _builtin(self, func: cst.BaseExpression) -> Optional[str]:
        """``set`` / ``enumerate`` / … when the name is Python's builtin (not rebound here)."""
        if isinstance(func, cst.Name) and func.value in _BUILTINS:
            facts = self.ctx.analysis(LocalFacts)
            if not facts.module_scope.binds(func.value) and func.value not in self.ctx.imports.aliases:
                return func.value
        return None

    def _facts(self) -> tuple[LocalFacts, ScopeInfo]:
        facts = self.ctx.analysis(LocalFacts)
        return facts, facts.scope_info(self.ctx.ancestors)

    # ``enumerate(set(x))`` / ``zip(set(x), range(n))``
    def visit_Call(self, node: cst.Call) -> None:
        func, args = node.func, node.args
        if isinstance(func, cst.Name) and func.value not in _BUILTINS and args \
                and any(_set_ordered_in(a.value) is not None for a in args):
            self._check_numbering_callee(node)
            return
        # cheap shape test first: the call must look like f(set(...)) / f(set(...), range(...))
        if not (isinstance(func, cst.Name) and func.value in _BUILTINS and args and _looks_like_set(args[0].value)):
            return
        q = self._builtin(func)
        if q == "enumerate" and node.args:
            self._check_set(node.args[0].value, None)
        elif q == "zip" and len(node.args) == 2:
            second = node.args[1].value
            if isinstance(second, cst.Call) and (self._builtin(second.func) == "range"
                                                 or self.qualname(second.func) == "itertools.count"):
                self._check_set(node.args[0].value, None)
        elif q in ("list", "tuple") and len(node.args) == 1 and self._set_arg(node.args[0].value) is not None:
            self._check_list_of_set(node)

    def visit_For(self, node: cst.For) -> None:
        it = node.iter
        if not _looks_like_set(it) or self._set_arg(it) is None or not isinstance(node.target, cst.Name):
            return
        site = _numbering_assignment(self.ctx.analysis(NameMentions).of(node.body, node.target.value))
        if site is not None:
            self._check_set(it, site)

    def _set_arg(self, expr: cst.BaseExpression) -> Optional[cst.BaseExpression]:
        if isinstance(expr, cst.Call) and self._builtin(expr.func) in ("set", "frozenset") and len(expr.args) == 1 \
                and not expr.args[0].star and expr.args[0].keyword is None:
            return expr.args[0].value
        if isinstance(expr, cst.SetComp):
            return expr
        return None

    def _check_set(self, expr: cst.BaseExpression, related: Optional[cst.CSTNode]) -> None:
        inner = self._set_arg(expr)
        if inner is None or not self._stringy(inner):
            return
        fix = FixSpec((Replace(expr, f"sorted({self.ctx.code_for(expr)})"),), "改为 sorted(set(...))",
                      "use sorted(set(...))", FixSafety.SAFE)
        rel = [Related(related, "按这个顺序分配编号", "ids are assigned here")] if related is not None else []
        self.report(expr, fix=fix, related=rel)

    def _check_list_of_set(self, node: cst.Call) -> None:
        inner = self._set_arg(node.args[0].value)
        assert inner is not None
        if not self._stringy(inner):
            return
        # only ``name = list(set(x))`` (or ``['<pad>'] + list(set(x)) + ['<unk>']``: the set's
        # order survives the concatenation) whose name is then used as an index -> token table
        anc = self.ctx.ancestors
        i = len(anc) - 2
        while i > 0 and isinstance(anc[i], cst.BinaryOperation) and isinstance(anc[i].operator, cst.Add):
            i -= 1
        parent, value = (anc[i], anc[i + 1]) if i >= 0 else (None, None)
        if not (isinstance(parent, cst.Assign) and len(parent.targets) == 1 and parent.value is value):
            return
        target = parent.targets[0].target
        facts, scope = self._facts()
        if isinstance(target, cst.Name):
            if scope.single(target.value) is not value:
                return
            name, region = target.value, scope.node
        else:
            # ``self.tags = ['<PAD>'] + list(set(...))`` in a method: its uses anywhere in the class
            cls, _ = facts.enclosing_method(self.ctx.ancestors)
            if cls is None or not (isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name)
                                   and target.value.value == "self") or cls.self_single(target.attr.value) is not value:
                return
            name, region = f"self.{target.attr.value}", cls.node
        mentions = self.ctx.analysis(NameMentions).of(region, name)
        if _sorted_in_place(mentions):
            return  # ``vocab.sort()`` on some path (``if sort:``): the order may well be fixed
        site = self._order_use(mentions)
        if site is None:
            return
        set_code = self.ctx.code_for(node.args[0].value)
        new = f"sorted({set_code})" if self._builtin(node.func) == "list" else f"tuple(sorted({set_code}))"
        fix = FixSpec((Replace(node, new),), "改为 sorted(set(...))", "use sorted(set(...))", FixSafety.SAFE)
        self.report(node, fix=fix, related=[Related(site, "这里按下标使用了这个顺序", "the order is used as ids here")])

    # ``Vocab(list(set(words)))`` where ``Vocab.__init__`` enumerates its parameter
    def _check_numbering_callee(self, node: cst.Call) -> None:
        for i, a in enumerate(node.args):
            ordered = _set_ordered_in(a.value)
            if ordered is None or a.star:
                continue
            as_list = not _looks_like_set(ordered)
            inner = self._set_arg(ordered.args[0].value if as_list else ordered)  # type: ignore[attr-defined]
            if inner is None or not self._stringy(inner):
                continue
            site = self.numbering_site(node, a, iteration_only=not as_list)
            if site is None:
                continue
            fix = None
            if as_list and self._builtin(ordered.func) == "list":  # type: ignore[attr-defined]
                set_code = self.ctx.code_for(ordered.args[0].value)  # type: ignore[attr-defined]
                fix = FixSpec((Replace(ordered, f"sorted({set_code})"),), "改为 sorted(set(...))",
                              "use sorted(set(...))", FixSafety.SAFE)
            self.report(ordered, fix=fix, related=[Related(site, "被调用的函数在这里按顺序编号", "the callee numbers it here")])

    def numbering_site(self, call: cst.Call, arg: cst.Arg, iteration_only: bool = False) -> Optional[cst.CSTNode]:
        """Where a class or function of this file numbers the parameter ``arg`` is passed
        to (``enumerate(tokens)``, ``tokens[i]``, ``tokens.index(w)``), reading its body
        only: None when the callee is unknown, rebinds the parameter, or does not number it."""
        fn, skip = self._local_callee(call.func)
        if fn is None or any(a.star for a in call.args):
            return None
        params = [*fn.params.posonly_params, *fn.params.params][skip:]
        if arg.keyword is not None:
            param = next((p for p in [*params, *fn.params.kwonly_params] if p.name.value == arg.keyword.value), None)
        else:
            pos = [a for a in call.args if a.keyword is None].index(arg)
            param = params[pos] if pos < len(params) else None
        if param is None:
            return None
        name = param.name.value
        if _rebinds(self.ctx.analysis(LocalFacts).table.scope(fn), name):
            return None
        return self._order_use(self.ctx.analysis(NameMentions).of(fn.body, name),
                               iteration_only=iteration_only, follow_callees=False)

    def _order_use(self, mentions: list[Mention], iteration_only: bool = False,
                   follow_callees: bool = True) -> Optional[cst.CSTNode]:
        """The first use of a list that depends on its order: ``enumerate(v)``, ``zip(v, …)``,
        ``v[i]``, ``v.index(w)`` (not for a set, which is only iterated), or a call of a class
        or function of this file that numbers it (``Vocab(uniq)``)."""
        for mention in mentions:
            node, parent, grand = mention.node, mention.parent, mention.grandparent
            if isinstance(parent, cst.Arg) and parent.value is node and isinstance(grand, cst.Call):
                if grand.args[0] is parent and self._builtin(grand.func) in ("enumerate", "zip"):
                    return grand
                if follow_callees and isinstance(grand.func, cst.Name) and not parent.star \
                        and self.numbering_site(grand, parent) is not None:
                    return grand
            elif iteration_only:
                continue
            elif isinstance(parent, cst.Subscript) and parent.value is node:
                return parent
            elif isinstance(parent, cst.Attribute) and parent.value is node and parent.attr.value == "index" \
                    and isinstance(grand, cst.Call) and grand.func is parent:
                return grand
        return None

    def _local_callee(self, func: cst.BaseExpression) -> tuple[Optional[cst.FunctionDef], int]:
        """The function a call runs, for a class (its ``__init__``, skipping ``self``) or a
        function defined once at the top of this module and never rebound."""
        if not isinstance(func, cst.Name) or func.value in self.ctx.imports.aliases:
            return None, 0
        facts = self.ctx.analysis(LocalFacts)
        name = func.value
        if name in facts.module_scope.assigns:
            return None, 0
        defs = [s for s in self.ctx.module.body if isinstance(s, (cst.ClassDef, cst.FunctionDef)) and s.name.value == name]
        if len(defs) != 1 or isinstance(defs[0], cst.FunctionDef) and defs[0].decorators:
            return None, 0
        if isinstance(defs[0], cst.FunctionDef):
            return defs[0], 0
        info = facts.classes.get(defs[0])
        init = info.methods.get("__init__") if info is not None else None
        if init is None or init.decorators or defs[0].bases and not facts.is_module_class(info):  # type: ignore[arg-type]
            return None, 0  # a base class may define what numbering means (or a metaclass)
        return init, 1

    def _stringy(self, expr: cst.BaseExpression, depth: int = 0) -> bool:
        """Evidence that ``expr`` holds strings (whose hashes are salted per run)."""
        if depth > 4:
            return False
        if isinstance(expr, (cst.SimpleString, cst.ConcatenatedString, cst.FormattedString)):
            return True
        if isinstance(expr, (cst.SetComp, cst.GeneratorExp, cst.ListComp)):
            # ``{w for w in words}``, ``set(ch for seq in data for ch in seq)``: the loop that binds
            # the element iterates strings, or the element is named like one
            if not isinstance(expr.elt, cst.Name):
                return False
            binder: Optional[cst.CompFor] = expr.for_in
            while binder is not None and not (isinstance(binder.target, cst.Name) and binder.target.value == expr.elt.value):
                binder = binder.inner_for_in
            if binder is None or self._stringy(binder.iter, depth + 1):
                return binder is not None
            it = binder.iter
            numbers = (isinstance(it, cst.Call) and self._builtin(it.func) == "range") or bool(
                isinstance(it, (cst.Name, cst.Attribute)) and _NUMERIC.search(dotted_name(it) or ""))
            return not numbers and self._stringy_name(expr.elt.value)
        if isinstance(expr, cst.Subscript) and len(expr.slice) == 1 and isinstance(expr.slice[0].slice, cst.Index) \
                and isinstance(expr.slice[0].slice.value, cst.SimpleString):
            key = literal_value(expr.slice[0].slice.value, None)  # row['tokens'], rr['pos_tags']
            return isinstance(key, str) and self._stringy_name(key)
        if isinstance(expr, (cst.List, cst.Tuple)):
            return bool(expr.elements) and all(
                isinstance(e.value, (cst.SimpleString, cst.ConcatenatedString)) for e in expr.elements)
        if isinstance(expr, cst.Call):
            q = self.qualname(expr.func)
            if q in _STRING_SOURCES:
                return True
            if isinstance(expr.func, cst.Attribute) and expr.func.attr.value in _STRING_METHODS and q is None:
                return expr.func.attr.value != "keys" or self._stringy(expr.func.value, depth + 1)
            return False
        if isinstance(expr, cst.Attribute):
            return self._stringy_name(expr.attr.value)
        if isinstance(expr, cst.Name):
            if _NUMERIC.search(expr.value):
                return False
            facts, scope = self._facts()
            v = facts.value_of(expr.value, scope)
            if v is not None and not isinstance(v, (cst.List, cst.Dict)) and self._stringy(v, depth + 1):
                return True
            return self._stringy_name(expr.value)
        return False

    @staticmethod
    def _stringy_name(name: str) -> bool:
        return bool(_STRINGY.search(name)) and not _NUMERIC.search(name)


def _set_ordered_in(expr: cst.BaseExpression) -> Optional[cst.Call]:
    """The ``set(x)`` / ``list(set(x))`` / ``tuple(set(x))`` call that orders ``expr``, also
    inside a concatenation ``['<pad>'] + list(set(x))`` (syntax only; builtins checked later)."""
    while isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.Add):
        left, right = _set_ordered_in(expr.left), _set_ordered_in(expr.right)
        return left if left is not None else right
    if isinstance(expr, cst.Call) and _looks_like_set(expr):
        return expr
    if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Name) and expr.func.value in ("list", "tuple") \
            and len(expr.args) == 1 and _looks_like_set(expr.args[0].value):
        return expr
    return None


def _rebinds(scope: Optional[ScopeBindings], name: str) -> bool:
    """A function binds its parameter ``name`` again (``tokens = sorted(tokens)``), or a
    function nested in it does through ``nonlocal``; unknown scopes count as rebinding."""
    if scope is None:
        return True
    if any(b.kind is not BindingKind.PARAMETER for b in scope.of(name)):
        return True
    return any(_rebinds_nonlocal(child, name) for child in scope.children)


def _rebinds_nonlocal(scope: ScopeBindings, name: str) -> bool:
    if scope.is_local(name):
        return False  # a local of its own hides the parameter from the scopes inside it
    if any(b.kind is BindingKind.NONLOCAL for b in scope.of(name)):
        return True
    return any(_rebinds_nonlocal(child, name) for child in scope.children)


def _sorted_in_place(mentions: list[Mention]) -> bool:
    """The list is sorted in place somewhere in its region (``vocab.sort()``)."""
    return any(isinstance(m.parent, cst.Attribute) and m.parent.value is m.node and m.parent.attr.value == "sort"
               and isinstance(m.grandparent, cst.Call) and m.grandparent.func is m.parent for m in mentions)


def _looks_like_set(expr: cst.BaseExpression) -> bool:
    return isinstance(expr, cst.SetComp) or (
        isinstance(expr, cst.Call) and isinstance(expr.func, cst.Name) and expr.func.value in ("set", "frozenset"))


def _numbering_assignment(mentions: list[Mention]) -> Optional[cst.Assign]:
    """Inside ``for w in set(...)``: the first ``d[w] = <number>``, which hands out ids in
    the set's order."""
    for mention in mentions:
        line = mention.line
        if not isinstance(mention.parent, cst.Index) or line is None:
            continue
        for small in line.body:
            if isinstance(small, cst.Assign) and _numberish(small.value) and any(
                    isinstance(t.target, cst.Subscript) and len(t.target.slice) == 1
                    and t.target.slice[0].slice is mention.parent for t in small.targets):
                return small
    return None


def _numberish(expr: cst.BaseExpression) -> bool:
    if isinstance(expr, cst.Integer):
        return True
    if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Name) and expr.func.value == "len":
        return True
    if isinstance(expr, cst.Name):
        return bool(re.search(r"^(i|j|k|n|idx|index|id|next_id|count|counter)$", expr.value))
    return False
