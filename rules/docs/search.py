"""Ranked search over ptlint's own documentation: every rule's docs and every hover
API doc, in Chinese and English (``ptlint explain 内存共享``, the LSP's
``ptlint.searchDocs`` command).

How it works
------------
* Documents are the rules (code, kebab name, message, docs) and the API docs of
  :func:`ptlint.rules.docs.api.all_api_docs` when that module is present.
* Chinese runs are segmented with jieba (``cut_for_search``) plus our user dictionary
  ``ptlint_dict.txt`` so that terms such as 叶子节点 / 梯度清零 stay whole while their
  parts still match. Code identifiers are kept whole *and* split (``zero_grad`` →
  ``zero_grad``, ``zerograd``, ``zero``, ``grad``; ``CrossEntropyLoss`` → ``cross``,
  ``entropy``, ``loss``, ``crossentropy``, …) so spacing typos still meet.
* Ranking is BM25 over a weighted bag of terms (titles and keys weigh more than body
  text).
* The index is built once and written to the cache directory, keyed by the ptlint
  version and a hash of the files the docs come from. A query in a warm process
  never touches libcst or the rule catalog again. For queries jieba runs with a small
  dictionary made of the index's own Chinese vocabulary (a word that is not in the
  index cannot score anyway), which loads in milliseconds instead of the ~0.6 s the
  full dictionary takes.

jieba is imported only here, and only when a search runs: never on the check path.
"""
from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import re
import tempfile
import threading
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping, Optional

log = logging.getLogger("ptlint")

INDEX_FORMAT = 4  # bump when the index layout or the tokenizer changes
HERE = Path(__file__).resolve().parent
USER_DICT = HERE / "ptlint_dict.txt"

# BM25 parameters.
K1 = 1.2
B = 0.5  # milder length normalisation than the textbook 0.75: rule pages are long by design

# Field weights: how many times a field's terms count towards a document's bag.
W_KEY = 4.0       # rule code / API qualified name
W_TITLE = 3.0     # kebab name, API summary line
W_MESSAGE = 2.0   # the finding message
W_LEAD = 1.0      # the first sentence (the conclusion, by the docs' own convention), on top of the body
W_BODY = 1.0      # the docs body
W_BIGRAM = 0.3    # Chinese character bigrams: a safety net for words jieba splits differently
# Rules describe problems, API docs describe functions: a query that fits both about
# equally ("softmax crossentropy") is usually a user looking for the problem.
RULE_PRIOR = 1.15

_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_CHAR = re.compile(f"[{_CJK}]")
_TOKENISH = re.compile(f"[{_CJK}]+|[A-Za-z_][A-Za-z0-9_]*(?:[.-][A-Za-z_][A-Za-z0-9_]*)*|\\d+(?:\\.\\d+)?")
_CAMEL = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")

EN_STOP = frozenset("""
a an the of to in on at for by from is are was were be been being it its this that these those
and or but if then than so as into onto with do does did done how what why which who when where
i me my we our you your he she they them can could should would will shall may might must about
use used using get gets got there here has have had no yes not any some all each such only also
""".split()) - {"from", "not", "no", "all"}
ZH_STOP = frozenset("""
的 了 是 在 和 与 或 吗 呢 吧 啊 就 也 都 把 被 对 为 以 及 之 其 而 即 等 会 要 能 可 可以 这 那 这个 那个
这些 那些 一个 一种 一下 怎么 怎样 如何 什么 为什么 为何 哪 哪个 哪些 时 时候 中 里 上 下 后 前 用 使用 我 你
他 它 我们 你们 它们 有 没 没有 不 很 又 再 还 但 但是 如果 因为 所以 会不会 能不能 要不要 问题 请问
""".split())


