"""The wheel carries the prompt files, so a non-editable install finds them from any folder."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile

from conftest import ROOT


def test_the_wheel_ships_every_prompt_file(tmp_path):
    # Built from a copy so that no build/ or egg-info folder lands in the checkout.
    source = tmp_path / "source"
    for folder in ("summarize", "prompts"):
        shutil.copytree(ROOT / folder, source / folder, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp_path), str(source)],
        check=True,
        capture_output=True,
        timeout=300,
        cwd=tmp_path,
    )
    (wheel,) = tmp_path.glob("summarize-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    prompts = sorted(p.name for p in (ROOT / "prompts").glob("*.txt"))
    assert prompts
    for name in prompts:
        assert f"summarize/_prompts/{name}" in names
    assert "summarize/__init__.py" in names
    assert "summarize/py.typed" in names  # users' type checkers read the package as typed (PEP 561)
