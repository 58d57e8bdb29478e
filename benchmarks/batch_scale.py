"""Batch jobs at scale: export and import throughput, and peak memory, as the article count grows.

    .venv/bin/python benchmarks/batch_scale.py              # 1,000 and 10,000 articles
    .venv/bin/python benchmarks/batch_scale.py 2000 20000   # other sizes

The corpus (``../shared/corpus``, beside the checkout) is repeated to each size. Each size runs in
a fresh process, so its peak memory is its own: ``ru_maxrss`` for the whole process (about 100 MB
is the interpreter, ``openai`` and the tokenizer), and, in a second run under ``tracemalloc``, the
peak of what the Python heap held during export and during the imports. ``summarize.jobs`` streams
shard by shard, so both should stay flat while the article count grows tenfold. A plain function
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
    """A reply in words, without figures: a figure the article lacks would add a repair request."""
    user = body["messages"][-1]["content"]
    size = "long" if len(user) > 2000 else "short"
    return {
        "id": "chatcmpl-bench",
        "object": "chat.completion",
        "model": body["model"],
        "choices": [{"index": 0, "message": {"role": "assistant", "content": f"A summary of a {size} request."},
                     "finish_reason": "stop"}],
        "usage": {"prompt_tokens": len(user), "completion_tokens": 8, "total_tokens": len(user) + 8},
    }


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def one_size(count: int, heap: bool = False) -> dict:
    """Export, answer and import ``count`` articles in this process; the figures as a dict.

    With ``heap``, the Python heap's peak during export and during the imports is traced
    (tracemalloc slows the run, so the times of that run are not reported).
    """
    import tracemalloc

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
        jobs.export_round([next(news.iterdir())], work / "warm-up", settings=settings)  # imports, tokenizer
        if heap:
            tracemalloc.start(1)
        baseline = peak_mb()
        start, cpu = time.perf_counter(), time.process_time()
        report = jobs.export_round(news, work / "job", settings=settings)
        export_s, export_cpu = time.perf_counter() - start, time.process_time() - cpu
        export_peak = peak_mb()
        export_heap = tracemalloc.get_traced_memory()[1] / 2**20 if heap else 0.0
        import_heap = 0.0
        requests, rounds, import_s, import_cpu = report.requests, 0, 0.0, 0.0
        while not report.finished:
            rounds += 1
            results = work / f"results-{rounds}.jsonl"
            jobs.answer_round(report.files, results, engine)
            if heap:
                tracemalloc.reset_peak()
            start, cpu = time.perf_counter(), time.process_time()
            report = jobs.import_results(work / "job", results)
            import_s, import_cpu = import_s + time.perf_counter() - start, import_cpu + time.process_time() - cpu
            if heap:
                import_heap = max(import_heap, tracemalloc.get_traced_memory()[1] / 2**20)
            requests += report.requests
        assert report.done == count, report
        return {
            "export_cpu_s": round(export_cpu, 2),
            "import_cpu_s": round(import_cpu, 2),
            "heap_mb_export": round(export_heap, 1),
            "heap_mb_import": round(import_heap, 1),
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
        print(json.dumps(one_size(int(argv[1]), heap=argv[2:] == ["--heap"])))
        return
    sizes = [int(a) for a in argv] or [1000, 10000]

    def measure(count: int, *flags: str) -> dict:
        command = [sys.executable, __file__, "--one", str(count), *flags]
        return json.loads(subprocess.run(command, capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1])

    print("articles  requests  rounds  export art/s (wall, cpu)  import art/s (wall, cpu)  RSS MB start/export/end  heap MB export/import")
    for count in sizes:
        r, h = measure(count), measure(count, "--heap")
        print(
            f"{r['articles']:>8}  {r['requests']:>8}  {r['rounds']:>6}  "
            f"{r['export_articles_per_s']:>12}, {round(count / r['export_cpu_s']):>9}  "
            f"{r['import_articles_per_s']:>12}, {round(count / r['import_cpu_s']):>9}  "
            f"{r['peak_rss_mb_before']:>9}/{r['peak_rss_mb_export']}/{r['peak_rss_mb_end']}  "
            f"{h['heap_mb_export']:>13}/{h['heap_mb_import']}"
        )


if __name__ == "__main__":
    main(sys.argv[1:])
