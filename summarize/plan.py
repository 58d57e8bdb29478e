"""A dry run: what summarizing an article would send, without sending anything.

It uses the pipeline's own budget and chunking, so the chunks are the ones a real run cuts.
No request is made, not even ``GET /models``: with no model configured the count uses the
``conservative`` tokenizer (it over-counts for most models) and says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from . import glossary as names
from . import prompts
from .budget import (
    PER_MESSAGE_TOKENS,
    key_sentence_characters,
    note_words,
    notes_are_summary,
    prompt_overhead,
    reduce_budget,
    reply_tokens,
    summary_budget,
)
from .chunking import pack, plan_chunks
from .config import ABSTRACTIVE, KEY_SENTENCES, Settings, resolve_settings
from .keysentences import choose, not_chinese, split, uses_key_sentences
from .pipeline import check_languages, key_sentence_requests, summary_glossary
from .text import clean
from .tokens import TokenCounter, tokenizer_for


@dataclass(frozen=True)
class Plan:
    """The requests a summary run would make.

    Attributes:
        tokenizer: the tokenizer that counted.
        tokenizer_reason: why that one (printed, so the user knows how exact the counts are).
        budget: most article tokens per request.
        chunks: each chunk's token count, in article order.
        map_requests, reduce_requests, final_requests: requests by stage.
        prompt_tokens: tokens of every prompt it would send (template overhead included); with
            map-reduce an upper bound, since notes are assumed as long as their limit.
        map_prompt_tokens: the part of ``prompt_tokens`` in map requests (exact).
        estimated: the merge and final stages are upper bounds (notes are usually shorter, and
            then fewer merge rounds run).
        method: ``abstractive`` or ``key-sentences`` (``Settings.method``; a dry run decides
            ``auto`` by the model's name alone, since it does not ask ``/models``). With key
            sentences, ``chunks`` are the token counts of each translation request's sentences,
            ``final_requests`` the translation requests, and ``key_sentences`` of ``sentences``
            says how much of the article they carry. ``method_reason`` says why, when the
            article overrode them (``keysentences.not_chinese``: an article not in Chinese).
    """

    tokenizer: str
    tokenizer_reason: str
    budget: int
    chunks: tuple[int, ...]
    map_requests: int
    reduce_requests: int
    final_requests: int
    prompt_tokens: int
    estimated: bool
    map_prompt_tokens: int = 0
    method: str = ABSTRACTIVE
    key_sentences: int = 0  # with the key-sentence method: how many sentences were chosen
    sentences: int = 0  # ... of how many
    method_reason: str = ""  # why the method is not the one the settings and model would give

    @property
    def requests(self) -> int:
        """The most requests the run makes."""
        return self.map_requests + self.reduce_requests + self.final_requests

    @property
    def min_requests(self) -> int:
        """The fewest: no merge round when the notes come back short."""
        return self.map_requests + self.final_requests


def choose_tokenizer(settings: Settings) -> tuple[str, str]:
    """The tokenizer a dry run uses and why, without asking the endpoint for its model."""
    if settings.tokenizer != "auto":
        return settings.tokenizer, f"SUMMARIZE_TOKENIZER={settings.tokenizer}"
    if settings.model:
        name = tokenizer_for(settings.model).name
        return name, f"{name} (auto, for model {settings.model})"
    return "conservative", (
        "conservative: no model is set and a dry run does not ask /models; it over-counts for most "
        "models: pass --model or set SUMMARIZE_TOKENIZER for exact counts"
    )


def plan_article(text: str, settings: Settings, languages: Sequence[str] = ("en",)) -> Plan:
    """The chunk plan, request count and prompt tokens of summarizing ``text`` under ``settings``.

    Raises:
        InputError, InputTypeError: the article is unusable.
        ConfigError: the context window cannot hold the prompt and the reply.
    """
    settings = resolve_settings(settings, {})  # a tokenizer that cannot count is named as it was given
    article = clean(text)
    languages = check_languages(languages)
    name, reason = choose_tokenizer(settings)
    counter = tokenizer_for(settings.model, name)
    if uses_key_sentences(settings.method, settings.model or "", article=article):
        return _plan_key_sentences(article, settings, languages, counter, name, reason)
    plan = _plan_abstractive(article, settings, languages, counter, name, reason)
    return replace(plan, method_reason=not_chinese(settings.method, settings.model or "", article))


def _plan_abstractive(
    article: str, settings: Settings, languages: tuple[str, ...], counter: TokenCounter, name: str, reason: str
) -> Plan:
    """The plan of a summary the model writes: one request, or map, merge and final requests."""
    # The same budget a real run takes: less the glossary's share when it has one, and the same
    # entries in each request.
    glossary = summary_glossary(None, settings, article)
    budget, share = summary_budget(settings, counter, names.present(glossary, article), languages, article)

    def entries(text: str, language: str) -> dict[str, str]:
        return names.entries_for(glossary, text, language, share, counter.count)

    chunks = plan_chunks(article, budget, counter.count)
    words = settings.summary_words
    if len(chunks) == 1:
        tokens = sum(
            prompt_overhead(prompts.summarize_messages(article, lang, entries(article, lang), words=words), counter)
            for lang in languages
        )
        return Plan(name, reason, budget, (chunks[0].tokens,), 0, 0, len(languages), tokens, False)
    parts = len(chunks)
    tokens = map_tokens = sum(
        prompt_overhead(
            prompts.map_messages(
                c.text, c.index + 1, parts, glossary=entries(c.text, "en"), words=note_words(settings, c.tokens, parts)
            ),
            counter,
        )
        for c in chunks
    )
    # Notes are at most as long as their limit.
    note = max(reply_tokens(settings, note_words(settings, c.tokens, parts)) for c in chunks) + PER_MESSAGE_TOKENS
    reduce_overhead = prompt_overhead(prompts.reduce_messages([""], "en", words=words, article=article), counter)
    if notes_are_summary(settings, parts):
        # The notes joined are the English summary: only other languages get a request.
        others = [lang for lang in languages if lang != "en"]
        tokens += len(others) * (reduce_overhead + parts * note)
        return Plan(
            name, reason, budget, tuple(c.tokens for c in chunks), parts, 0, len(others), tokens, bool(others), map_tokens
        )
    # Merge rounds as the pipeline would run them.
    notes, reduces = len(chunks), 0
    limit = reduce_budget(settings, counter, languages, article)
    while notes * note > limit:
        groups = pack(["."] * notes, [note] * notes, max(limit, note))
        if len(groups) >= notes:
            break
        reduces += len(groups)
        tokens += sum(reduce_overhead + len(g) * note for g in groups)
        notes = len(groups)
    tokens += len(languages) * (reduce_overhead + notes * note)
    return Plan(
        name,
        reason,
        budget,
        tuple(c.tokens for c in chunks),
        len(chunks),
        reduces,
        len(languages),
        tokens,
        True,
        map_tokens,
    )


def _plan_key_sentences(
    article: str, settings: Settings, languages: tuple[str, ...], counter: TokenCounter, name: str, reason: str
) -> Plan:
    """The plan of a key-sentence summary: the sentences chosen, and their translation request
    when English is asked for (the zh-Hant summary is the sentences themselves: no request)."""
    chosen = choose(article, key_sentence_characters(settings))
    glossary = summary_glossary(None, settings, article)
    translator, groups = key_sentence_requests(
        settings.replace(translation_context=False), None, settings.model or "", counter, article, chosen, glossary
    )
    english = "en" in languages
    tokens = sum(prompt_overhead(translator.messages(group), counter) for group in groups) if english else 0
    sizes = tuple(sum(u.tokens for u in group) for group in groups)
    return Plan(
        name, reason, sum(sizes), sizes, 0, 0, len(groups) if english else 0, tokens, False,
        method=KEY_SENTENCES, key_sentences=len(chosen), sentences=len(split(article)),
    )


def plan_translation(text: str, settings: Settings, target: str = "en") -> Plan:
    """The chunk plan, request count and prompt tokens of translating ``text`` under ``settings``.

    It cuts paragraphs as ``translate_article`` does; the name-extraction requests (when there
    is more than one chunk and no glossary) are counted too. Retries for paragraphs a model
    leaves out are not foreseeable and not counted.
    """
    from . import translate

    settings = resolve_settings(settings, {})
    article = clean(text)
    target, source = translate.check_target(target)
    translate.check_source(article, target)
    name, reason = choose_tokenizer(settings)
    counter = tokenizer_for(settings.model, name)
    cut = translate.layout(article, settings, counter, target)
    groups = cut.groups
    run = translate.TranslationRun(
        settings,
        None,  # type: ignore[arg-type]  # nothing is sent
        settings.model or "",
        counter,
        target,
        cut.paragraphs,
        cut.units,
        prefix=translate.marker_prefix(article),
        glossary_tokens=cut.glossary_tokens,
    )
    run.glossary = translate.run_glossary(names.resolve_glossary(None, settings), {}, target)
    tokens = sum(prompt_overhead(run.messages(group), counter) for group in groups)
    extraction = 0
    if translate.extracts_names(None, settings, len(groups)):
        requests = names.extraction_requests(cut.chunk_texts(), settings, counter, source=source, target=target)
        extraction = len(requests)
        tokens += sum(
            prompt_overhead(prompts.glossary_messages("\n".join(terms), source=source, target=target), counter)
            for terms in requests
        )
    sizes = tuple(sum(u.tokens for u in group) for group in groups)  # type: ignore[attr-defined]
    return Plan(name, reason, cut.budget, sizes, extraction, 0, len(groups), tokens, False)
