"""The public surface: every exported name exists, importing is free, examples import."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

import summarize

ROOT = Path(__file__).resolve().parent.parent


def test_all_names_exist():
    for name in summarize.__all__:
        assert hasattr(summarize, name), name


@pytest.mark.parametrize(
    "call, kind, says",
    [
        # Each was a bare TypeError or AttributeError, which no `except SummarizeError` catches.
        (lambda: summarize.count_tokens(None, "qwen"), summarize.InputTypeError, "text must be a str, got NoneType"),
        (lambda: summarize.count_tokens(b"x", "qwen"), summarize.InputTypeError, "text is bytes; decode it first"),
        (lambda: summarize.count_tokens("abc", 5), summarize.ConfigError, "model must be a str (a model name"),
        (lambda: summarize.count_tokens("abc", tokenizer=5), summarize.ConfigError, "tokenizer must be a str: auto"),
        (lambda: summarize.load_glossary(None), summarize.ConfigError, "the glossary path must be a str or os.PathLike"),
    ],
    ids=["count-None", "count-bytes", "count-model-int", "count-tokenizer-int", "glossary-None"],
)
def test_a_bad_argument_to_a_public_function_is_a_summarize_error(call, kind, says):
    with pytest.raises(kind) as info:
        call()
    assert str(info.value).startswith(says)


def test_import_makes_no_client_and_no_network_call():
    code = (
        "import socket\n"
        "def refuse(*a, **k): raise SystemExit('network call at import')\n"
        "socket.socket.connect = refuse\n"
        "socket.create_connection = refuse\n"
        "import summarize, gc, openai\n"
        "assert not any(isinstance(o, (openai.OpenAI, openai.AsyncOpenAI)) for o in gc.get_objects())\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "ok", out.stderr


def test_import_and_the_cli_start_leave_openai_unloaded():
    # openai takes about 0.35 s to import: `summarize --version`, `--help` and dry runs need not pay it.
    code = (
        "import sys, summarize, summarize.cli, summarize.plan\n"
        "print('openai' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "False", out.stderr


def test_every_example_imports():
    for path in sorted((ROOT / "examples").glob("*.py")):
        spec = importlib.util.spec_from_file_location(f"example_{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)  # examples run only under `if __name__ == "__main__"`
        assert module.__doc__, f"{path.name} needs a docstring saying what it shows"
