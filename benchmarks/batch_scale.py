"""Batch jobs at scale: export and import throughput, and peak memory, as the article count grows.

    .venv/bin/python benchmarks/batch_scale.py              # 1,000 and 10,000 articles
    .venv/bin/python benchmarks/batch_scale.py 2000 20000   # other sizes

The corpus (``../shared/corpus``, beside the checkout) is repeated to each size. Each size runs in
a fresh process, so its peak memory (``ru_maxrss``) is its own: ``summarize.jobs`` streams shard by
shard, so the peak should stay flat while the article count grows tenfold. A plain function
answers every request (the engine's own time is not what is measured); export is planning
every article and writing round 1, import is storing the replies, replaying the articles,
writing their outputs and the next round, over every round until the job is finished.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"


def engine(body: dict) -> dict:
    user = body["messages"][-1]["content"]
    return {
        "id": "chatcmpl-bench",
        "object": "chat.completion",
        "model": body["model"],
        "choices": [{"index": 0, "message": {"role": "assistant", "content": f"A summary of {len(user)} characters."},
                     "finish_reason": "stop"}],
        "usage": {"prompt_tokens": len(user), "completion_tokens": 8, "total_tokens": len(user) + 8},
    }


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def one_size(count: int) -> dict:
    """Export, answer and import ``count`` articles in this process; the figures as a dict."""
    from summarize import Settings, jobs

    sources = sorted(CORPUS.glob("*.txt"))
    work = Path(tempfile.mkdtemp(prefix="summarize-batch-scale-"))
    try:
        news = work / "news"
        news.mkdir()
        for n in range(count):
            source = sources[n % len(sources)]
            os.link(source, news / f"{n:06d}-{source.name}") if hasattr(os, "link") else shutil.copy(source, news)
        settings = Settings(model="qwen-plus", base_url="http://engine.invalid/v1", cache=False)
        baseline = peak_mb()
        start = time.perf_counter()
        report = jobs.export_round(news, work / "job", settings=settings)
        export_s = time.perf_counter() - start
        export_peak = peak_mb()
        requests, rounds, import_s = report.requests, 0, 0.0
        while not report.finished:
            rounds += 1
            results = work / f"results-{rounds}.jsonl"
            jobs.answer_round(report.files, results, engine)
            start = time.perf_counter()
            report = jobs.import_results(work / "job", results)
            import_s += time.perf_counter() - start
            requests += report.requests
        assert report.done == count, report
        return {
            "articles": count,
            "requests": requests,
            "rounds": rounds,
            "export_s": round(export_s, 2),
            "export_articles_per_s": round(count / export_s),
            "import_s": round(import_s, 2),
            "import_articles_per_s": round(count / import_s),
            "peak_rss_mb_before": round(baseline),
            "peak_rss_mb_export": round(export_peak),
            "peak_rss_mb_end": round(peak_mb()),
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main(argv: list[str]) -> None:
    if argv[:1] == ["--one"]:
        print(json.dumps(one_size(int(argv[1]))))
        return
    sizes = [int(a) for a in argv] or [1000, 10000]
    print("articles  requests  rounds  export s  export art/s  import s  import art/s  peak RSS MB (start/export/end)")
    for count in sizes:
        done = subprocess.run([sys.executable, __file__, "--one", str(count)], capture_output=True, text=True, check=True)
        r = json.loads(done.stdout.strip().splitlines()[-1])
        print(
            f"{r['articles']:>8}  {r['requests']:>8}  {r['rounds']:>6}  {r['export_s']:>8}  {r['export_articles_per_s']:>12}"
            f"  {r['import_s']:>8}  {r['import_articles_per_s']:>12}  "
            f"{r['peak_rss_mb_before']}/{r['peak_rss_mb_export']}/{r['peak_rss_mb_end']}"
        )


if __name__ == "__main__":
    main(sys.argv[1:])