# ---------------------------------------------------------------------- results
@dataclass(frozen=True)
class SearchResult:
    kind: str  # "rule" | "api"
    key: str  # "PT004", "torch.from_numpy"
    title: str  # in the query's language (zh for a Chinese query, else en)
    score: float
    snippet: str
    # lang -> (title, snippet), so a front end can show the user's language
    texts: Mapping[str, tuple[str, str]] = field(default_factory=dict, compare=False, repr=False)

    def in_lang(self, lang: str) -> tuple[str, str]:
        return self.texts.get(lang) or self.texts.get("zh") or (self.title, self.snippet)

    def to_dict(self, lang: Optional[str] = None) -> dict[str, Any]:
        title, snippet = self.in_lang(lang) if lang else (self.title, self.snippet)
        return {"kind": self.kind, "key": self.key, "title": title, "score": round(self.score, 4),
                "snippet": snippet}


# ---------------------------------------------------------------------- tokenizing
def _en_norm(word: str) -> str:
    """Lower-case and strip a plural so 'losses'/'tensors' meet 'loss'/'tensor'."""
    w = word.lower()
    if len(w) > 4 and w.endswith("sses"):
        return w[:-2]
    if len(w) > 4 and w.endswith("ies"):
        return w[:-3] + "y"
    if len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is")):
        return w[:-1]
    return w


def _ident_terms(tok: str) -> list[tuple[str, float]]:
    """Terms for one identifier-ish token: whole, joined, and its parts."""
    out: list[tuple[str, float]] = []
    low = tok.lower()
    if low.replace(".", "").isdigit():
        return [(low, 1.0)]
    segments = [s for s in re.split(r"[.]", tok) if s]
    words: list[str] = []
    for seg in segments:
        for piece in re.split(r"[_-]+", seg):
            words.extend(m.group(0) for m in _CAMEL.finditer(piece))
    words_n = [_en_norm(w) for w in words if w]
    whole = low.strip("_")
    if len(words_n) <= 1 and "." not in tok:
        w = words_n[0] if words_n else whole
        return [] if w in EN_STOP or not w else [(w, 1.0)]
    out.append((whole, 1.0))
    last = segments[-1].lower().strip("_") if segments else whole
    if last != whole:
        out.append((last, 1.0))  # torch.from_numpy -> from_numpy
    joined = "".join(w.lower() for w in words)
    if joined not in (whole, last):
        out.append((joined, 0.8))  # zero_grad -> zerograd, CrossEntropyLoss -> crossentropyloss
    for a, b in zip(words, words[1:]):
        out.append(((a + b).lower(), 0.5))  # CrossEntropyLoss -> crossentropy, entropyloss
    for w in words_n:
        if w not in EN_STOP and len(w) > 1:
            out.append((w, 0.6))
    return out


class Tokenizer:
    """Mixed Chinese / English / code tokenizer. ``jieba_tok`` is a jieba.Tokenizer."""

    def __init__(self, jieba_tok: Any) -> None:
        self.jieba = jieba_tok

    def cjk_words(self, run: str) -> list[str]:
        return [w for w in self.jieba.cut_for_search(run, HMM=True) if w.strip()]

    def terms(self, text: str, *, query: bool = False) -> list[tuple[str, float]]:
        if query:
            # Spacing typos: "梯度 清零" means 梯度清零.
            text = re.sub(f"(?<=[{_CJK}])\\s+(?=[{_CJK}])", "", text)
        out: list[tuple[str, float]] = []
        prev_words: list[str] = []
        for m in _TOKENISH.finditer(text):
            tok = m.group(0)
            if _CJK_CHAR.match(tok):
                prev_words = []
                for w in self.cjk_words(tok):
                    if w in ZH_STOP:
                        continue
                    out.append((w, 1.0))
                for a, b in zip(tok, tok[1:]):
                    out.append(("#" + a + b, W_BIGRAM))
                continue
            terms = _ident_terms(tok)
            out.extend(terms)
            if query:
                # "zero grad" / "cross entropy" / "from numpy" typed with spaces
                low = tok.lower()
                if prev_words and low not in EN_STOP:
                    last = prev_words[-1]
                    out.append((last + "_" + low, 0.8))
                    out.append((last + low, 0.8))
                    if len(prev_words) >= 2:
                        out.append((prev_words[-2] + last + low, 0.8))
                prev_words = [*prev_words, low][-2:] if low not in EN_STOP else []
        return out


