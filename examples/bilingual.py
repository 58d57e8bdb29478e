"""Print a bilingual Markdown translation of examples/sample_article.txt.

Each paragraph of the Traditional-Chinese article is quoted, followed by its English
translation; pairs stay aligned even when the model drops or merges paragraphs. Point it at any
OpenAI-compatible server:

    SUMMARIZE_BASE_URL=http://localhost:8080/v1 python examples/bilingual.py
    SUMMARIZE_BASE_URL=http://localhost:8080/v1 python examples/bilingual.py --table

Without SUMMARIZE_BASE_URL (or SUMMARIZE_PRESET) it replays a recording made against
llama.cpp's llama-server from cassettes/, needing no network and no key, whatever keys the
environment holds. ``--live`` calls whatever the environment configures instead (an
OPENAI_API_KEY included). A failed live run prints one line saying what to fix.

A glossary file keeps names fixed (``SUMMARIZE_GLOSSARY=names.tsv``, lines of
``source<TAB>English``); without one, a multi-chunk article costs one more request, which
asks for the names among the terms that recur across its chunks.
"""

from __future__ import annotations

import sys
from pathlib import Path

from summarize import SummarizeError, translate_article
from summarize.recording import endpoint_or_recording

ROOT = Path(__file__).resolve().parent.parent
ARTICLE = ROOT / "examples" / "sample_article.txt"
RECORDING = ROOT / "cassettes" / "test_translate_integration" / "test_translate_sample_article_to_english.yaml"


def main(argv: list[str]) -> int:
    settings, context = endpoint_or_recording(RECORDING, argv)
    try:
        with context:
            translation = translate_article(ARTICLE.read_text(encoding="utf-8"), settings=settings)
    except SummarizeError as exc:
        print(f"bilingual: {exc}", file=sys.stderr)
        return 1
    print(translation.to_markdown("table" if "--table" in argv else "interleaved"))
    if translation.unverified:
        print(f"<!-- paragraphs {list(translation.unverified)} may not be English -->")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
