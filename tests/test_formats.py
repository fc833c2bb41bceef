"""--format json | sarif | github. SARIF is validated against the official SARIF 2.1.0
JSON schema (the copy npm's @microsoft/jest-sarif ships: sarif-2.1.0-rtm.5.json) and
against what GitHub code scanning reads from an upload."""
import json
import os
import subprocess
import tarfile
from pathlib import Path

import jsonschema
import pytest

BUGGY = "import torch.nn as nn\n\nlayer = nn.Softmax()\ndrop = nn.Dropout(50)\n"
SCHEMA_PACKAGE = "@microsoft/jest-sarif@1.0.0-beta.0"
SCHEMA_MEMBER = "package/lib/schemas/sarif-2.1.0-rtm.5.json"


@pytest.fixture(scope="session")
def sarif_schema():
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "ptlint-tests"
    schema = cache / "sarif-2.1.0-rtm.5.json"
    if not schema.exists():
        cache.mkdir(parents=True, exist_ok=True)
        proc = subprocess.run(["npm", "pack", SCHEMA_PACKAGE, "--silent", "--pack-destination", str(cache)],
                              capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, f"npm pack {SCHEMA_PACKAGE} failed: {proc.stderr}"
        tgz = cache / proc.stdout.strip().splitlines()[-1]
        with tarfile.open(tgz) as t:
            data = t.extractfile(SCHEMA_MEMBER).read()
        tmp = schema.with_suffix(".tmp")
        tmp.write_bytes(data)
        tmp.replace(schema)
    return json.loads(schema.read_text())


def project(tmp_path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "m.py").write_text(BUGGY)
    (tmp_path / "nb.ipynb").write_text(json.dumps({"cells": [
        {"cell_type": "markdown", "metadata": {}, "source": "x"},
        {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
         "source": "import torch\ny = torch.softmax(x)"}], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))


def test_json_format(run_cli, tmp_path):
    project(tmp_path)
    proc = run_cli(".", "--no-cache", "--format", "json", "--lang", "en")
    assert proc.returncode == 1
    items = json.loads(proc.stdout)
    assert [(i["path"], i["cell"], i["code"]) for i in items] == [
        ("nb.ipynb", 2, "PT017"), ("pkg/m.py", None, "PT017"), ("pkg/m.py", None, "PT027")]
    first = items[1]
    assert first["range"] == {"start": {"line": 3, "column": 8}, "end": {"line": 3, "column": 20}}
    assert first["message"] == first["message_en"] and "没有指定" in first["message_zh"]
    assert first["rule"] == "softmax-without-dim" and first["severity"] == "warning"
    assert first["fixable"] is True and first["fix_applicable"] is False
    assert first["fix"]["safety"] == "unsafe" and first["fix"]["edits"][0]["new_text"] == "nn.Softmax(dim=-1)"


def test_sarif_is_valid_and_has_what_github_needs(run_cli, tmp_path, sarif_schema):
    project(tmp_path)
    proc = run_cli(".", "--no-cache", "--format", "sarif")
    assert proc.returncode == 1, proc.stderr
    log = json.loads(proc.stdout)
    jsonschema.Draft4Validator(sarif_schema).validate(log)

    assert log["version"] == "2.1.0" and log["$schema"].endswith("sarif-2.1.0.json")
    run = log["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["name"] == "ptlint" and driver["version"]
    rules = {r["id"]: r for r in driver["rules"]}
    from ptlint.rules.rule import all_rules

    assert set(rules) == set(all_rules())
    pt017 = rules["PT017"]
    assert pt017["shortDescription"]["text"] and pt017["fullDescription"]["text"]
    assert "## 如何修复" in pt017["help"]["markdown"] and pt017["help"]["text"]
    assert pt017["defaultConfiguration"]["level"] == "warning"
    results = run["results"]
    assert [r["ruleId"] for r in results] == ["PT017", "PT017", "PT027"]
    for r in results:
        assert r["message"]["text"]
        assert driver["rules"][r["ruleIndex"]]["id"] == r["ruleId"]
        loc = r["locations"][0]["physicalLocation"]
        assert not loc["artifactLocation"]["uri"].startswith(("/", "file:"))  # relative to the checkout
        assert loc["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
        assert loc["region"]["startLine"] >= 1 and loc["region"]["startColumn"] >= 1
    nb, m = results[0], results[1]
    assert nb["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "nb.ipynb"
    assert nb["message"]["text"].startswith("cell 2:2:5: ") and nb["properties"]["cell"] == 2
    assert m["locations"][0]["physicalLocation"]["region"] == {"startLine": 3, "startColumn": 9, "endLine": 3,
                                                               "endColumn": 21}
    assert m["fixes"][0]["artifactChanges"][0]["replacements"][0]["insertedContent"]["text"] == "nn.Softmax(dim=-1)"
    assert results[2]["level"] == "error"


def test_sarif_for_a_clean_project_is_valid(run_cli, tmp_path, sarif_schema):
    (tmp_path / "ok.py").write_text("import torch\n")
    proc = run_cli(".", "--no-cache", "--format", "sarif")
    assert proc.returncode == 0
    log = json.loads(proc.stdout)
    jsonschema.Draft4Validator(sarif_schema).validate(log)
    assert log["runs"][0]["results"] == []


def test_github_annotations(run_cli, tmp_path):
    project(tmp_path)
    (tmp_path / "pkg" / "odd, name.py").write_text("import torch.nn as nn\nnn.Dropout(2)\n")
    proc = run_cli(".", "--no-cache", "--format", "github", "--lang", "en")
    assert proc.returncode == 1
    lines = proc.stdout.splitlines()
    assert lines[0] == ("::error file=nb.ipynb,title=PT017 softmax-without-dim::cell 2:2:5: "
                        "`torch.softmax(x)` is called without dim: it raises TypeError")
    assert lines[1] == ("::warning file=pkg/m.py,line=3,col=9,endLine=3,endColumn=21,"
                        "title=PT017 softmax-without-dim::`nn.Softmax()` without dim: the implicit dim is "
                        "deprecated and PyTorch guesses from the input's rank (dim 0 for 0-, 1- and 3-D input, "
                        "else dim 1); the rank is not known here, so name the class dimension")
    assert lines[3].startswith("::error file=pkg/odd%2C name.py,line=2,col=12,endLine=2,endColumn=13,title=PT027 ")
    assert lines[2].startswith("::error file=pkg/m.py,line=4,col=19,endLine=4,endColumn=21,title=PT027 ")
    assert len(lines) == 4
