"""Helper functions of other project files in the data-flow analysis (issue 13): a batch
permuted by ``to_channels_first`` of data/collate.py and ``.view``ed in train.py.

The flow interpreter runs a function body in the analysed file's scopes and with its
imports, so another file's function is followed only when that makes no difference:
every name it reads is its own (a parameter or local), a builtin that neither file
rebinds, or an import both files spell the same way (``torch`` is ``torch`` in both).
Anything else (the helper reads a constant or another function of its own module, a
``global`` statement) leaves the call unknown, as before.

A helper is reached by its bare name (``from data.collate import pad_batch``) or through a
module of the project (``import data.collate as dc; dc.pad_batch(x)``, ``from data import
collate; collate.pad_batch(x)``, inside a package ``from . import collate`` or ``from
.collate import pad_batch``): the same function, the same checks."""
from __future__ import annotations

import builtins
import weakref
from typing import TYPE_CHECKING, Any, Optional

import libcst as cst

from ..astutil import iter_children
from ..names import dotted_name, other_bindings
from ..project import EXTERNAL
from .state import FunctionInfo, param_names
from .values import Kind, Value

if TYPE_CHECKING:
    from ..names import ImportTable
    from ..project import ProjectModule

BUILTIN_NAMES = frozenset(dir(builtins))

# Per analysed file (its FlowAnalysis): name -> the helper's value, None when it is not one.
_found: "weakref.WeakKeyDictionary[Any, dict[str, Optional[Value]]]" = weakref.WeakKeyDictionary()


def project_function(interp: Any, name: str) -> Optional[Value]:
    """The value of ``name`` when it is a self-contained function of another project file."""
    fa = interp.fa
    cache = _found.setdefault(fa, {})
    if name not in cache:
        cache[name] = _resolve(interp, name)
    return cache[name]


def project_member_function(interp: Any, func: cst.Attribute) -> Optional[Value]:
    """The value of ``dc.pad_batch`` when ``dc`` is a project module imported here (not
    shadowed by a local) and ``pad_batch`` a self-contained function of it."""
    dotted = dotted_name(func)
    if dotted is None or interp.fa.ctx.imports.qualname(func) is None:
        return None
    cache = _found.setdefault(interp.fa, {})
    if dotted not in cache:
        cache[dotted] = _resolve(interp, dotted)
    return cache[dotted]


def project_relative_member(interp: Any, func: cst.Attribute) -> Optional[Value]:
    """The value of ``collate.to_channels_first`` after ``from . import collate`` (the
    import table leaves relative imports out, so ``qual`` knows nothing of them). The
    name must be bound by that import only: a parameter or assignment of the same name
    anywhere in the file could be what this use sees, so it stays unknown."""
    dotted = dotted_name(func)
    if dotted is None or "." not in dotted:
        return None
    head = dotted.split(".", 1)[0]
    scope = interp.scope
    while scope is not None:  # a parameter or local of an enclosing function hides the module
        if scope.kind == "function" and scope.counts.get(head):
            return None
        scope = scope.parent
    cache = _found.setdefault(interp.fa, {})
    key = "relative:" + dotted  # resolved once per file, apart from the absolute forms' entries
    if key not in cache:
        ctx = interp.fa.ctx
        relative = _relative_module_name(ctx, head) and head not in other_bindings(ctx.module.body)
        cache[key] = _resolve(interp, dotted) if relative else None
    return cache[key]


def _relative_module_name(ctx: Any, head: str) -> bool:
    """``head`` is bound once at the top of the file, by ``from . import head`` or
    ``from .pkg import x as head`` (the project's own scan of the file says so)."""
    project = getattr(ctx, "project", None)
    if project is None:
        return False
    imported = project.view(ctx.path, ctx.module).imported.get(head)
    return imported is not None and imported.level > 0


