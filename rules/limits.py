"""Every size and depth limit of the analysis, in one place.

Two kinds: CPython's own limits (a file beyond them does not compile, so it is reported
as PT000 with CPython's message, like any syntax error), and ptlint's limits (the file
is valid Python but analysing it would cost memory or time out of proportion; it is
reported as not checked, one line naming the file and the limit, never skipped silently).
README.md and docs/cli.md list the same values.
"""
from __future__ import annotations

# ---------------------------------------------------------------------- CPython's limits
# Tokenizer: more than 200 open brackets at once is "too many nested parentheses"
# (MAXLEVEL in Parser/tokenizer.h).
CPYTHON_MAX_BRACKET_DEPTH = 200
# Tokenizer: 100 indentation levels is "too many levels of indentation" (MAXINDENT).
CPYTHON_MAX_INDENT = 100

# ---------------------------------------------------------------------- ptlint's limits
# Files larger than this are not read: libcst needs memory proportional to the text
# and nobody hand-writes a 20 MB model file.
MAX_FILE_BYTES = 20 * 1024 * 1024
# Notebooks carry their outputs (plots, tables) in the same file; only their code cells
# are parsed, so the file may be much larger.
MAX_NOTEBOOK_BYTES = 200 * 1024 * 1024
# Tokens (names, numbers, operators, brackets) in one file, all notebook cells
# together, beyond which it is not analysed. libcst's tree takes about 2 KB per token
# and the analyses add half as much again (measured: 1 MB of short assignment lines,
# 460,000 tokens, parse to 830 MB), so this bounds a file's analysis near 600 MB. It is
# about 500 KB of typical PyTorch code; the largest hand-written model files are a
# third of that.
MAX_TOKENS = 200_000
# Expression nesting (an estimate from tokens: operators, attribute and call chains,
# brackets) beyond which a unit is not analysed. libcst's memory grows with the square
# of the nesting (2,000 nested conditional expressions take 700 MB) and CPython itself
# stops near 3,000; real code stays far below 100.
MAX_EXPRESSION_DEPTH = 1000
