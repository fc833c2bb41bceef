"""Notices: a part of a file (the whole file, or a notebook cell) that the engine left
unchecked on purpose, beyond a limit of rules/limits.py or unreadable in the notebook.

A notice is a value, not a line of text: its kind, where it is (path, cell, line) and
its message in both languages. The engine creates them; each front end (CLI, language
server, typed API) formats them in the language the user chose. Silence would read as
"no problems", so a front end always shows them. Notices travel between processes
(pool workers, the language server's worker) pickled or as ``to_dict()`` JSON."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

# Kinds (stable names, in the JSON of the results cache and for front ends that filter).
TOO_LARGE = "too-large"  # more tokens than libcst is given (memory)
TOO_DEEP = "too-deep"  # valid Python nested beyond what ptlint analyses
PARSER_RECURSION = "parser-recursion"  # libcst's parser ran out of stack
LIBCST_ONLY = "libcst-only"  # valid Python that libcst's grammar refuses
CELL_NOT_OBJECT = "cell-not-object"  # a notebook cell that is not a JSON object
CELL_NO_SOURCE = "cell-no-source"  # a notebook cell whose source is not text


@dataclass(frozen=True)
class Notice:
    """One part of a file that was not checked, and why."""

    kind: str
    path: str
    message_zh: str  # the reason alone; the place is added by :meth:`text`
    message_en: str
    cell: Optional[int] = None  # 1-based notebook cell (the numbering of findings' ``cell``)
    line: Optional[int] = None  # 1-based line in the file or cell, where the reason has one

    def message(self, lang: str = "zh") -> str:
        return self.message_en if lang == "en" else self.message_zh

    def where(self, lang: str = "zh") -> str:
        """The place inside the file: "第 2 个单元格第 3 行" / "cell 2, line 3", "" for the whole file."""
        if lang == "en":
            parts = ([f"cell {self.cell}"] if self.cell is not None else []) + (
                [f"line {self.line}"] if self.line is not None else [])
            return ", ".join(parts)
        return (f"第 {self.cell} 个单元格" if self.cell is not None else "") + (
            f"第 {self.line} 行" if self.line is not None else "")

    def text(self, lang: str = "zh", *, path: bool = True) -> str:
        """One line: ``path: place: reason`` (``path=False``: the file is known already,
        e.g. a diagnostic attached to it)."""
        where = self.where(lang)
        colon = ": " if lang == "en" else "："
        body = f"{where}{colon}{self.message(lang)}" if where else self.message(lang)
        return f"{self.path}: {body}" if path else body

    def __str__(self) -> str:  # ptlint's default language
        return self.text("zh")

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "path": self.path, "cell": self.cell, "line": self.line,
                "message_zh": self.message_zh, "message_en": self.message_en}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Notice":
        return cls(kind=d["kind"], path=d["path"], message_zh=d["message_zh"], message_en=d["message_en"],
                   cell=d.get("cell"), line=d.get("line"))


def too_large(path: str, tokens: int, limit: int) -> Notice:
    return Notice(TOO_LARGE, path,
                  f"文件太大，没有检查（约 {tokens:,} 个词法单元，上限 {limit:,}）",
                  f"too large to analyse (about {tokens:,} tokens > {limit:,}); not checked")


def too_deep(path: str, cell: Optional[int], line: Optional[int], depth: int, limit: int) -> Notice:
    return Notice(TOO_DEEP, path,
                  f"代码嵌套约 {depth} 层，超过 ptlint 能分析的 {limit} 层，没有检查（Python 本身能运行它）",
                  f"nested about {depth} levels deep (ptlint analyses up to {limit}); not checked",
                  cell=cell, line=line)


def parser_recursion(path: str, cell: Optional[int]) -> Notice:
    return Notice(PARSER_RECURSION, path,
                  "代码嵌套太深，解析器处理不了，没有检查",
                  "nested too deeply for the parser; not checked", cell=cell)


def libcst_only(path: str, cell: Optional[int]) -> Notice:
    return Notice(LIBCST_ONLY, path,
                  "这是合法的 Python 代码，但 ptlint 使用的解析器 libcst 还不支持这种写法，没有检查",
                  "valid Python that libcst cannot parse; not checked", cell=cell)


def cell_not_object(path: str, cell: int) -> Notice:
    return Notice(CELL_NOT_OBJECT, path,
                  "notebook 已损坏：这个单元格不是 JSON 对象，已跳过，其余单元格照常检查",
                  "broken notebook: the cell is not an object; cell skipped", cell=cell)


def cell_no_source(path: str, cell: int) -> Notice:
    return Notice(CELL_NO_SOURCE, path,
                  "notebook 已损坏：这个单元格的 source 不是文本，已跳过，其余单元格照常检查",
                  "broken notebook: the cell has no text source; cell skipped", cell=cell)
