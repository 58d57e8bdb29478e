"""Summarize the project's sample article in English and show what it cost.

With an endpoint configured (SUMMARIZE_BASE_URL, or an OpenAI key), it calls it:

    SUMMARIZE_BASE_URL=http://localhost:11434/v1 SUMMARIZE_MODEL=qwen3:8b python examples/quickstart.py

With none configured, it replays a recording made against llama.cpp's llama-server (serving the
tiny SmolLM2-135M model) from cassettes/, so it runs on a fresh machine with no network and no
key. Replaying needs vcrpy, which the `test` extra installs.
"""

from __future__ import annotations

import sys
from pathlib import Path

from summarize import summarize_article
from summarize.recording import endpoint_or_recording

ROOT = Path(__file__).resolve().parent.parent
ARTICLE = ROOT / "examples" / "sample_article.txt"
RECORDING = ROOT / "cassettes" / "test_integration" / "test_quickstart_article_is_one_request.yaml"


def main() -> int:
    article = ARTICLE.read_text(encoding="utf-8")
    settings, context = endpoint_or_recording(RECORDING)
    with context:
        summary = summarize_article(article, settings=settings)
    print()
    print(summary.text)
    print()
    usage = summary.usage
    print(f"model: {summary.model}")
    print(f"chunks: {summary.chunks}, requests: {usage.requests}")
    print(f"tokens: {usage.prompt_tokens} prompt + {usage.completion_tokens} completion")
    if summary.truncated:
        print("note: a reply was cut at the token limit and kept (on_truncation=keep)")
    if summary.unverified:
        print("note: the model answered in Chinese even when asked firmly for English; the summary is flagged unverified")
    return 0


if __name__ == "__main__":
    sys.exit(main())
