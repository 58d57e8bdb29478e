"""The core figures: requests per chunk budget, and map concurrency against a 0.4 s endpoint.

    python benchmarks/core.py [--latency 0.4] [--concurrency 8] [--maps 16]

1. How many requests the seed article takes at SUMMARIZE_CHUNK_TOKENS 300, 150 and the
   default, for a Qwen model (exact Qwen tokens) and for any other model (the conservative count).
2. The wall time of ``--maps`` map requests at ``--concurrency`` against the scripted
   OpenAI-compatible server (every reply takes ``--latency`` seconds), next to the ideal
   schedule: ceil(maps / concurrency) * latency. The map phase is timed at the server, from the
   first map request's arrival to the reduce request's arrival.
3. Translating the seed article at 500-token chunks (Qwen tokens): the recurring terms the one
   name request carries, and the characters every request carries over the article's, with
   ``translation_context`` off (the default) and on. The endpoint is benchmarks/endpoint.py's
   obedient translator.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import endpoint  # noqa: E402
from scripted_server import ScriptedServer, Step  # noqa: E402

from summarize import Settings, summarize_article, translate_article  # noqa: E402
from summarize.glossary import extraction_requests  # noqa: E402
from summarize.text import clean  # noqa: E402
from summarize.translate import layout  # noqa: E402
from summarize.budget import MIN_CHUNK_TOKENS, chunk_budget  # noqa: E402
from summarize.tokens import tokenizer_for  # noqa: E402

SEED = ROOT.parent / "shared" / "corpus" / "seed-qwen3-grok.txt"


def requests_per_budget(server: ScriptedServer) -> None:
    article = SEED.read_text(encoding="utf-8")
    print("Seed article: requests (chunks) per SUMMARIZE_CHUNK_TOKENS")
    print(f"{'model':<16} {'300':>10} {'150':>10} {'default':>16}")
    for model in ("qwen3-8b", "other-model"):
        cells = []
        for chunk_tokens in (300, 150, None):
            settings = Settings(base_url=server.base_url, model=model, chunk_tokens=chunk_tokens, cache=False)
            summary = summarize_article(article, settings=settings)
            cell = f"{summary.usage.requests} ({summary.chunks})"
            if chunk_tokens is None:
                cell += f" @{chunk_budget(settings, tokenizer_for(model))}"
            cells.append(cell)
        print(f"{model:<16} {cells[0]:>10} {cells[1]:>10} {cells[2]:>16}")


def map_wall_time(latency: float, concurrency: int, maps: int) -> None:
    # Each sentence is its own chunk at a budget just above one sentence: exactly `maps` map requests.
    # A sentence longer than the smallest budget the library takes (MIN_CHUNK_TOKENS).
    sentence = "第{}段的內容說明臺南市政府今天宣布了一項新的交通與防災政策，並將在下個月起分區實施與檢討。"
    article = "".join(sentence.format(i) for i in range(1, maps + 1))
    budget = max(tokenizer_for("qwen3-8b").count(sentence.format(maps)) + 1, MIN_CHUNK_TOKENS)
    with ScriptedServer(default=lambda seen: Step.reply(endpoint.SUMMARY_EN), latency=latency) as server:
        settings = Settings(base_url=server.base_url, model="qwen3-8b", chunk_tokens=budget, concurrency=concurrency, cache=False)
        started = time.perf_counter()
        summary = summarize_article(article, settings=settings)
        total = time.perf_counter() - started
        chats = server.chat_requests
        map_phase = chats[-1].at - chats[0].at
        ideal = math.ceil(maps / concurrency) * latency
        print(f"\n{summary.chunks} map requests + 1 reduce at {latency} s latency, concurrency {concurrency}")
        print(f"  map phase: {map_phase:.2f} s (ideal {ideal:.2f} s, ratio {map_phase / ideal:.2f})")
        print(f"  whole run: {total:.2f} s (ideal {ideal + latency:.2f} s); peak in flight {server.peak_in_flight}")


def translation_characters() -> None:
    article = SEED.read_text(encoding="utf-8")
    settings = Settings(base_url="http://127.0.0.1/v1", model="qwen3-8b", chunk_tokens=500, cache=False)
    counter = tokenizer_for("qwen3-8b")
    cut = layout(clean(article), settings, counter, "en")
    terms = [t for request in extraction_requests(cut.chunk_texts(), settings, counter, source="zh-Hant", target="en")
             for t in request]
    print(f"\nSeed article translated at 500-token chunks: {len(cut.groups)} chunks")
    print(f"  name request: {len(terms)} recurring terms, {sum(len(t) + 1 for t in terms)} characters"
          f" (the article: {len(article)})")
    for context in (False, True):
        with endpoint.server("translate", 0.0) as server:
            translate_article(article, settings=settings.replace(base_url=server.base_url, translation_context=context))
            sent = sum(len(m.get("content") or "") for r in server.chat_requests for m in r.messages)
        print(f"  translation_context={context!s:<5}: {len(server.chat_requests)} requests,"
              f" {sent / len(article):.2f}x the article's characters sent")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.4)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--maps", type=int, default=16)
    args = parser.parse_args()
    with ScriptedServer() as server:
        requests_per_budget(server)
    map_wall_time(args.latency, args.concurrency, args.maps)
    translation_characters()
    return 0


if __name__ == "__main__":
    sys.exit(main())
