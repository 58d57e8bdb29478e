"""Token budgets: how much article text one request may carry, and how long its reply may be.

Every request must hold its prompt, the article text and its reply inside ``context_tokens``,
with a small margin because the server's template and tokenizer differ from the ones we count
with. A reply's limit is sized to its job (a summary of ``summary_words``, notes sized to their
chunk, a translation sized to its source), capped by ``output_tokens``; only that is reserved.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

from . import prompts
from .config import Settings
from .errors import ConfigError
from .tokens import TokenCounter

# Tokens a chat template adds around each message (role markers, separators).
PER_MESSAGE_TOKENS = 8
# The smallest chunk we will cut when a server says a request is too long.
MIN_CHUNK_TOKENS = 32


# Qwen tokens per word of English, and per requested word of a Chinese summary (two characters).
# Both are generous: the reference model's English replies run 1.1-1.35 tokens a word (73 of
# them), and Traditional Chinese about 0.65 tokens a character. So a reply's limit, the ask in
# these tokens plus a little, holds a reply about a third longer than asked. One that runs on
# past that is cut and keeps its whole sentences when they hold what was asked (see
# ``judging.Verdict``): on the reference model replies asked for 75 or 150 words ran to
# 200-290, and each token past the ask is generated, paid for and waited on.
TOKENS_PER_WORD = {"en": 1.4, "zh-Hant": 1.5}
REPLY_EXTRA_TOKENS = 32
# Notes on a chunk: one word per this many chunk tokens, between the bounds below.
CHUNK_TOKENS_PER_NOTE_WORD = 8
MIN_NOTE_WORDS = 48


# Characters of key sentences chosen per word of the summary asked for (``summarize.keysentences``).
# Shortened as the key-sentence task asks, the reference model (Qwen2.5-Coder-1.5B) wrote 148 words
# on average from 330 characters, over 16 summaries of the 8 corpus articles (96 to 199 words).
KEY_CHARACTERS_PER_WORD = 2.2


def key_sentence_characters(settings: Settings) -> int:
    """How many characters of an article's key sentences a summary of ``summary_words`` is made from."""
    return math.ceil(settings.summary_words * KEY_CHARACTERS_PER_WORD)


# Qwen tokens of a translation per token of its source, headroom included: English runs about
# 1.3 tokens per token of Chinese, Chinese about 0.8 per token of English.
TRANSLATION_TOKENS_PER_SOURCE_TOKEN = {"en": 2.0, "zh-Hant": 1.5}


def translation_reply_tokens(settings: Settings, source_tokens: int, target: str) -> int:
    """The ``max_tokens`` of a reply translating ``source_tokens`` of text into ``target``."""
    wanted = math.ceil(source_tokens * TRANSLATION_TOKENS_PER_SOURCE_TOKEN[target]) + REPLY_EXTRA_TOKENS
    return min(settings.output_tokens, wanted)


def wanted_tokens(words: int, language: str = "en") -> int:
    """The tokens a reply of at most ``words`` in ``language`` is given: its words and some room."""
    return math.ceil(words * TOKENS_PER_WORD.get(language, 1.5)) + REPLY_EXTRA_TOKENS


def reply_tokens(settings: Settings, words: int, language: str = "en") -> int:
    """The ``max_tokens`` of a reply asked to be at most ``words`` long in ``language``."""
    return min(settings.output_tokens, wanted_tokens(words, language))


def summary_reserve(settings: Settings, languages: Iterable[str]) -> int:
    """Tokens reserved for the longest final summary among ``languages``."""
    return max(reply_tokens(settings, settings.summary_words, lang) for lang in languages)


def check_chunk_tokens(settings: Settings, job: str) -> None:
    """Refuse a ``chunk_tokens`` under ``MIN_CHUNK_TOKENS``: parts of a sentence or two, each
    a request of its own (1 token a chunk cut a 500-character article into 153 requests).

    Raises:
        ConfigError: it is set and too small.
    """
    if settings.chunk_tokens is not None and settings.chunk_tokens < MIN_CHUNK_TOKENS:
        raise ConfigError(
            f"SUMMARIZE_CHUNK_TOKENS={settings.chunk_tokens} is too small to {job} in: use at least {MIN_CHUNK_TOKENS}"
        )


def check_summary_room(settings: Settings, languages: Iterable[str]) -> None:
    """Refuse an ``output_tokens`` cap below what a summary of ``summary_words`` asks for.

    Every reply is capped at ``output_tokens``; a summary asks for ``reply_tokens``, the words at
    their tokens per word plus room. Capped below that, each summary would run into the cap and
    come back cut (after a re-ask), its requests paid for; so the run stops before any.

    Raises:
        ConfigError: the cap is below what the longest summary of ``languages`` needs.
    """
    for language in languages:
        wanted = wanted_tokens(settings.summary_words, language)
        if settings.output_tokens < wanted:
            fits = max(0, math.floor((settings.output_tokens - REPLY_EXTRA_TOKENS) / TOKENS_PER_WORD.get(language, 1.5)))
            raise ConfigError(
                f"SUMMARIZE_OUTPUT_TOKENS={settings.output_tokens} caps every reply below what a summary of "
                f"{prompts.amount(settings.summary_words, language)} asks for ({wanted} tokens): raise it to "
                f"{wanted} or more, or lower SUMMARIZE_SUMMARY_WORDS to {fits} or less"
            )


