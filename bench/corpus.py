"""The benchmark / precision corpus: real PyTorch projects fetched at bench time from
PyPI, pinned (nothing of them is committed). Pure-Python wheels are used rather than
sdists: they hold the same .py sources and need no build backend to download."""
from __future__ import annotations

import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

WORK = Path(__file__).resolve().parent / ".work"
CORPUS = WORK / "corpus"

# name==version: pinned so results are comparable run to run.
PROJECTS = ("timm==1.0.15", "d2l==1.0.3", "skorch==1.1.0")


def ensure_corpus(projects=PROJECTS) -> dict[str, Path]:
    """Download and unpack each sdist once; returns name -> unpacked folder."""
    CORPUS.mkdir(parents=True, exist_ok=True)
    out: dict[str, Path] = {}
    for spec in projects:
        name = spec.split("==")[0]
        dest = CORPUS / spec.replace("==", "-")
        if not dest.exists():
            dl = WORK / "sdists"
            dl.mkdir(parents=True, exist_ok=True)
            subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:",
                            "-q", "-d", str(dl), spec], check=True)
            archive = next(p for p in sorted(dl.iterdir()) if p.name.lower().replace("_", "-").startswith(
                name.replace("_", "-")) and spec.split("==")[1] in p.name)
            tmp = dest.with_suffix(".tmp")
            tmp.mkdir(exist_ok=True)
            if archive.suffix in (".zip", ".whl"):
                with zipfile.ZipFile(archive) as z:
                    z.extractall(tmp)
            else:
                with tarfile.open(archive) as t:
                    t.extractall(tmp, filter="data")
            tmp.rename(dest)
        out[name] = dest
    return out


def python_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.py") if ".dist-info" not in str(p))


if __name__ == "__main__":
    for n, p in ensure_corpus().items():
        print(n, p, len(python_files(p)), "files")
