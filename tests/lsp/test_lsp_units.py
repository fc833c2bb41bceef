"""The server's pure parts, without a client: column conversion, noqa edits, minimal
whole-document edits, settings merging, the word under the cursor."""
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lsprotocol import types

from ptlint.rules.config import Config
from ptlint.rules.findings import Position, Severity
from ptlint.server.lsp.actions import noqa_edit, whole_edit
from ptlint.server.lsp.apidocs import token_at
from ptlint.server.lsp.positions import LineIndex, code_points, units
from ptlint.server.lsp.settings import EditorSettings, parse_settings

from .conftest import apply_text_edits

LINE = "a = '温度😀' + b  # 注释"


@pytest.mark.parametrize("encoding,expected", [("utf-16", 13), ("utf-8", 19), ("utf-32", 12)])
def test_units_count_what_each_encoding_counts(encoding, expected):
    col = LINE.index("b")  # 12 code points in
    assert units(LINE, col, encoding) == expected
    assert code_points(LINE, expected, encoding) == col


def test_positions_inside_a_character_round_down_and_clamp():
    assert code_points(LINE, 8, "utf-16") == 7  # inside the surrogate pair of 😀 (units 7-8)
    assert code_points(LINE, 1000, "utf-16") == len(LINE)
    li = LineIndex("x\n" + LINE, "utf-16")
    assert li.to_client(Position(2, 999)) == types.Position(1, units(LINE, len(LINE)))
    assert li.to_client(Position(9, 0)) == types.Position(1, units(LINE, len(LINE)))  # past the end
    assert li.from_client(types.Position(1, 13)) == Position(2, 12)


def test_line_endings_count_as_lsp_counts_them():
    li = LineIndex("a\r\nb\rc\nd", "utf-16")
    assert li.lines == ["a", "b", "c", "d"]


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40),
       st.sampled_from(["utf-8", "utf-16", "utf-32"]))
def test_column_conversion_round_trips(line, encoding):
    for col in range(len(line) + 1):
        assert code_points(line, units(line, col, encoding), encoding) == col


@pytest.mark.parametrize("line,expected", [
    ("y = f(x)", "y = f(x)  # noqa: PT017"),
    ("y = f(x)   ", "y = f(x)  # noqa: PT017"),
    ("y = f(x)  # noqa: PT027", "y = f(x)  # noqa: PT027, PT017"),
    ("y = f(x)  # NOQA:PT027,PT001", "y = f(x)  # NOQA:PT027,PT001, PT017"),
    ("y = f(x)  # ptlint: disable=PT027", "y = f(x)  # ptlint: disable=PT027,PT017"),
    ("y = f(x)  # why: keep this", "y = f(x)  # why: keep this  # noqa: PT017"),
    ("s = '# noqa: PT001' + f(x)", "s = '# noqa: PT001' + f(x)  # noqa: PT017"),
])
def test_noqa_edit(line, expected):
    start, end, text = noqa_edit(line, "PT017")
    assert line[:start] + text + line[end:] == expected


@pytest.mark.parametrize("line", [
    "y = f(x)  # noqa", "y = f(x)  # noqa: PT017", "y = f(x)  # noqa: PT001, PT017",
    "y = f(x) + \\", "s = '''doc starts here",
])
def test_no_noqa_edit_where_it_is_not_needed_or_not_possible(line):
    assert noqa_edit(line, "PT017") is None


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["a\n", "b\n", "x = 1\n", "温度😀\n", "\r\n", "c"]), max_size=8),
       st.lists(st.sampled_from(["a\n", "b\n", "y = 2\n", "😀\n", "\r\n", "d"]), max_size=8))
def test_whole_edit_turns_old_into_new(old_parts, new_parts):
    old, new = "".join(old_parts), "".join(new_parts)
    for encoding in ("utf-8", "utf-16"):
        edit = whole_edit(old, new, encoding)
        assert apply_text_edits(old, [edit], encoding) == new