def _resolve(interp: Any, dotted: str) -> Optional[Value]:
    """``dotted`` is a bare name or a chain rooted at an imported module's name."""
    ctx = interp.fa.ctx
    project = getattr(ctx, "project", None)
    imports = ctx.imports
    parts = dotted.split(".")
    head = parts[0]
    if project is None or head in imports.rebound:
        return None
    full = imports.aliases.get(head)
    if full is None and not (len(parts) > 1 and _relative_module_name(ctx, head)) \
            and (len(parts) > 1 or not _has_relative_import(ctx.module)):
        return None
    if full is not None and full.split(".", 1)[0] in EXTERNAL:
        return None
    here = project.view(ctx.path, ctx.module)
    sym = project.lookup(here, head) if len(parts) == 1 else project.lookup_chain(here, parts)
    if sym is None or sym.kind != "function" or not isinstance(sym.node, cst.FunctionDef):
        return None
    fn = sym.node
    if not _self_contained(fn, sym.module, imports, other_bindings(ctx.module.body)):
        return None
    ctx.adopt(fn, sym.module)  # its own findings are that file's; its names resolve there
    info = interp.fa.functions.get(fn)
    if info is None:
        info = FunctionInfo(fn, _module_scope(interp.scope))
        info.params = param_names(fn)
        interp.fa.functions[fn] = info
    return Value(Kind.FUNCTION, func=fn, origin=fn)


def _module_scope(scope: Any) -> Any:
    while scope is not None and scope.parent is not None:
        scope = scope.parent
    return scope


def _has_relative_import(module: cst.Module) -> bool:
    return any(isinstance(small, cst.ImportFrom) and small.relative
               for stmt in module.body if isinstance(stmt, cst.SimpleStatementLine) for small in stmt.body)


def _self_contained(fn: cst.FunctionDef, owner: "ProjectModule", local: "ImportTable", local_bound: set) -> bool:
    body = fn.body.body if isinstance(fn.body, cst.IndentedBlock) else []
    bound = set(param_names(fn)) | other_bindings(body)
    for extra in (fn.params.star_arg, fn.params.star_kwarg):
        if isinstance(extra, cst.Param):
            bound.add(extra.name.value)
    bound |= {p.name.value for p in fn.params.kwonly_params}
    free: list[str] = []
    stack: list[cst.CSTNode] = [fn.body, *fn.decorators, *(p.default for p in _params(fn) if p.default is not None)]
    while stack:
        node = stack.pop()
        if isinstance(node, (cst.Global, cst.Nonlocal)):
            return False
        if isinstance(node, cst.Name):
            free.append(node.value)
        elif isinstance(node, cst.Attribute):
            stack.append(node.value)  # .attr is not a name read
        elif isinstance(node, cst.Arg):
            stack.append(node.value)  # nor is a keyword
        elif isinstance(node, cst.Annotation):
            continue  # annotations do not run through the data flow
        elif isinstance(node, (cst.CompFor, cst.Lambda, cst.FunctionDef)):
            bound |= _inner_bindings(node)
            stack.extend(iter_children(node))
        else:
            stack.extend(iter_children(node))
    for n in free:
        if n in bound:
            continue
        if n in BUILTIN_NAMES and n not in owner.imported and n not in owner.classes and n not in owner.functions \
                and n not in owner.constants and n not in local_bound and local.resolve(n) is None:
            continue
        mine = owner.imports.resolve(n) if n in owner.imported else None
        if mine is None or local.resolve(n) != mine:
            return False
    return True


def _params(fn: cst.FunctionDef) -> list[cst.Param]:
    p = fn.params
    return [*p.posonly_params, *p.params, *p.kwonly_params]


def _inner_bindings(node: cst.CSTNode) -> set[str]:
    """Names a comprehension, lambda or nested def binds (its loop targets, parameters)."""
    from ..astutil import target_names

    if isinstance(node, cst.CompFor):
        return set(target_names(node.target))
    if isinstance(node, (cst.Lambda, cst.FunctionDef)):
        p = node.params
        names = {q.name.value for q in (*p.posonly_params, *p.params, *p.kwonly_params)}
        for extra in (p.star_arg, p.star_kwarg):
            if isinstance(extra, cst.Param):
                names.add(extra.name.value)
        if isinstance(node, cst.FunctionDef):
            names.add(node.name.value)
        return names
    return set()
