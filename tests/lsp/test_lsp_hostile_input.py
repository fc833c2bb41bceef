"""Hostile input through the language server (issue 11): 3,000 nested brackets used to
kill the analysis worker (exit -11) and leave the file without any diagnostic."""
import pytest
from lsprotocol import types

pytestmark = pytest.mark.asyncio(loop_scope="module")

DEEP = "import torch\nx = " + "[" * 3000 + "]" * 3000 + "\n"


async def test_deeply_nested_file_gets_pt000_at_cpythons_place(session, workdir):
    with pytest.raises(SyntaxError) as info:
        compile(DEEP, "deep.py", "exec")
    uri = (workdir / f"deep_{session.profile}.py").as_uri()
    session.open(uri, DEEP)
    diags = await session.diagnostics(uri)
    assert [d.code for d in diags] == ["PT000"]
    assert diags[0].severity == types.DiagnosticSeverity.Error
    assert info.value.msg in diags[0].message
    assert (diags[0].range.start.line, diags[0].range.start.character) == (info.value.lineno - 1, info.value.offset - 1)


async def test_a_file_the_engine_leaves_unchecked_says_so_at_line_one(session, workdir):
    # Python accepts a 1,500-term sum, but it is beyond what ptlint analyses: an empty
    # Problems list would read as "no problems", so the editor is told what was skipped.
    src = "import torch\nx = " + "+".join(["a"] * 1500) + "\n"
    compile(src, "long.py", "exec")
    uri = (workdir / f"long_{session.profile}.py").as_uri()
    session.open(uri, src)
    diags = await session.diagnostics(uri)
    assert len(diags) == 1
    assert diags[0].severity == types.DiagnosticSeverity.Information
    assert (diags[0].range.start.line, diags[0].range.start.character) == (0, 0)
    assert "not checked" in diags[0].message and "levels deep" in diags[0].message
