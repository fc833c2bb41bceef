import asyncio, time
import pytest
from lsprotocol import types
from tests.lsp.conftest import lsp_session

@pytest.mark.parametrize("profile", ["vscode", "neovim"])
async def test_smoke(profile, tmp_path):
    t0=time.time()
    async with lsp_session(profile) as s:
        print("init", time.time()-t0, s.encoding, s.pull)
        uri = (tmp_path / "m.py").as_uri()
        s.open(uri, "import torch.nn.functional as F\n# 中文😀\ny = '😀'; p = F.softmax(x)\n")
        d = await s.diagnostics(uri)
        print(time.time()-t0, d)
        h = await s.hover(uri, s.pos(uri, 2, "softmax"))
        print(h.contents.value[:300])
        print(s.logs())
