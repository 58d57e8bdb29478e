"""How often a summary puts an article in the wrong city, with and without the places line.

The request is the library's own single-request summary (``prompts.summarize_messages``), sent
as it is and once more with its last sentence, the places line ("Places the article names:
Tainan, Hualien."), taken off. Each reply is counted as in the wrong city when it names a city
of ``summarize.places`` that the article does not hold (``Taipei`` for a Tainan release), which
is what the name check flags, and once more after the library's correction of misread cities
(``verify.fix_wrong_cities``, which the summary pipeline applies before a reader sees it).
Articles: the corpus releases that name a city, or those given.

    SUMMARIZE_BASE_URL=<server> python benchmarks/places.py [--tries 3] [ARTICLE ...]

Needs a live server (the reference one: ``scripts/local-server start``); nothing is cached.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from summarize import Settings, prompts  # noqa: E402
from summarize.budget import reply_tokens  # noqa: E402
from summarize.places import CITIES, cities_in  # noqa: E402
from summarize.verify import fix_wrong_cities, unsupported_names  # noqa: E402

DEFAULT_ARTICLES = (
    "tainan-disaster-prevention-review-press-release-2025.zh-Hant.txt",
    "tainan-ai-youth-governance-press-release-2025.zh-Hant.txt",
)


def wrong_cities(summary: str, article: str) -> list[str]:
    """Cities the summary names that the article does not hold: the name check's findings
    (``verify.unsupported_names``) that are cities."""
    return list(dict.fromkeys(c.phrase for c in unsupported_names(summary, article, {}) if c.phrase in CITIES))


def main(argv: list[str] | None = None) -> int:
    import openai

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("articles", nargs="*", help="corpus file names (default: two Tainan releases)")
    parser.add_argument("--tries", type=int, default=3, help="requests per article and variant")
    args = parser.parse_args(argv)
    if not (os.environ.get("SUMMARIZE_BASE_URL") or os.environ.get("OPENAI_BASE_URL")):
        parser.error("set SUMMARIZE_BASE_URL to the server to measure (scripts/local-server start prints it)")
    settings = Settings.from_env()
    corpus = Path(os.environ.get("SUMMARIZE_CORPUS") or HERE.parent.parent / "shared" / "corpus")
    client = openai.OpenAI(base_url=settings.base_url, api_key=settings.api_key or "none", max_retries=0, timeout=900)
    model = settings.model or client.models.list().data[0].id
    limit = reply_tokens(settings, settings.summary_words)
    wrong = {"with": 0, "without": 0}
    left = {"with": 0, "without": 0}
    print(f"model {model}, {args.tries} tries per article and variant, max_tokens {limit}\n")
    print("| article | variant | try | wrong cities | after the correction | seconds |\n|---|---|---:|---|---|---:|")
    for name in args.articles or DEFAULT_ARTICLES:
        article = (corpus / name).read_text(encoding="utf-8")
        line = prompts.places_line(article, "en")
        with_line = prompts.summarize_messages(article, "en", words=settings.summary_words)
        without = [dict(m) for m in with_line]
        without[-1]["content"] = without[-1]["content"].removesuffix(f" {line}")
        for attempt in range(args.tries):
            for variant, messages in (("without", without), ("with", with_line)):
                start = time.monotonic()
                reply = client.chat.completions.create(
                    model=model, messages=messages, max_tokens=limit, temperature=settings.temperature,
                    extra_body={"seed": attempt},
                )
                text = reply.choices[0].message.content or ""
                found = wrong_cities(text, article)
                corrected, fixes = fix_wrong_cities(text, article)
                still = wrong_cities(corrected, article)
                wrong[variant] += bool(found)
                left[variant] += bool(still)
                after = ", ".join([f"{a} → {b}" for a, b in fixes] + [f"{c} left" for c in still]) or "–"
                print(f"| {name[:24]} | {variant} | {attempt + 1} | {', '.join(found) or '–'} | {after} | {time.monotonic() - start:.1f} |")
        print(f"\nplaces line for {name[:24]}: {line!r} (cities {cities_in(article)})")
    total = args.tries * len(args.articles or DEFAULT_ARTICLES)
    print(f"\nsummaries in a wrong city: without the line {wrong['without']} of {total}, with it {wrong['with']} of {total}")
    print(f"after the correction: without the line {left['without']} of {total}, with it {left['with']} of {total}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
