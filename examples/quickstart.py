"""Summarize the project's sample article in English and show what it cost.

With an endpoint configured (SUMMARIZE_BASE_URL, or an OpenAI key), it calls it:

    SUMMARIZE_BASE_URL=http://localhost:11434/v1 SUMMARIZE_MODEL=qwen3:8b python examples/quickstart.py

With none configured, it replays a recording made against llama.cpp's llama-server (serving the
tiny SmolLM2-135M model) from cassettes/, so it runs on a fresh machine with no network and no
key. Replaying needs vcrpy, which the `test` extra installs.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from summarize import Settings, summarize_article

ROOT = Path(__file__).resolve().parent.parent
ARTICLE = ROOT / "examples" / "sample_article.txt"
RECORDING = ROOT / "cassettes" / "test_integration" / "test_quickstart_article_is_one_request.yaml"
ENDPOINT_VARIABLES = ("SUMMARIZE_BASE_URL", "OPENAI_BASE_URL", "SUMMARIZE_API_KEY", "OPENAI_API_KEY", "SUMMARIZE_PRESET")


def main() -> int:
    article = ARTICLE.read_text(encoding="utf-8")
    if any(os.environ.get(name) for name in ENDPOINT_VARIABLES):
        summary = summarize_article(article)
    else:
        from summarize.recording import RECORDED_SETTINGS, REPLAY_BASE_URL, replay

        print(f"No endpoint configured: replaying {RECORDING.relative_to(ROOT)} (set SUMMARIZE_BASE_URL to use yours).")
        settings = Settings(base_url=REPLAY_BASE_URL, max_retries=0, **RECORDED_SETTINGS)
        with replay(RECORDING):
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