def notes_are_summary(settings: Settings, parts: int) -> bool:
    """Whether the notes on ``parts`` chunks, joined, are the English summary, with no reduce
    request: at most ``summary_words // MIN_NOTE_WORDS`` parts (three, at 150 words), each
    note asked for its share of ``summary_words``.

    A reduce only rewrites notes that already fit the summary, and on the reference model
    (Qwen2.5-Coder-1.5B) it copied one of two notes and dropped the other in 8 tries of three
    prompt wordings, on the 21k article and on the seed article cut in two: the 21k article's
    summary kept 2 of its 12 checklist facts where its two notes held 6, the seed's 3 where
    its notes held 5.
    """
    return 1 < parts <= settings.summary_words // MIN_NOTE_WORDS


def note_words(settings: Settings, chunk_tokens: int, parts: int = 1) -> int:
    """How many words of notes a map request asks for on one of ``parts`` chunks, of ``chunk_tokens``."""
    words = settings.summary_words // parts if notes_are_summary(settings, parts) else settings.summary_words
    return max(MIN_NOTE_WORDS, min(words, chunk_tokens // CHUNK_TOKENS_PER_NOTE_WORD))


def safety_margin(settings: Settings) -> int:
    """Tokens kept free of every request: the server's template and tokenizer differ from ours."""
    return max(32, settings.context_tokens // 50)


def prompt_overhead(messages: list[prompts.Message], counter: TokenCounter) -> int:
    return sum(counter.count(m["content"]) + PER_MESSAGE_TOKENS for m in messages)


def chunk_budget(settings: Settings, counter: TokenCounter, languages: Iterable[str] = ("en",), article: str = "") -> int:
    """Most article tokens one map (or single summary) request may carry under ``settings``
    (the prompt counted with the places line of ``article``, when it names places).

    Raises:
        ConfigError: the context window cannot hold the prompt, the reply and any text, or an
            explicit ``chunk_tokens`` would overflow it.
    """
    check_summary_room(settings, languages)
    reserve = summary_reserve(settings, languages)
    overhead = max(
        prompt_overhead(prompts.map_messages("", 99, 99), counter),
        prompt_overhead(prompts.summarize_messages("", "zh-Hant"), counter),
    ) + places_tokens(article, counter)
    room = settings.context_tokens - reserve - overhead - safety_margin(settings)
    if settings.chunk_tokens is not None:
        check_chunk_tokens(settings, "summarize")
        if settings.chunk_tokens > room:
            raise ConfigError(
                f"SUMMARIZE_CHUNK_TOKENS={settings.chunk_tokens} does not fit the context: "
                f"{settings.context_tokens} context tokens leave {room} for article text after the "
                f"prompt ({overhead}) and the reply ({reserve}); lower it to {max(room, 1)} or less"
            )
        return settings.chunk_tokens
    if room < MIN_CHUNK_TOKENS:
        raise ConfigError(
            f"SUMMARIZE_CONTEXT_TOKENS={settings.context_tokens} leaves no room for text after the prompt "
            f"({overhead}) and the reply ({reserve} tokens for a {settings.summary_words}-word summary); "
            "raise SUMMARIZE_CONTEXT_TOKENS or lower SUMMARIZE_SUMMARY_WORDS"
        )
    return room


def places_tokens(article: str, counter: TokenCounter) -> int:
    """Tokens the places line (``prompts.places_line``) adds to a request on ``article`` or any
    part of it: a part names fewer places, or the same in another order (a token or two of slack)."""
    line = prompts.places_line(article, "en")
    return counter.count(f" {line}") + 2 if line else 0


def summary_budget(
    settings: Settings,
    counter: TokenCounter,
    entries: Mapping[str, str],
    languages: Iterable[str] = ("en",),
    article: str = "",
) -> tuple[int, int]:
    """Article tokens and glossary tokens per map request, for a run whose article holds the
    glossary names ``entries``: room for their lines (as ``glossary.within`` counts them), at
    most a fifth of the chunk budget, and for the block that carries them. A short glossary
    (a few official names, ``summarize.institutions``) costs what it needs, not a fifth."""
    budget = chunk_budget(settings, counter, languages, article)
    if not entries:
        return budget, 0
    lines = sum(prompts.glossary_line_tokens(term, rendering, counter.count) for term, rendering in entries.items())
    glossary_tokens = min(budget // 5, lines)
    block = prompt_overhead(prompts.summarize_messages("", "en", {"-": "-"}), counter) - prompt_overhead(
        prompts.summarize_messages("", "en"), counter
    )
    return budget - glossary_tokens - block, glossary_tokens


def reduce_budget(
    settings: Settings, counter: TokenCounter, languages: Iterable[str] = ("en",), article: str = ""
) -> int:
    """Most tokens of notes one reduce request on notes of ``article`` may carry (the prompt
    counted with the article's places line)."""
    overhead = prompt_overhead(prompts.reduce_messages([""], "zh-Hant"), counter) + places_tokens(article, counter)
    return settings.context_tokens - summary_reserve(settings, languages) - overhead - safety_margin(settings)


def extraction_budget(settings: Settings, counter: TokenCounter, source: str, target: str) -> int:
    """Most tokens of candidate names one name-extraction request may carry."""
    overhead = prompt_overhead(prompts.glossary_messages("", source=source, target=target), counter)
    return max(MIN_CHUNK_TOKENS, settings.context_tokens - settings.output_tokens - overhead - safety_margin(settings))
