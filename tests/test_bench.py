"""Every benchmark runs exactly as the README writes it: `.venv/bin/python bench/<name>.py`,
from the project root, and the README's table names every benchmark in bench/ (each run here
with --help, which imports everything the bench needs without timing anything)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
TABLE = README.split("## Benchmarks", 1)[1].split("\n## ", 1)[0]
LISTED = sorted(set(re.findall(r"^\| `(bench_\w+\.py)` \|", TABLE, re.MULTILINE)))


def test_the_readme_lists_every_benchmark():
    assert "`.venv/bin/python bench/<name>.py`" in TABLE
    assert LISTED == sorted(p.name for p in (ROOT / "bench").glob("bench_*.py"))


@pytest.mark.parametrize("name", LISTED)
def test_each_benchmark_starts_as_the_readme_writes_it(name, tmp_path):
    # the venv's python, the path as written; the working directory is the project root
    done = subprocess.run(
        [sys.executable, f"bench/{name}", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.startswith("usage: ")
