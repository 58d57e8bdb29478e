"""How long planning takes on text without punctuation, which is cut hard inside a window.

    python benchmarks/chunking_speed.py [--sizes 100000,1000000] [--budget 6000]

For each size, an article of that many Chinese characters with no sentence end and no comma:
the seconds ``plan_chunks`` takes (exact Qwen tokens), and the seconds ``plan_article`` takes,
which is what ``summarize --dry-run`` runs (clean-up, budget, chunks, prompt tokens). Work
should grow linearly: ten times the text, about ten times the seconds. Before the windowed cut,
1M characters took 84 s to plan.
"""

from __future__ import annotations

import argparse
import sys
import time

from summarize import Settings
from summarize.chunking import plan_chunks
from summarize.plan import plan_article
from summarize.tokens import tokenizer_for

PHRASE = "臺南運河夜間導覽船明年擴大營運新船全數採用鋰電池動力"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000", help="article sizes in characters, comma-separated")
    parser.add_argument("--budget", type=int, default=6000, help="tokens per chunk for plan_chunks")
    args = parser.parse_args()
    counter = tokenizer_for("qwen3-8b")
    counter.count("warm up")  # the BPE table loads once per process; keep it out of the timings
    settings = Settings(base_url="http://127.0.0.1/v1", model="qwen3-8b", cache=False)
    for size in (int(s) for s in args.sizes.split(",")):
        text = (PHRASE * (size // len(PHRASE) + 1))[:size]
        started = time.perf_counter()
        chunks = plan_chunks(text, args.budget, counter.count)
        planned = time.perf_counter() - started
        started = time.perf_counter()
        plan = plan_article(text, settings)
        dry_run = time.perf_counter() - started
        print(
            f"{size:>9,} characters: plan_chunks {planned:6.2f} s ({len(chunks)} chunks of at most "
            f"{max(c.tokens for c in chunks)} tokens); dry-run plan {dry_run:6.2f} s ({len(plan.chunks)} chunks)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
