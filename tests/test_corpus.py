"""A fresh clone has no ../shared/corpus: the suite still collects and runs, skipping what needs it."""

from __future__ import annotations

import os
import re
import subprocess
import sys

from conftest import ROOT

# Every test module that reads the corpus (grep corpus_text), and one that never does.
MODULES = ["test_tokens.py", "test_chunking.py", "test_input.py", "test_plan.py", "test_integration.py", "test_config.py"]


def test_without_the_corpus_the_tests_that_need_it_skip_and_say_where_it_comes_from(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SUMMARIZE_", "OPENAI_"))}
    env["SUMMARIZE_CORPUS"] = str(tmp_path / "no-corpus-here")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--record-mode=none", "--block-network", "-q", "-rs", "-p", "no:cacheprovider",
         *(f"tests/{m}" for m in MODULES)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )
    out = result.stdout + result.stderr
    assert result.returncode == 0, out[-3000:]
    passed = int(re.search(r"(\d+) passed", out).group(1))
    skipped = int(re.search(r"(\d+) skipped", out).group(1))
    assert passed > 100 and skipped >= 10, out[-500:]
    assert "needs the corpus article seed-qwen3-grok.txt" in out
    assert "../shared/corpus beside the checkout or set SUMMARIZE_CORPUS" in out