def test_whole_edit_touches_only_changed_lines():
    old = "a\nb\nc\nd\n"
    edit = whole_edit(old, "a\nB\nc\nd\n", "utf-16")
    assert edit.range == types.Range(types.Position(1, 0), types.Position(2, 0))
    assert edit.new_text == "B\n"


def test_settings_parse_and_report_problems():
    s, problems = parse_settings({"ptlint": {
        "lang": "en", "select": ["pt0"], "ignore": [], "severity": {"PT017": "information"},
        "lintOnChange": False, "debounceMs": 50, "inlayHints": {"shapes": False},
        "probe": {"enable": True, "device": "cuda:1", "timeout": 5}, "ruleDocsUrl": "https://x/{code}",
        "nonsense": 1}})
    assert s.lang == "en" and s.select == ("PT0",) and s.ignore is None  # [] leaves it to pyproject
    assert s.severity == (("PT017", Severity.INFO),)
    assert (s.lint_on_change, s.debounce_ms, s.inlay_shapes) == (False, 50, False)
    assert s.probe_config.enable and s.probe_config.device == "cuda:1" and s.probe_config.timeout == 5.0
    assert problems == ["unknown setting 'nonsense' ignored"]
    s2, problems = parse_settings({"lang": "fr", "select": "PT017", "debounceMs": -1, "probe": {"device": "tpu"}}, s)
    assert (s2.lang, s2.select, s2.debounce_ms) == ("en", ("PT0",), 50)  # bad values keep the old ones
    assert len(problems) == 4


def test_editor_settings_over_pyproject():
    file_cfg = Config(select=("PT",), ignore=("PT006",), lang="zh", severity=(("PT027", Severity.HINT),),
                      root="/p", source="/p/pyproject.toml")
    editor = EditorSettings(lang="en", ignore=("PT017",), severity=(("PT017", Severity.ERROR),))
    cfg = editor.config_for(file_cfg)
    assert cfg.lang == "en" and cfg.ignore == ("PT017",) and cfg.select == ("PT",)
    assert dict(cfg.severity) == {"PT027": Severity.HINT, "PT017": Severity.ERROR}
    fs_first = EditorSettings(lang="en", preference="filesystemFirst").config_for(file_cfg)
    assert fs_first == file_cfg
    no_file = EditorSettings(lang="en", preference="filesystemFirst").config_for(Config())
    assert no_file.lang == "en"
    only = EditorSettings(preference="editorOnly").config_for(file_cfg)
    assert only.ignore == () and only.root is None


@pytest.mark.parametrize("line,col,parts,on_expr", [
    ("y = F.relu(x)", 7, ("F", "relu"), False),
    ("y = F.relu(x)", 10, ("F", "relu"), False),  # right after the word
    ("y = F.relu(x)", 4, ("F",), False),
    ("y = torch.nn.functional.relu(x)", 11, ("torch", "nn"), False),
    ("z = f(x).view(-1)", 10, ("view",), True),
    ("z = x[0].item()", 10, ("item",), True),
])
def test_token_at(line, col, parts, on_expr):
    tok = token_at(line, col)
    assert tok.parts == parts and tok.on_expression == on_expr
    assert re.fullmatch(r"\w+", line[tok.start:tok.end])


@pytest.mark.parametrize("line,col", [
    ("y = 1.5", 6), ("# F.relu(x)", 4), ("s = 'F.relu'", 8), ("y = (a + b)", 8), ("", 0),
])
def test_no_token(line, col):
    assert token_at(line, col) is None


def test_notification_futures_are_forgotten():
    """pygls 2.1 keeps one future per notification handled by its generator handlers
    (didChange on every keystroke); the server's protocol drops them once done."""
    from ptlint.server.lsp.server import create_server

    proto = create_server().protocol

    def user_handler(params):
        return None

    def builtin_handler(params):  # shaped like pygls' built-in didChange
        yield user_handler, (params,), None

    for i in range(50):
        proto._execute_handler(f"note-{i}", builtin_handler, callback=lambda f: None, args=(None,))
    assert proto._request_futures == {}