# ---------------------------------------------------------------------- documents
@dataclass
class _Doc:
    kind: str
    key: str
    title: dict[str, str]  # lang -> title line
    summary: dict[str, str]  # lang -> fallback snippet
    fields: list[tuple[str, float]]  # (text, weight) to index
    body: dict[str, str]  # lang -> text used for snippets


def _strip_md(text: str) -> str:
    return re.sub(r"\*\*|__", "", text)


def _section(md: str, heading: str) -> str:
    start = md.find(heading)
    if start < 0:
        return ""
    rest = md[start + len(heading):]
    nxt = rest.find("\n## ")
    return rest[:nxt] if nxt >= 0 else rest


def _first_sentence(text: str, lang: str) -> str:
    for line in text.strip().splitlines():
        line = line.strip()
        if not line or line.startswith(("```", "#")):
            continue
        line = _strip_md(line.lstrip("-* "))
        if lang == "zh":
            m = re.match(r"(.+?[。；！？])", line)
        else:
            m = re.match(r"(.+?[.;!?])(\s|$)", line)
        return _clip(m.group(1) if m else line, 90)
    return ""


def _clip(s: str, n: int) -> str:
    s = s.strip()
    return s if len(s) <= n else s[: n - 1].rstrip() + "…"


def _rule_docs() -> list[_Doc]:
    from ptlint.rules.rule import all_rules

    out = []
    for code, rule in all_rules().items():
        docs = getattr(rule, "docs", None)
        msg = getattr(rule, "message", None)
        if docs is None:
            continue
        zh, en = docs.zh or "", docs.en or ""
        msg_zh = re.sub(r"\{[^}]*\}", " ", getattr(msg, "zh", "") or "")
        msg_en = re.sub(r"\{[^}]*\}", " ", getattr(msg, "en", "") or "")
        what_zh = _first_sentence(_section(zh, "## 它检查什么"), "zh") or _clip(msg_zh, 90)
        what_en = _first_sentence(_section(en, "## What it finds"), "en") or _clip(msg_en, 90)
        name = rule.name
        out.append(_Doc(
            "rule", code,
            title={"zh": f"{code} {name}", "en": f"{code} {name}"},
            summary={"zh": what_zh, "en": what_en},
            fields=[(code, W_KEY), (name, W_TITLE), (name.replace("-", " "), W_TITLE),
                    (msg_zh, W_MESSAGE), (msg_en, W_MESSAGE), (what_zh, W_LEAD), (what_en, W_LEAD),
                    (zh, W_BODY), (en, W_BODY)],
            body={"zh": zh + "\n" + msg_zh, "en": en + "\n" + msg_en},
        ))
    return out


def _api_module() -> Any:
    try:
        from ptlint.rules.docs import api  # written alongside the hover feature
    except ImportError:
        return None
    return api if hasattr(api, "all_api_docs") else None


_LANG_FIELD = re.compile(r"(^|_)(zh|en)($|_)")


