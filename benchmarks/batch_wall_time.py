"""Wall time of `summarize batch` over 20 articles against an endpoint that takes 0.4 s per reply.

    python benchmarks/batch_wall_time.py [--articles 20] [--latency 0.4] [--concurrency 8] [--runs 3]

Starts the scripted OpenAI-compatible server from tests/ on a loopback port (every reply takes
``--latency`` seconds), writes the articles (corpus paragraphs, one request each) to a temporary
folder, and runs the installed console script as a user would:

    summarize batch ARTICLES --out OUT --concurrency 8 --no-cache -q

It prints each run's wall time (process start to exit, so interpreter start-up and the tokenizer
load are included), the server's peak of requests in flight, and the floor that latency alone
sets: ceil(articles / concurrency) * latency.
"""

from __future__ import annotations

import argparse
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from scripted_server import ScriptedServer, Step  # noqa: E402

CLI = Path(sys.executable).with_name("summarize")
PARAGRAPHS = [
    p.strip()
    for p in (ROOT / "examples" / "sample_article.txt").read_text(encoding="utf-8").split("\n")
    if len(p.strip()) > 20
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=20)
    parser.add_argument("--latency", type=float, default=0.4)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if not CLI.is_file():
        sys.exit(f"{CLI} not found: pip install -e . first")
    usage = {"prompt_tokens": 1000, "completion_tokens": 60, "total_tokens": 1060}
    reply = lambda seen: Step.reply("A summary of the article in three sentences.", usage=usage)  # noqa: E731
    floor = math.ceil(args.articles / args.concurrency) * args.latency
    with tempfile.TemporaryDirectory() as tmp, ScriptedServer(default=reply, latency=args.latency) as server:
        articles = Path(tmp) / "articles"
        articles.mkdir()
        for i in range(args.articles):
            text = f"第{i + 1}則。" + PARAGRAPHS[i % len(PARAGRAPHS)]
            (articles / f"article-{i + 1:02d}.txt").write_text(text, encoding="utf-8")
        env = dict(os.environ, SUMMARIZE_BASE_URL=server.base_url, SUMMARIZE_MODEL="bench")
        times = []
        for run in range(args.runs):
            out = Path(tmp) / f"out-{run}"
            server.peak_in_flight = 0
            before = len(server.chat_requests)
            start = time.monotonic()  # the clock the server stamps requests with
            result = subprocess.run(
                [
                    str(CLI),
                    "batch",
                    str(articles),
                    "--out",
                    str(out),
                    "--concurrency",
                    str(args.concurrency),
                    "--no-cache",
                    "-q",
                ],
                env=env,
                capture_output=True,
                text=True,
            )
            elapsed = time.monotonic() - start
            if result.returncode != 0:
                sys.exit(f"batch failed ({result.returncode}): {result.stderr}")
            arrivals = [r.at - start for r in server.chat_requests[before:]]
            written = len(list(out.rglob("*.md")))
            times.append(elapsed)
            print(
                f"run {run + 1}: {elapsed:.2f} s wall, {len(arrivals)} requests, {written} articles written, "
                f"peak {server.peak_in_flight} in flight; first request at {min(arrivals):.2f} s (start-up), "
                f"last at {max(arrivals):.2f} s"
            )
    print(
        f"{args.articles} articles, {args.latency:g} s latency, concurrency {args.concurrency}: "
        f"best {min(times):.2f} s, median {sorted(times)[len(times) // 2]:.2f} s "
        f"(latency floor {floor:.2f} s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
