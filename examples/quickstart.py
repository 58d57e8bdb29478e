"""Summarize the project's sample article in English and show how, and what it cost.

By default it replays a recording made against llama.cpp's llama-server from cassettes/, so it
runs on a fresh machine with no network and no key, whatever keys the environment holds (an
OPENAI_API_KEY set for other tools does not make it go live). Replaying needs vcrpy, which the
`test` extra installs.

It calls a real endpoint only when asked: with SUMMARIZE_BASE_URL (or SUMMARIZE_PRESET) set, or
with --live, which uses whatever the environment configures (an OpenAI key included):

    SUMMARIZE_BASE_URL=http://localhost:11434/v1 SUMMARIZE_MODEL=qwen3:8b python examples/quickstart.py
    OPENAI_API_KEY=sk-... SUMMARIZE_MODEL=gpt-4.1-mini python examples/quickstart.py --live

A failed live run prints one line saying what to fix.
"""

from __future__ import annotations

import sys
from pathlib import Path

from summarize import SummarizeError, summarize_article
from summarize.recording import endpoint_or_recording

ROOT = Path(__file__).resolve().parent.parent
ARTICLE = ROOT / "examples" / "sample_article.txt"
RECORDING = ROOT / "cassettes" / "test_integration" / "test_quickstart_article_is_one_request.yaml"


def main(argv: list[str]) -> int:
    article = ARTICLE.read_text(encoding="utf-8")
    settings, context = endpoint_or_recording(RECORDING, argv)
    try:
        with context:
            summary = summarize_article(article, settings=settings)
    except SummarizeError as exc:
        print(f"quickstart: {exc}", file=sys.stderr)
        return 1
    print()
    print(summary.text)
    print()
    usage = summary.usage
    print(f"model: {summary.model}")
    if summary.method == "key-sentences":  # a small model: it translated the article's key sentences
        print(f"method: key sentences ({len(summary.key_sentences)} of the article's sentences, translated)")
    else:
        print(f"method: {summary.method}, chunks: {summary.chunks}")
    print(f"requests: {usage.requests}")
    print(f"tokens: {usage.prompt_tokens} prompt + {usage.completion_tokens} completion")
    if summary.truncated:
        print("note: a reply was cut at the token limit and kept (on_truncation=keep)")
    if summary.unverified:
        print("note: the model answered in Chinese even when asked firmly for English; the summary is flagged unverified")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