def _api_entry_texts(entry: Any) -> tuple[Optional[str], dict[str, list[str]], list[str]]:
    """(key, lang -> texts, shared texts) of one API doc entry, whatever its shape
    (a dataclass / object with attributes, or a mapping)."""
    if isinstance(entry, Mapping):
        items = list(entry.items())
    elif hasattr(entry, "__dataclass_fields__"):
        items = [(f, getattr(entry, f, None)) for f in entry.__dataclass_fields__]
    else:
        items = [(k, v) for k, v in vars(entry).items() if not k.startswith("_")]
    key = None
    by_lang: dict[str, list[str]] = {"zh": [], "en": []}
    shared: list[str] = []
    for name, value in items:
        if name in ("qualname", "key", "name", "api", "qualified_name") and isinstance(value, str) and key is None:
            key = value
        texts: list[str] = []
        if isinstance(value, str):
            texts = [value]
        elif hasattr(value, "zh") and hasattr(value, "en"):  # a Message/Docs-like pair
            by_lang["zh"].append(str(value.zh or ""))
            by_lang["en"].append(str(value.en or ""))
            continue
        elif isinstance(value, Mapping) and set(value) & {"zh", "en"}:
            for lang in ("zh", "en"):
                if isinstance(value.get(lang), str):
                    by_lang[lang].append(value[lang])
            continue
        elif isinstance(value, (list, tuple)):
            texts = [v for v in value if isinstance(v, str)]
        if not texts:
            continue
        m = _LANG_FIELD.search(name)
        if m:
            by_lang[m.group(2)].extend(texts)
        else:
            shared.extend(texts)
    return key, by_lang, shared


def _api_docs() -> list[_Doc]:
    api = _api_module()
    if api is None:
        return []
    try:
        docs = api.all_api_docs()
    except Exception as exc:  # someone else's module: never let it break search
        log.warning("ptlint: API docs unavailable for search: %s", exc)
        return []
    entries: Iterable[tuple[Optional[str], Any]]
    if isinstance(docs, Mapping):
        entries = docs.items()
    else:
        entries = ((None, d) for d in docs)
    out = []
    for map_key, entry in entries:
        if all(hasattr(entry, a) for a in ("qualname", "zh", "en")):  # ptlint.rules.docs.api.ApiDoc
            out.append(_api_doc_record(entry))
            continue
        if isinstance(entry, str):
            key, by_lang, shared = map_key, {"zh": [entry], "en": []}, []
        else:
            key, by_lang, shared = _api_entry_texts(entry)
            key = map_key if isinstance(map_key, str) else key
        if not key:
            continue
        zh = "\n".join(by_lang["zh"])
        en = "\n".join(by_lang["en"])
        sig = "\n".join(s for s in shared if s != key)
        short = key.rsplit(".", 1)[-1]
        out.append(_Doc(
            "api", key,
            title={"zh": key, "en": key},
            summary={"zh": _first_sentence(_strip_sig(zh), "zh"), "en": _first_sentence(_strip_sig(en), "en")},
            fields=[(key, W_KEY), (short, W_TITLE), (sig, W_MESSAGE), (zh, W_BODY), (en, W_BODY)],
            body={"zh": zh, "en": en},
        ))
    return out


def _api_doc_record(entry: Any) -> _Doc:
    key = str(entry.qualname)
    zh, en = str(entry.zh or ""), str(entry.en or "")
    aliases = [str(a) for a in getattr(entry, "aliases", ()) or ()]
    sig = str(getattr(entry, "signature", "") or "")
    example = str(getattr(entry, "example", "") or "")
    short = key.rsplit(".", 1)[-1]
    lead_zh, lead_en = _first_sentence(zh, "zh"), _first_sentence(en, "en")
    fields = [(key, W_KEY), (short, W_TITLE), (" ".join(aliases), W_TITLE), (sig, W_MESSAGE),
              (lead_zh, W_LEAD), (lead_en, W_LEAD), (zh, W_BODY), (en, W_BODY), (example, W_BODY * 0.5)]
    return _Doc(
        "api", key,
        title={"zh": key, "en": key},
        summary={"zh": lead_zh, "en": lead_en},
        fields=fields,
        body={"zh": zh, "en": en},
    )


def _strip_sig(text: str) -> str:
    # API docs usually start with a bold signature line: the summary is what follows.
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if lines and lines[0].lstrip().startswith("**") and lines[0].rstrip().endswith("**"):
        lines = lines[1:]
    return "\n".join(lines)


