"""How many corpus articles come back in English on the FIRST request, before any re-ask.

Small models heed the instruction nearest the end of a request; this measures whether the
library's first request (the one-request summary, or the first map of a long article) is
answered in English, on a live endpoint. It uses the installed library's own prompts, budget
and client, so running it from an older checkout's venv measures that version's prompts:

    SUMMARIZE_BASE_URL=http://127.0.0.1:PORT/v1 python benchmarks/first_language.py
    git worktree add /tmp/before <commit> && python3 -m venv /tmp/before-venv \\
      && /tmp/before-venv/bin/pip install -q /tmp/before \\
      && SUMMARIZE_BASE_URL=... /tmp/before-venv/bin/python benchmarks/first_language.py

Cut replies are kept (on_truncation=keep), so a Chinese copy that ran to the limit counts as
Chinese rather than as an error.
"""

from __future__ import annotations

import asyncio
import inspect
import os
import sys
import time
from pathlib import Path

from summarize import Settings, prompts
from summarize.budget import summary_budget
from summarize.chunking import plan_chunks
from summarize.client import ChatClient
from summarize.text import clean, han_ratio
from summarize.tokens import tokenizer_for

CORPUS = Path(os.environ.get("SUMMARIZE_CORPUS", Path(__file__).resolve().parents[1].parent / "shared" / "corpus"))


def first_request(article: str, settings: Settings, model: str) -> tuple[list[prompts.Message], int | None]:
    counter = tokenizer_for(model, settings.tokenizer)
    try:  # this version leaves room for the places line of the article
        budget = summary_budget(settings, counter, False, article=article)[0]
    except TypeError:
        budget = summary_budget(settings, counter, False)[0]
    chunks = plan_chunks(article, budget, counter.count)
    try:  # this version sizes replies to their job
        from summarize.budget import note_words, reply_tokens
    except ImportError:
        if len(chunks) == 1:
            return prompts.summarize_messages(article, "en"), None
        return prompts.map_messages(chunks[0].text, 1, len(chunks)), None
    if len(chunks) == 1:
        words = settings.summary_words
        return prompts.summarize_messages(article, "en", words=words), reply_tokens(settings, words)
    words = note_words(settings, chunks[0].tokens)
    return prompts.map_messages(chunks[0].text, 1, len(chunks), words=words), reply_tokens(settings, words)


async def main() -> int:
    settings = Settings.from_env().replace(on_truncation="keep", cache=False, timeout=1800)
    english = 0
    paths = sorted(p for p in CORPUS.glob("*.txt") if p.name != "SOURCES.md")
    async with ChatClient(settings) as chat:
        model = await chat.resolve_model()
        print(f"model {model} at {settings.base_url}")
        for path in paths:
            messages, limit = first_request(clean(path.read_text(encoding="utf-8")), settings, model)
            kwargs = {"max_tokens": limit} if limit else {}
            if "allow_truncated" in inspect.signature(chat.chat).parameters:
                kwargs["allow_truncated"] = True
            start = time.monotonic()
            reply = await chat.chat(messages, model=model, **kwargs)
            is_english = han_ratio(reply.text) <= 0.5
            english += is_english
            print(
                f"{path.name[:48]:48} {'English' if is_english else 'Chinese'} han={han_ratio(reply.text):.2f} "
                f"finish={reply.finish_reason} completion={reply.completion_tokens} {time.monotonic() - start:.0f}s",
                flush=True,
            )
    print(f"first request in English: {english} of {len(paths)}")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
