"""Token budgets: how much article text one request may carry in the context window.

Every request must hold its prompt, the article text and the reply (``output_tokens``) inside
``context_tokens``, with a small margin because the server's template and tokenizer differ from
the ones we count with.
"""

from __future__ import annotations

from . import prompts
from .config import Settings
from .errors import ConfigError
from .tokens import TokenCounter

# Tokens a chat template adds around each message (role markers, separators).
PER_MESSAGE_TOKENS = 8
# The smallest chunk we will cut when a server says a request is too long.
MIN_CHUNK_TOKENS = 32


def safety_margin(settings: Settings) -> int:
    """Tokens kept free of every request: the server's template and tokenizer differ from ours."""
    return max(32, settings.context_tokens // 50)


def prompt_overhead(messages: list[prompts.Message], counter: TokenCounter) -> int:
    return sum(counter.count(m["content"]) + PER_MESSAGE_TOKENS for m in messages)


def chunk_budget(settings: Settings, counter: TokenCounter) -> int:
    """Most article tokens one map request may carry under ``settings``.

    Raises:
        ConfigError: the context window cannot hold the prompt, the reply and any text, or an
            explicit ``chunk_tokens`` would overflow it.
    """
    overhead = max(
        prompt_overhead(prompts.map_messages("", 99, 99), counter),
        prompt_overhead(prompts.summarize_messages("", "zh-Hant"), counter),
    )
    room = settings.context_tokens - settings.output_tokens - overhead - safety_margin(settings)
    if settings.chunk_tokens is not None:
        if settings.chunk_tokens > room:
            raise ConfigError(
                f"SUMMARIZE_CHUNK_TOKENS={settings.chunk_tokens} does not fit the context: "
                f"{settings.context_tokens} context tokens leave {room} for article text after the "
                f"prompt ({overhead}) and the reply ({settings.output_tokens}); lower it to {max(room, 1)} or less"
            )
        return settings.chunk_tokens
    if room < MIN_CHUNK_TOKENS:
        raise ConfigError(
            f"SUMMARIZE_CONTEXT_TOKENS={settings.context_tokens} leaves no room for text after the prompt "
            f"({overhead}) and the reply (SUMMARIZE_OUTPUT_TOKENS={settings.output_tokens}); raise the first or lower the second"
        )
    return room


def summary_budget(settings: Settings, counter: TokenCounter, with_glossary: bool) -> tuple[int, int]:
    """Article tokens and glossary tokens per map request: with a glossary, a fifth of the
    chunk budget is kept for the entries each chunk needs."""
    budget = chunk_budget(settings, counter)
    glossary_tokens = budget // 5 if with_glossary else 0
    return budget - glossary_tokens, glossary_tokens


def reduce_budget(settings: Settings, counter: TokenCounter) -> int:
    overhead = prompt_overhead(prompts.reduce_messages([""], "zh-Hant"), counter)
    return settings.context_tokens - settings.output_tokens - overhead - safety_margin(settings)


def extraction_budget(settings: Settings, counter: TokenCounter, source: str, target: str) -> int:
    """Most tokens of candidate names one name-extraction request may carry."""
    overhead = prompt_overhead(prompts.glossary_messages("", source=source, target=target), counter)
    return max(MIN_CHUNK_TOKENS, settings.context_tokens - settings.output_tokens - overhead - safety_margin(settings))