# ---------------------------------------------------------------------- the index
@dataclass
class Index:
    docs: list[dict[str, Any]]  # kind, key, title{}, summary{}, body{}
    tf: list[dict[str, float]]  # per doc: term -> weighted frequency
    length: list[float]
    df: dict[str, int]
    vocab_zh: dict[str, int]  # Chinese words of the index -> jieba frequency (query dictionary)

    @property
    def avgdl(self) -> float:
        return (sum(self.length) / len(self.length)) if self.length else 1.0

    def to_json(self) -> dict[str, Any]:
        return {"format": INDEX_FORMAT, "docs": self.docs, "tf": self.tf, "length": self.length,
                "df": self.df, "vocab_zh": self.vocab_zh}

    @staticmethod
    def from_json(d: Mapping[str, Any]) -> "Index":
        return Index(list(d["docs"]), list(d["tf"]), list(d["length"]), dict(d["df"]), dict(d["vocab_zh"]))


def _full_jieba(cache: Optional[Path]) -> Any:
    import jieba

    jieba.setLogLevel(logging.WARNING)
    tok = jieba.Tokenizer()
    if cache is not None:
        tok.cache_file = str(cache / "jieba-main.cache")  # jieba's own prefix-dict cache
    tok.load_userdict(str(USER_DICT))
    return tok


def build_index(cache: Optional[Path] = None) -> Index:
    """Index every doc from scratch (slow path: imports the catalog and full jieba)."""
    jtok = _full_jieba(cache)
    tokenizer = Tokenizer(jtok)
    docs = _rule_docs() + _api_docs()
    tfs: list[dict[str, float]] = []
    lengths: list[float] = []
    df: Counter[str] = Counter()
    zh_vocab: set[str] = set()
    for doc in docs:
        bag: dict[str, float] = defaultdict(float)
        for text, weight in doc.fields:
            for term, w in tokenizer.terms(text):
                bag[term] += w * weight
                if _CJK_CHAR.match(term):
                    zh_vocab.add(term)
        tfs.append({t: round(v, 3) for t, v in bag.items()})
        lengths.append(round(sum(bag.values()), 3))
        df.update(bag.keys())
    freq = {w: int(jtok.FREQ.get(w) or 1) for w in sorted(zh_vocab)}
    return Index(
        docs=[{"kind": d.kind, "key": d.key, "title": d.title, "summary": d.summary, "body": d.body} for d in docs],
        tf=tfs, length=lengths, df=dict(df), vocab_zh=freq,
    )


# ---------------------------------------------------------------------- caching
def cache_dir() -> Optional[Path]:
    """Where the index lives: $PTLINT_CACHE_DIR, else the user cache dir
    (~/.cache/ptlint, %LOCALAPPDATA%\\ptlint), else ./.ptlint_cache; None if none is writable."""
    candidates = []
    env = os.environ.get("PTLINT_CACHE_DIR")
    if env:
        candidates.append(Path(env))
    if os.name == "nt" and os.environ.get("LOCALAPPDATA"):
        candidates.append(Path(os.environ["LOCALAPPDATA"]) / "ptlint" / "Cache")
    xdg = os.environ.get("XDG_CACHE_HOME")
    candidates.append((Path(xdg) if xdg else Path.home() / ".cache") / "ptlint")
    candidates.append(Path.cwd() / ".ptlint_cache")
    for base in candidates:
        d = base / "docs-search"
        try:
            d.mkdir(parents=True, exist_ok=True)
            if os.access(d, os.W_OK):
                return d
        except OSError:
            continue
    return None


def _source_files() -> list[Path]:
    """The files the docs come from: the rule catalog and this docs package."""
    roots = [HERE.parent / "catalog", HERE]
    files: list[Path] = []
    for root in roots:
        if not root.is_dir():
            continue
        for p in root.rglob("*"):
            if p.is_file() and p.suffix in (".py", ".md", ".json", ".txt", ".toml", ".yaml", ".yml") \
                    and "__pycache__" not in p.parts:
                files.append(p)
    return sorted(files)


