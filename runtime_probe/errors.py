"""The probe's exceptions carry a one-line message in both languages."""
from __future__ import annotations


class BilingualError(Exception):
    def __init__(self, zh: str, en: str) -> None:
        super().__init__(en)
        self.zh = zh
        self.en = en

    def message(self, lang: str) -> str:
        return self.en if lang == "en" else self.zh
