"""The figures README.md quotes from ``benchmarks/core.py`` are what the script prints today.

The script is offline (a scripted endpoint on loopback) and deterministic in what it counts, so
a change to the prompts or the translator that moves a figure fails here, not in a reader's
hands; and the script itself is run, so it cannot rot unnoticed (it once stopped at a chunk
budget the library had since refused).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT.parent / "shared" / "corpus" / "seed-qwen3-grok.txt"


@pytest.mark.skipif(not SEED.exists(), reason=f"the corpus is not at {SEED.parent}")
def test_readme_quotes_the_figures_core_py_prints(tmp_path):
    env = {**os.environ, "SUMMARIZE_CACHE": "0", "XDG_CACHE_HOME": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "core.py"), "--latency", "0.01", "--maps", "4"],
        capture_output=True, text=True, env=env, timeout=300, cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    terms = re.search(r"name request: (\d+) recurring terms, (\d+) characters", result.stdout)
    sent = dict(re.findall(r"translation_context=(\w+)\s*: \d+ requests, ([\d.]+)x", result.stdout))
    assert terms and set(sent) == {"False", "True"}, result.stdout
    readme = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    assert f"that is {terms[1]} terms, {terms[2]} characters" in readme
    assert f"sends {sent['True']} times the article's characters instead of {sent['False']}" in readme
    assert "4 map requests + 1 reduce" in result.stdout