def fingerprint() -> str:
    from ptlint import __version__

    h = hashlib.sha256(f"ptlint {__version__} index {INDEX_FORMAT}\n".encode())
    for p in _source_files():
        try:
            data = p.read_bytes()
        except OSError:
            continue
        h.update(p.name.encode() + b"\0" + hashlib.sha256(data).digest())
    return h.hexdigest()[:20]


def _write_atomic(path: Path, text: str) -> None:
    from ptlint.rules.fsutil import atomic_write

    atomic_write(path, text)


class _Searcher:
    def __init__(self, index: Index, cache: Optional[Path], fp: str) -> None:
        self.index = index
        self.N = len(index.docs)
        self.avgdl = index.avgdl
        self.tokenizer = Tokenizer(self._query_jieba(cache, fp))

    def _query_jieba(self, cache: Optional[Path], fp: str) -> Any:
        import jieba

        jieba.setLogLevel(logging.WARNING)
        base = cache or Path(tempfile.gettempdir())
        path = base / f"query-dict-{fp}.txt"
        if not path.exists():
            lines = "".join(f"{w} {f}\n" for w, f in self.index.vocab_zh.items())
            try:
                _write_atomic(path, lines)
            except OSError:
                path = Path(tempfile.mkstemp(suffix=".txt")[1])
                path.write_text(lines, encoding="utf-8")
        tok = jieba.Tokenizer(dictionary=str(path))
        tok.tmp_dir = str(base)
        tok.cache_file = f"jieba-query-{fp}.cache"
        if not self.index.vocab_zh:
            return _NoCjk()
        tok.initialize()
        return tok

    def idf(self, term: str) -> float:
        n = self.index.df.get(term, 0)
        return math.log(1 + (self.N - n + 0.5) / (n + 0.5))

    def query_terms(self, query: str) -> dict[str, float]:
        weights: dict[str, float] = {}
        for term, w in self.tokenizer.terms(query, query=True):
            if term in self.index.df:
                weights[term] = max(weights.get(term, 0.0), w)
        return weights

    def search(self, query: str, limit: int) -> list[SearchResult]:
        q = self.query_terms(query)
        if not q:
            return []
        scores: dict[int, float] = defaultdict(float)
        whole_word_hit: set[int] = set()
        for term, qw in q.items():
            idf = self.idf(term)
            for i, tf in enumerate(self.index.tf):
                f = tf.get(term)
                if not f:
                    continue
                denom = f + K1 * (1 - B + B * self.index.length[i] / self.avgdl)
                scores[i] += qw * idf * f * (K1 + 1) / denom
                if not term.startswith("#"):
                    whole_word_hit.add(i)
        # character bigrams only refine a ranking; alone they are noise ("的了是")
        scores = defaultdict(float, {i: v for i, v in scores.items() if i in whole_word_hit})
        qnorm = query.strip().lower().replace(" ", "")
        for i, doc in enumerate(self.index.docs):
            # An exact key or name ("pt004", "from_numpy", "zero-grad") is what the user meant.
            key = doc["key"].lower()
            names = {key, key.rsplit(".", 1)[-1], doc["title"]["en"].lower().split(" ")[-1]}
            if qnorm in names and i in scores:
                scores[i] *= 1.5
            elif doc["kind"] == "rule" and i in scores:
                scores[i] *= RULE_PRIOR
        ranked = sorted(scores.items(), key=lambda kv: (-kv[1], self.index.docs[kv[0]]["key"]))[:limit]
        lang = "zh" if _CJK_CHAR.search(query) else "en"
        results = []
        for i, score in ranked:
            doc = self.index.docs[i]
            texts = {ln: (doc["title"][ln], self.snippet(doc, ln, q))
                     for ln in ("zh", "en")}
            results.append(SearchResult(doc["kind"], doc["key"], texts[lang][0], score, texts[lang][1], texts))
        return results

    def snippet(self, doc: Mapping[str, Any], lang: str, q: Mapping[str, float]) -> str:
        """The sentence of the doc that holds the most (idf-weighted) query terms. Terms
        are found by substring, not by segmenting every sentence again: a snippet only
        has to be a good excerpt, and this keeps a query to a few milliseconds."""
        body = doc["body"].get(lang) or ""
        needles = [(t, self.idf(t) * w) for t, w in q.items() if not t.startswith("#")]
        best, best_score = "", 0.0
        in_code = False
        for raw in body.splitlines():
            line = raw.strip()
            if line.startswith("```"):
                in_code = not in_code
                continue
            if not line or line.startswith("#") or in_code:
                continue
            sentences = re.split(r"(?<=[。！？；])|(?<=[.!?;])\s+", _strip_md(line.lstrip("-* ")))
            for s in sentences:
                s = s.strip()
                if len(s) < 4:
                    continue
                low = s.lower()
                score = sum(weight for t, weight in needles if t in low)
                if score > best_score:
                    best, best_score = s, score
        return _clip(best, 110) if best else doc["summary"].get(lang, "")


