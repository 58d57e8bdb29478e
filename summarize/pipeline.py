"""Orchestration only: plan (one request or map-reduce), run maps concurrently, reduce in rounds.

::

    clean(text) → resolve model → plan_chunks → one request per language        (fits)
                                             → map chunks concurrently → reduce rounds → one
                                               final reduce per language              (does not)
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from . import glossary as names
from . import prompts, verify
from .budget import MIN_CHUNK_TOKENS, reduce_budget, safety_margin, summary_budget
from .chunking import Chunk, pack, plan_chunks
from .client import ChatClient
from .config import Settings
from .errors import ChunkFailedError, ConfigError, ContextLengthError, EndpointError
from .result import Summary, Usage
from .text import clean, mostly_chinese, to_traditional
from .tokens import TokenCounter, tokenizer_for

log = logging.getLogger("summarize")
T = TypeVar("T")
# Tokens of the "[Part N]" header and blank line that prompts.join_notes puts before each note.
NOTE_HEADER_TOKENS = 8

def check_languages(languages: Sequence[str]) -> tuple[str, ...]:
    if isinstance(languages, str):
        languages = (languages,)
    languages = tuple(dict.fromkeys(languages))
    if not languages:
        raise ValueError("languages must name at least one language, e.g. ('en',)")
    for code in languages:
        prompts.language_name(code)
    return languages


@dataclass
class Run:
    """The state of one summary run."""

    settings: Settings
    client: ChatClient
    model: str
    counter: TokenCounter
    glossary: dict[str, str] = field(default_factory=dict)
    glossary_tokens: int = 0
    simplified_fixed: dict[str, int] = field(default_factory=dict)
    unverified: list[str] = field(default_factory=list)

    async def ask(self, messages: list[prompts.Message]) -> str:
        return (await self.client.chat(messages, model=self.model)).text

    def names_for(self, text: str, language: str, tokens: int | None = None) -> dict[str, str]:
        """The glossary entries one request needs: names occurring in ``text``, as ``language`` writes them."""
        if not self.glossary:
            return {}
        table = self.glossary if language == "en" else names.inverted(self.glossary)
        limit = self.glossary_tokens if tokens is None else tokens
        return names.within(names.present(table, text), limit, self.counter.count)

    async def final(self, messages: list[prompts.Message], language: str) -> str:
        """A summary in ``language``, checked: zh-Hant repaired to Traditional, English verified."""
        text = await self.ask(messages)
        if language == "zh-Hant":
            # Models drift into Simplified; the user's names stay exactly as given.
            text, fixed = to_traditional(text, tuple(self.glossary))
            self.simplified_fixed[language] = fixed
        elif language == "en" and mostly_chinese(text):
            log.warning("the English summary came back in Chinese; asking once more, more firmly")
            text = await self.ask(prompts.firmer_english(messages))
            if mostly_chinese(text):
                self.unverified.append(language)
        return text

    async def map_chunk(self, chunk: Chunk, part: int, parts: int) -> list[str]:
        """Notes on one chunk; a chunk the server finds too long is split smaller and mapped again."""
        try:
            glossary = self.names_for(chunk.text, "en")
            return [await self.ask(prompts.map_messages(chunk.text, part, parts, glossary=glossary))]
        except ContextLengthError as exc:
            smaller = self.smaller_budget(chunk.tokens, exc)
            log.info("chunk %d was too long for the server; splitting it at %d tokens", part, smaller)
            pieces = plan_chunks(chunk.text, smaller, self.counter.count)
            notes = await asyncio.gather(*(self.map_chunk(p, part, parts) for p in pieces))
            return [note for group in notes for note in group]

    def smaller_budget(self, tokens: int, exc: ContextLengthError) -> int:
        """A budget strictly below ``tokens``, scaled to the server's stated limit when it states one.

        Raises:
            ContextLengthError: ``exc`` again, when no smaller chunk can help: the stated window
                cannot hold the reply, or the chunk is already as small as we cut.
        """
        ratio = 0.5
        room = exc.limit - self.settings.output_tokens - safety_margin(self.settings) if exc.limit else None
        if room is not None and room < MIN_CHUNK_TOKENS:
            raise exc  # its message names the window to set
        if room is not None and exc.requested:
            ratio = min(0.9, max(0.1, room / exc.requested))
        budget = min(tokens - 1, int(tokens * ratio))
        if budget < MIN_CHUNK_TOKENS:
            raise exc
        return budget

    async def reduce(self, notes: list[str], languages: tuple[str, ...]) -> dict[str, str]:
        """Merge notes in rounds until they fit one request, then one final request per language."""
        budget = reduce_budget(self.settings, self.counter)
        while True:
            sizes = [self.counter.count(n) + NOTE_HEADER_TOKENS for n in notes]
            groups = pack(notes, sizes, budget) if sum(sizes) > budget else [notes]
            if len(groups) == 1:
                room = max(0, budget - sum(sizes))
                break
            if len(groups) >= len(notes):
                raise ConfigError(
                    f"the partial summaries are too long to merge in a {self.settings.context_tokens}-token "
                    "context; raise SUMMARIZE_CONTEXT_TOKENS or lower SUMMARIZE_OUTPUT_TOKENS"
                )
            log.info("reducing %d notes in %d groups", len(notes), len(groups))
            notes = list(await asyncio.gather(*(self.ask(prompts.reduce_messages(g, "en", final=False)) for g in groups)))
        joined = prompts.join_notes(notes)
        finals = await asyncio.gather(
            *(
                self.final(prompts.reduce_messages(notes, lang, glossary=self.names_for(joined, lang, room)), lang)
                for lang in languages
            )
        )
        return dict(zip(languages, finals))


async def asummarize_article(
    text: str,
    *,
    languages: Sequence[str] = ("en",),
    settings: Settings | None = None,
    client: Any = None,
    partial: bool = False,
    glossary: names.GlossaryLike = None,
    **overrides: Any,
) -> Summary:
    """Summarize a Traditional-Chinese article; the async twin of ``summarize_article``."""
    article = clean(text)
    languages = check_languages(languages)
    settings = (settings or Settings.from_env()).replace(**overrides)
    glossary_entries = names.resolve_glossary(glossary, settings)
    async with ChatClient(settings, client) as chat:
        model = await chat.resolve_model()
        counter = tokenizer_for(model, settings.tokenizer)
        run = Run(settings, chat, model, counter, glossary=glossary_entries)
        budget, run.glossary_tokens = summary_budget(settings, counter, bool(run.glossary))
        chunks = plan_chunks(article, budget, counter.count)
        log.info("%d chunk(s) of %s tokens", len(chunks), [c.tokens for c in chunks])
        failed: tuple[int, ...] = ()
        if len(chunks) == 1:
            try:
                texts = await asyncio.gather(
                    *(
                        run.final(prompts.summarize_messages(article, lang, glossary=run.names_for(article, lang)), lang)
                        for lang in languages
                    )
                )
                summaries = dict(zip(languages, texts))
            except ContextLengthError as exc:
                # The server counts more tokens than we do: fall back to map-reduce on smaller chunks.
                chunks = plan_chunks(article, run.smaller_budget(chunks[0].tokens, exc), counter.count)
                summaries = None
        else:
            summaries = None
        if summaries is None:
            notes, failed = await map_all(run, chunks, partial)
            summaries = await run.reduce(notes, languages)
        summaries, unsupported = await verify.repair_summaries(
            run.ask, summaries, article, glossary=run.glossary, enabled=settings.verify
        )
    return Summary(
        text=summaries[languages[0]],
        summaries=summaries,
        chunks=len(chunks),
        usage=Usage.total(chat.replies),
        truncated=chat.truncated,
        model=chat.answering_model(model),
        is_partial=bool(failed),
        failed_chunks=failed,
        simplified_fixed=dict(run.simplified_fixed),
        unverified=tuple(lang for lang in languages if lang in run.unverified),
        unsupported=unsupported,
    )


async def gather_or_cancel(aws: Iterable[Awaitable[T]]) -> list[T]:
    """``asyncio.gather``, but the first failure cancels the rest instead of leaving them running."""
    tasks = [asyncio.ensure_future(a) for a in aws]
    try:
        return list(await asyncio.gather(*tasks))
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


async def map_all(run: Run, chunks: list[Chunk], partial: bool) -> tuple[list[str], tuple[int, ...]]:
    """Notes for every chunk, in article order; with ``partial`` the failed chunks are left out."""
    count = len(chunks)

    async def one(chunk: Chunk) -> list[str]:
        try:
            return await run.map_chunk(chunk, chunk.index + 1, count)
        except EndpointError as exc:
            raise ChunkFailedError(chunk.index, count, exc) from exc

    if not partial:
        results = await gather_or_cancel(one(c) for c in chunks)
        return [n for group in results for n in group], ()
    outcomes = await asyncio.gather(*(one(c) for c in chunks), return_exceptions=True)
    failures = [o for o in outcomes if isinstance(o, BaseException)]
    for failure in failures:
        if not isinstance(failure, ChunkFailedError):
            raise failure
    if len(failures) == len(outcomes):
        raise failures[0]
    notes = [n for o in outcomes if not isinstance(o, BaseException) for n in o]
    return notes, tuple(f.index for f in failures)  # type: ignore[attr-defined]


def summarize_article(
    text: str,
    *,
    languages: Sequence[str] = ("en",),
    settings: Settings | None = None,
    client: Any = None,
    partial: bool = False,
    glossary: names.GlossaryLike = None,
    **overrides: Any,
) -> Summary:
    """Summarize a Traditional-Chinese news article.

    Args:
        text: the article (a ``str``; HTML and control characters are removed).
        languages: summary languages; the first is ``Summary.text``. ``"en"`` or ``"zh-Hant"``.
        settings: a ``Settings``; default ``Settings.from_env()``.
        client: an ``openai.OpenAI`` or ``openai.AsyncOpenAI`` to send requests through.
        partial: when a chunk fails for good, summarize the rest and flag the result
            (``is_partial``, ``failed_chunks``) instead of raising ``ChunkFailedError``.
        glossary: names and their English forms, ``{"阿里巴巴": "Alibaba"}``, or a glossary file
            path (see ``summarize.glossary``); default ``SUMMARIZE_GLOSSARY``. Each request
            gets the entries whose names occur in its text; zh-Hant output keeps them unconverted.
        **overrides: settings to change, e.g. ``model="qwen3:8b"``, ``concurrency=8``.

    Returns:
        A ``Summary``; ``str(summary)`` is the summary text. ``simplified_fixed`` counts the
        Simplified characters repaired in each zh-Hant summary; ``unverified`` names the English
        summaries that stayed mostly Chinese after one firmer retry.

    Raises:
        InputError, InputTypeError: the article is unusable; nothing was sent.
        ConfigError: a setting is malformed or missing.
        EndpointError: the endpoint failed (a subclass says how). A reply cut off at
            ``SUMMARIZE_OUTPUT_TOKENS`` raises ``TruncatedOutputError`` rather than returning a
            silently shortened summary.

    Example::

        >>> from summarize import summarize_article
        >>> print(summarize_article(open("article.txt").read()))  # doctest: +SKIP
    """
    ensure_no_running_loop("summarize_article", "asummarize_article")
    return asyncio.run(
        asummarize_article(
            text, languages=languages, settings=settings, client=client, partial=partial, glossary=glossary, **overrides
        )
    )


def ensure_no_running_loop(name: str, twin: str) -> None:
    """The sync functions run their own event loop, which cannot nest inside a running one."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return
    raise RuntimeError(f"{name}() was called inside a running event loop; await {twin}() instead")
