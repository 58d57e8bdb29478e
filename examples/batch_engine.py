"""A batch job answered by a plain Python "engine": the shape of a Ray Data, Spark or vLLM stage.

    python examples/batch_engine.py [ARTICLES_DIR] [JOB_DIR]

``summarize.jobs.export_round`` plans every article and writes round 1 as OpenAI batch JSONL.
Any engine can answer those lines; here a function does, standing in for a model (it says
whether each request was long or short: in words, since a figure the article does not give would
send the summary to the figure-repair request). ``import_results`` stores the replies, writes finished
articles' outputs and the next round (reduces of long articles, re-asks), until none is left.
Swap ``engine`` for an HTTP call or a vLLM ``LLM.chat`` and the loop stays the same. Nothing
here talks to the network.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from summarize import Settings
from summarize import jobs

HERE = Path(__file__).resolve().parent


def engine(body: dict) -> dict:
    """A chat.completion for one request body (a real engine would run the model here)."""
    user = body["messages"][-1]["content"]
    size = "long" if len(user) > 2000 else "short"
    text = f"[engine] A summary written from a {size} request."
    return {
        "id": "chatcmpl-engine",
        "object": "chat.completion",
        "model": body["model"],
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": len(user), "completion_tokens": 12, "total_tokens": len(user) + 12},
    }


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    articles = argv[0] if argv else str(HERE / "sample_article.txt")
    job = Path(argv[1]) if len(argv) > 1 else Path(tempfile.mkdtemp(prefix="summarize-job-"))
    settings = Settings(model="qwen-plus", base_url="http://engine.invalid/v1", cache=False)
    report = jobs.export_round(articles, job, settings=settings)
    while not report.finished:
        print(f"round {report.round}: {report.requests} requests for {report.waiting} article(s)")
        results = job / f"results-{report.round}.jsonl"
        jobs.answer_round(report.files, results, engine)
        report = jobs.import_results(job, results)
    print(f"{report.done} done, {report.failed} failed; outputs in {job}")


if __name__ == "__main__":
    main()
