"""Summarize a Traditional-Chinese article file with the configured endpoint.

    SUMMARIZE_BASE_URL=http://localhost:8000/v1 python examples/summarize_file.py article.txt
    SUMMARIZE_BASE_URL=... python examples/summarize_file.py article.txt --languages en,zh-Hant

Settings come from SUMMARIZE_* variables (see README); errors are printed as one line.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from summarize import SummarizeError, summarize_article


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", type=Path)
    parser.add_argument("--languages", default="en", help="comma-separated: en, zh-Hant")
    args = parser.parse_args(argv)
    try:
        summary = summarize_article(args.path.read_text(encoding="utf-8"), languages=args.languages.split(","))
    except (OSError, SummarizeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for language, text in summary.summaries.items():
        if len(summary.summaries) > 1:
            print(f"## {language}\n")
        print(text, end="\n\n")
    print(f"({summary.chunks} chunk(s), {summary.usage.requests} request(s), model {summary.model})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
