"""Result types: what a summary run returns."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Usage:
    """Tokens summed over every request of a run.

    A field is ``None`` when any request's reply did not report it: a partial sum would look
    like a complete one and undercount.
    """

    requests: int = 0
    prompt_tokens: int | None = None
    completion_tokens: int | None = None

    @classmethod
    def total(cls, replies: Iterable[object]) -> Usage:
        replies = list(replies)
        prompts = [getattr(r, "prompt_tokens", None) for r in replies]
        completions = [getattr(r, "completion_tokens", None) for r in replies]
        return cls(
            requests=len(replies),
            prompt_tokens=sum(prompts) if replies and None not in prompts else None,  # type: ignore[arg-type]
            completion_tokens=sum(completions) if replies and None not in completions else None,  # type: ignore[arg-type]
        )

    @property
    def total_tokens(self) -> int | None:
        if self.prompt_tokens is None or self.completion_tokens is None:
            return None
        return self.prompt_tokens + self.completion_tokens


@dataclass(frozen=True)
class Summary:
    """A summary of one article.

    Attributes:
        text: the summary in the first requested language; ``str(summary) == summary.text``.
        summaries: language code → summary text, for every requested language.
        chunks: how many chunks the article was cut into (1 when it fit one request).
        usage: requests and tokens over the whole run.
        model: the model that answered.
        is_partial: some chunks failed and were left out (only with ``partial=True``).
        failed_chunks: 0-based indexes of the chunks left out.
    """

    text: str
    summaries: dict[str, str]
    chunks: int
    usage: Usage
    model: str
    is_partial: bool = False
    failed_chunks: tuple[int, ...] = field(default=())

    def __str__(self) -> str:
        return self.text
