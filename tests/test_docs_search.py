"""Documentation search (``ptlint explain <words>``): ranking quality on a fixed table of
queries, the on-disk index cache, and the CLI entry point."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# query -> the result a user means (rule code or API qualified name).
# Chinese, English, mixed, identifiers, and spacing typos ("梯度 清零", "zero grad", "crossentropy").
TABLE = [
    # PT001 view on non-contiguous
    ("view 连续", "PT001"),
    ("view non contiguous", "PT001"),
    ("转置 之后 view 报错", "PT001"),
    # PT002 missing zero_grad
    ("梯度清零", "PT002"),
    ("梯度 清零", "PT002"),
    ("忘记 zero_grad 梯度累积", "PT002"),
    ("missing zero grad", "PT002"),
    # PT003 loss target dtype
    ("交叉熵 目标 类型 int64", "PT003"),
    ("cross entropy target dtype long", "PT003"),
    # PT004 shared memory
    ("内存共享", "PT004"),
    ("numpy 共享内存", "PT004"),
    ("from_numpy shared memory write", "PT004"),
    # PT005 / PT006 shapes
    ("形状不匹配 in_features", "PT005"),
    ("shape mismatch conv linear", "PT005"),
    ("卷积 向下取整 舍弃", "PT006"),
    # PT010 softmax + cross entropy
    ("softmax 交叉熵", "PT010"),
    ("softmax before cross entropy", "PT010"),
    ("softmax crossentropy", "PT010"),
    # PT011 BCE
    ("BCELoss logits", "PT011"),
    ("BCELoss 输入没有经过 sigmoid", "PT011"),
    # PT012 grad of non-leaf
    ("非叶子节点 grad None", "PT012"),
    ("grad of non leaf tensor is None", "PT012"),
    # PT013 in-place on leaf
    ("原地操作 叶子节点 requires_grad", "PT013"),
    ("in-place leaf requires grad", "PT013"),
    # PT014 numpy on requires_grad
    ("requires_grad 张量 调用 numpy", "PT014"),
    ("numpy requires grad detach", "PT014"),
    # PT015 uninitialized
    ("未初始化", "PT015"),
    ("empty uninitialized read", "PT015"),
    # PT016 legacy constructors
    ("旧式构造函数", "PT016"),
    ("FloatTensor legacy", "PT016"),
    # PT017 softmax dim
    ("softmax 维度 dim", "PT017"),
    ("softmax without dim", "PT017"),
    # PT018 scheduler order
    ("学习率衰减 scheduler 顺序", "PT018"),
    ("scheduler step order", "PT018"),
    # PT019 step before backward
    ("step 在 backward 之前", "PT019"),
    ("optimizer step before backward", "PT019"),
    # PT020 vocabulary from a set
    ("词表 set 顺序", "PT020"),
    ("vocabulary set order hash", "PT020"),
    # PT021 jieba generator
    ("jieba 生成器", "PT021"),
    ("jieba cut generator twice", "PT021"),
    # PT022 embedding index dtype
    ("词嵌入 索引 类型", "PT022"),
    ("embedding float indices", "PT022"),
    # PT023 batch_first
    ("batch_first", "PT023"),
    ("RNN 输入 批量维 序列长度", "PT023"),
    # PT024 torch.tensor of a tensor
    ("torch.tensor 已经是张量 警告", "PT024"),
    ("tensor from tensor warning clone detach", "PT024"),
    # PT025 squeeze
    ("squeeze 批量维", "PT025"),
    ("squeeze without dim", "PT025"),
    # PT026 init vs activation
    ("kaiming xavier 激活函数", "PT026"),
    ("xavier relu init", "PT026"),
    # PT027 dropout p
    ("dropout 概率", "PT027"),
    ("dropout probability range", "PT027"),
    # hover API docs
    ("from_numpy", "torch.from_numpy"),
    ("torch.from_numpy", "torch.from_numpy"),
    ("按步长生成 前闭后开", "torch.arange"),
    ("linspace", "torch.linspace"),
    ("单位矩阵", "torch.eye"),
    ("设置随机种子", "torch.manual_seed"),
    ("detach", "torch.Tensor.detach"),
]


@pytest.fixture(scope="module")
def search_mod(tmp_path_factory):
    from ptlint.rules.docs import search

    cache = tmp_path_factory.mktemp("ptlint-cache")
    old = os.environ.get("PTLINT_CACHE_DIR")
    os.environ["PTLINT_CACHE_DIR"] = str(cache)
    search._state.clear()
    yield search
    search._state.clear()
    if old is None:
        os.environ.pop("PTLINT_CACHE_DIR", None)
    else:
        os.environ["PTLINT_CACHE_DIR"] = old


def test_table_is_large_and_mixed():
    assert len(TABLE) >= 40
    cjk = sum(1 for q, _ in TABLE if any("\u4e00" <= c <= "\u9fff" for c in q))
    assert cjk >= 15 and len(TABLE) - cjk >= 15


def test_ranking_table(search_mod):
    misses_top1, misses_top3 = [], []
    for query, expected in TABLE:
        keys = [r.key for r in search_mod.search(query, limit=3)]
        if not keys or keys[0] != expected:
            misses_top1.append((query, expected, keys))
        if expected not in keys:
            misses_top3.append((query, expected, keys))
    assert not misses_top3, f"not in the top 3: {misses_top3}"
    top1 = 1 - len(misses_top1) / len(TABLE)
    assert top1 >= 0.9, f"top-1 {top1:.0%}; misses: {misses_top1}"


def test_results_carry_both_languages(search_mod):
    res = search_mod.search("内存共享", limit=5)
    assert res and res[0].kind == "rule"
    zh_title, zh_snip = res[0].in_lang("zh")
    en_title, en_snip = res[0].in_lang("en")
    assert res[0].key in zh_title and res[0].key in en_title
    assert any("\u4e00" <= c <= "\u9fff" for c in zh_snip)
    assert en_snip and not any("\u4e00" <= c <= "\u9fff" for c in en_snip)
    scores = [r.score for r in res]
    assert scores == sorted(scores, reverse=True)


def test_format_results(search_mod):
    res = search_mod.search("内存共享", limit=3)
    zh = search_mod.format_results(res, "zh")
    en = search_mod.format_results(res, "en")
    assert zh.splitlines()[0].startswith(" 1. PT004") and "[规则]" in zh
    assert "[rule]" in en and "ptlint explain PT004" in en
    assert "没有找到" in search_mod.format_results([], "zh")
    assert "No matching" in search_mod.format_results([], "en")


def test_nonsense_and_empty_queries(search_mod):
    assert search_mod.search("") == []
    assert search_mod.search("   ") == []
    assert search_mod.search("qwxzv") == []
    assert search_mod.search("的 了 是") == []


def test_user_dictionary_keeps_terms_whole():
    from ptlint.rules.docs.search import Tokenizer, _full_jieba

    tok = Tokenizer(_full_jieba(None))
    for term in ("叶子节点", "梯度清零", "内存连续", "学习率衰减", "词嵌入", "独热编码", "反向传播", "交叉熵"):
        words = list(tok.jieba.cut(f"关于{term}的说明"))
        assert term in words, (term, words)


def test_identifier_terms():
    from ptlint.rules.docs.search import _ident_terms

    terms = dict(_ident_terms("optimizer.zero_grad"))
    assert {"optimizer.zero_grad", "zero_grad", "zerograd", "zero", "grad"} <= set(terms)
    camel = dict(_ident_terms("CrossEntropyLoss"))
    assert {"crossentropyloss", "crossentropy", "cross", "entropy", "loss"} <= set(camel)


def test_index_is_cached_on_disk_and_reused(search_mod, monkeypatch):
    search_mod.search("softmax")  # make sure it is built
    cache = Path(os.environ["PTLINT_CACHE_DIR"]) / "docs-search"
    index_files = list(cache.glob("index-*.json"))
    assert len(index_files) == 1
    assert search_mod.fingerprint() in index_files[0].name
    assert (cache / "jieba-main.cache").exists()  # jieba's own dictionary cache lives with ours
    # A new process (simulated by clearing the in-memory state) must not rebuild.
    search_mod._state.clear()

    def no_build(*a, **k):
        raise AssertionError("index rebuilt although a valid cache exists")

    monkeypatch.setattr(search_mod, "build_index", no_build)
    assert search_mod.search("softmax 交叉熵")[0].key == "PT010"


def test_damaged_cache_is_rebuilt(search_mod):
    search_mod.search("softmax")
    cache = Path(os.environ["PTLINT_CACHE_DIR"]) / "docs-search"
    path = next(cache.glob("index-*.json"))
    path.write_text("{ not json", encoding="utf-8")
    search_mod._state.clear()
    assert search_mod.search("dropout 概率")[0].key == "PT027"
    assert json.loads(path.read_text(encoding="utf-8"))["format"] == search_mod.INDEX_FORMAT


def test_fingerprint_follows_doc_sources(search_mod, monkeypatch, tmp_path):
    extra = tmp_path / "extra.py"
    extra.write_text("A = 1\n")
    real = search_mod._source_files
    monkeypatch.setattr(search_mod, "_source_files", lambda: [*real(), extra])
    before = search_mod.fingerprint()
    extra.write_text("A = 2\n")
    assert search_mod.fingerprint() != before


def test_unwritable_cache_still_searches(search_mod, monkeypatch):
    monkeypatch.setattr(search_mod, "cache_dir", lambda: None)
    search_mod._state.clear()
    assert search_mod.search("jieba 生成器")[0].key == "PT021"
    search_mod._state.clear()


def test_cli_explain_searches(run_cli, tmp_path):
    env = {"PTLINT_CACHE_DIR": str(tmp_path / "cache")}
    proc = run_cli("explain", "内存共享", env=env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[0].lstrip().startswith("1. PT004")
    proc = run_cli("explain", "--lang", "en", "zero", "grad", env=env)
    assert proc.returncode == 0, proc.stderr
    assert "PT002" in proc.stdout and "[rule]" in proc.stdout


def test_check_path_never_imports_jieba(tmp_path):
    src = tmp_path / "m.py"
    src.write_text("import torch\nimport jieba\nseg = jieba.cut(t)\nprint(list(seg), list(seg))\n", encoding="utf-8")
    code = ("import sys\nfrom ptlint.server import cli\nrc = cli.main(['check', '--no-cache', sys.argv[1]])\n"
            "print('JIEBA' if 'jieba' in sys.modules else 'NO-JIEBA', rc, file=sys.stderr)\n")
    proc = subprocess.run([sys.executable, "-c", code, str(src)], capture_output=True, text=True, cwd=tmp_path)
    assert "NO-JIEBA 1" in proc.stderr, proc.stderr
    assert "PT021" in proc.stdout


def test_rule_pages_are_generated_from_the_rule_files(tmp_path):
    """docs/rules.md and docs/rules/PTxxx.md come from the rule files (one source): the
    committed pages must equal a fresh rendering. Run scripts/gen_rule_docs.py after
    editing a rule's docs."""
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "gen_rule_docs.py"), "--check"],
                          capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "gen_rule_docs.py"), "--out", str(tmp_path)],
                          capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    from ptlint.rules.rule import all_rules

    pages = {p.stem for p in (tmp_path / "rules").glob("PT*.md")}
    assert pages == set(all_rules())
    catalog = (tmp_path / "rules.md").read_text(encoding="utf-8")
    assert all(f"[{code}](rules/{code}.md)" in catalog for code in all_rules())
    page = (tmp_path / "rules" / "PT020.md").read_text(encoding="utf-8")
    assert "### 为什么有问题" in page and "### Why it is a problem" in page and "sorted(set(words))" in page
