"""The real ptlint language server with extra test rules registered, for the
end-to-end tests that need behaviour no shipped rule has (yet): a rule that raises,
one with related locations and tags, one with a safe fix, one that kills the
analysis worker, one that never finishes and one that waits at a gate the test opens.

The rules are defined at module level: the analysis worker is started with
multiprocessing's "spawn", which imports this script again (as ``__mp_main__``) in the
worker, so the rules exist there too; the server itself starts only under
``__main__``."""
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import libcst as cst  # noqa: E402

from ptlint.rules.findings import FixSafety, Severity  # noqa: E402
from ptlint.rules.rule import Docs, FixSpec, Message, Related, Replace, Rule  # noqa: E402

_DOCS = Docs(zh="## 它检查什么\n测试规则。\n", en="## What it finds\nA test rule.\n")


class Explodes(Rule):
    """Raises on any call to a function named ``boom``."""

    code = "PT990"
    name = "test-explodes"
    message = Message(zh="不会出现", en="never shown")
    docs = _DOCS

    def visit_Call(self, node: cst.Call) -> None:
        if isinstance(node.func, cst.Name) and node.func.value == "boom":
            raise ValueError("boom went the rule")


class PointsBack(Rule):
    """``y = alias_of(x)`` later used as ``use(y)``: report the use, relate the alias."""

    code = "PT991"
    name = "test-points-back"
    severity = Severity.INFO
    tags = ("deprecated",)
    message = Message(zh="用到了别名 {name}", en="uses the alias {name}")
    docs = _DOCS

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self.aliases = {}

    def visit_Assign(self, node: cst.Assign) -> None:
        v = node.value
        if isinstance(v, cst.Call) and isinstance(v.func, cst.Name) and v.func.value == "alias_of":
            target = node.targets[0].target
            if isinstance(target, cst.Name):
                self.aliases[target.value] = node

    def visit_Call(self, node: cst.Call) -> None:
        if isinstance(node.func, cst.Name) and node.func.value == "use" and node.args:
            arg = node.args[0].value
            if isinstance(arg, cst.Name) and arg.value in self.aliases:
                self.report(node, name=arg.value, extra={"tags": ["unnecessary"]},
                            related=[Related(self.aliases[arg.value], "别名在这里创建", "alias created here")])


class SafeFix(Rule):
    """``torch.FloatTensor(...)`` -> ``torch.tensor(..., dtype=torch.float32)``-like
    stand-in: rewrites ``old_api(`` to ``new_api(`` with a SAFE fix."""

    code = "PT992"
    name = "test-safe-fix"
    fix_safety = FixSafety.SAFE
    message = Message(zh="请用 new_api", en="use new_api")
    docs = _DOCS

    def visit_Call(self, node: cst.Call) -> None:
        if isinstance(node.func, cst.Name) and node.func.value == "old_api":
            self.report(node, fix=FixSpec((Replace(node.func, "new_api"),), "改用 new_api", "use new_api"))


class KillsWorker(Rule):
    """Ends the process it runs in (the analysis worker) on ``crash_worker()``."""

    code = "PT993"
    name = "test-kills-worker"
    message = Message(zh="不会出现", en="never shown")
    docs = _DOCS

    def visit_Call(self, node: cst.Call) -> None:
        if isinstance(node.func, cst.Name) and node.func.value == "crash_worker":
            os._exit(3)


class Hangs(Rule):
    """Sleeps (a runaway analysis) on ``hang_worker()``."""

    code = "PT994"
    name = "test-hangs"
    message = Message(zh="不会出现", en="never shown")
    docs = _DOCS

    def visit_Call(self, node: cst.Call) -> None:
        if isinstance(node.func, cst.Name) and node.func.value == "hang_worker":
            import time

            time.sleep(30)


class WaitsAtGate(Rule):
    """On ``gate_worker()``: says it has started (``$PTLINT_TEST_GATE.started``), then
    waits until the test creates ``$PTLINT_TEST_GATE``, so that the test knows an
    analysis is running while it sends its edits, whatever the machine's load."""

    code = "PT995"
    name = "test-waits-at-gate"
    message = Message(zh="不会出现", en="never shown")
    docs = _DOCS

    def visit_Call(self, node: cst.Call) -> None:
        gate = os.environ.get("PTLINT_TEST_GATE")
        if gate and isinstance(node.func, cst.Name) and node.func.value == "gate_worker":
            import time

            Path(gate + ".started").touch()
            deadline = time.monotonic() + 120
            while not os.path.exists(gate) and time.monotonic() < deadline:
                time.sleep(0.01)


if __name__ == "__main__":
    from ptlint.server.lsp import main

    sys.exit(main())