class _NoCjk:
    """Stands in for jieba when the index holds no Chinese at all."""

    def cut_for_search(self, text: str, HMM: bool = True) -> list[str]:
        return [text]


_lock = threading.Lock()
_state: dict[str, Any] = {}


def _load(rebuild: bool = False) -> _Searcher:
    with _lock:
        fp = _state.get("fp") or fingerprint()
        s = _state.get("searcher")
        if s is not None and _state.get("fp") == fp and not rebuild:
            return s
        cache = cache_dir()
        index = None
        path = cache / f"index-{fp}.json" if cache else None
        if path is not None and path.exists() and not rebuild:
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
                if data.get("format") == INDEX_FORMAT:
                    index = Index.from_json(data)
            except (OSError, ValueError, KeyError, TypeError):
                index = None  # a damaged cache file is rebuilt, never trusted
        if index is None:
            index = build_index(cache)
            if path is not None:
                try:
                    _write_atomic(path, json.dumps(index.to_json(), ensure_ascii=False, separators=(",", ":")))
                    for old in path.parent.glob("index-*.json"):
                        if old != path:
                            old.unlink(missing_ok=True)
                    for old in path.parent.glob("query-dict-*.txt"):
                        if fp not in old.name:
                            old.unlink(missing_ok=True)
                    for old in path.parent.glob("jieba-query-*.cache"):
                        if fp not in old.name:
                            old.unlink(missing_ok=True)
                except OSError as exc:
                    log.debug("ptlint: cannot write the docs index cache: %s", exc)
        s = _Searcher(index, cache, fp)
        _state.update(fp=fp, searcher=s)
        return s


def search(query: str, limit: int = 10) -> list[SearchResult]:
    """Rule and API docs ranked for ``query`` (Chinese, English, identifiers, mixed)."""
    if not query or not query.strip():
        return []
    return _load().search(query, limit)


def format_results(results: list[SearchResult], lang: str) -> str:
    if not results:
        return ("没有找到相关文档。换个说法试试，或用 `ptlint rules` 查看全部规则。\n" if lang != "en"
                else "No matching docs. Try other words, or `ptlint rules` for the full list.\n")
    kind_label = {"rule": "规则", "api": "API"} if lang != "en" else {"rule": "rule", "api": "API"}
    lines = []
    for n, r in enumerate(results, 1):
        title, snippet = r.in_lang(lang)
        lines.append(f"{n:>2}. {title}  [{kind_label.get(r.kind, r.kind)}]")
        if snippet:
            lines.append(f"    {snippet}")
    tail = ("\n查看完整说明：ptlint explain <规则代码>，例如 ptlint explain {code}\n" if lang != "en"
            else "\nFull page: ptlint explain <code>, e.g. ptlint explain {code}\n")
    first_rule = next((r.key for r in results if r.kind == "rule"), None)
    out = "\n".join(lines) + "\n"
    if first_rule:
        out += tail.format(code=first_rule)
    return out
