"""Maps the fixed top-level folders (rules/, server/, runtime_probe/) under the single
import name ``ptlint`` so that the wheel never ships bare ``rules``/``server`` modules."""
from pathlib import Path

from setuptools import setup

ROOT = Path(__file__).parent
SUBPACKAGES = ("rules", "server", "runtime_probe")

packages = ["ptlint"]
package_dir = {"ptlint": "ptlint"}
for top in SUBPACKAGES:
    for init in sorted((ROOT / top).rglob("__init__.py")):
        rel = init.parent.relative_to(ROOT)
        dotted = "ptlint." + ".".join(rel.parts)
        packages.append(dotted)
        package_dir[dotted] = rel.as_posix()

setup(
    packages=packages,
    package_dir=package_dir,
    package_data={"": ["*.txt", "*.json", "*.md", "*.lua"]},
    include_package_data=True,
)
