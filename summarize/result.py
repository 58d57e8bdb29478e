"""Result types: what a summary or translation run returns."""

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
        simplified_fixed: language code → how many Simplified characters were converted to
            Traditional (OpenCC ``s2tw``) in that summary; one entry per ``zh-Hant`` summary.
        unverified: language codes whose summary still came back mostly in Chinese after a
            firmer retry, where English was asked for.
        truncated: some reply was cut at the token limit and kept (``on_truncation="keep"``).
    """

    text: str
    summaries: dict[str, str]
    chunks: int
    usage: Usage
    model: str
    is_partial: bool = False
    failed_chunks: tuple[int, ...] = field(default=())
    simplified_fixed: dict[str, int] = field(default_factory=dict)
    unverified: tuple[str, ...] = field(default=())
    truncated: bool = False

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class Translation:
    """A translation of one article, aligned paragraph by paragraph with the source.

    Attributes:
        pairs: one ``(source_paragraph, translated_paragraph)`` per non-empty source line, in
            order; the source paragraph is kept verbatim.
        target: the language translated into, ``"en"`` or ``"zh-Hant"``.
        chunks: how many chunks of paragraphs the article was cut into.
        usage: requests and tokens over the whole run.
        model: the model that answered.
        glossary: source-language name → the form every request was held to (given or
            extracted); for a ``zh-Hant`` target, English names → Chinese forms.
        simplified_fixed: Simplified characters converted to Traditional (``zh-Hant`` target).
        unverified: 0-based indexes of paragraphs whose translation still failed a check after
            one more request: empty, mostly in Chinese when English was asked for (or not in
            Chinese for zh-Hant), a length out of proportion to the source, or a figure of the
            source missing; they are returned as the model wrote them. Empty when all passed.
        truncated: some reply was cut at the token limit and kept (``on_truncation="keep"``).
        names_failed: why the name request failed (an endpoint error, a cut reply) when it did;
            the translation went on without those names. ``None`` otherwise.
    """

    pairs: tuple[tuple[str, str], ...]
    target: str
    chunks: int
    usage: Usage
    model: str
    glossary: dict[str, str] = field(default_factory=dict)
    simplified_fixed: int = 0
    unverified: tuple[int, ...] = field(default=())
    truncated: bool = False
    names_failed: str | None = None

    @property
    def text(self) -> str:
        """The translated paragraphs joined by blank lines."""
        return "\n\n".join(translated for _, translated in self.pairs)

    @property
    def verified(self) -> bool:
        """Every paragraph is in the target language as far as a script check can tell."""
        return not self.unverified

    def __str__(self) -> str:
        return self.text

    def to_markdown(self, layout: str = "interleaved") -> str:
        """A bilingual Markdown rendering.

        Args:
            layout: ``"interleaved"``: each source paragraph as a quote followed by its
                translation; ``"table"``: a two-column table, source on the left.
        """
        if layout == "interleaved":
            return "\n\n".join(f"> {source.strip()}\n\n{translated}" for source, translated in self.pairs) + "\n"
        if layout == "table":
            rows = ["| Source | Translation |", "| --- | --- |"]
            rows += [f"| {_cell(source)} | {_cell(translated)} |" for source, translated in self.pairs]
            return "\n".join(rows) + "\n"
        raise ValueError(f"layout must be 'interleaved' or 'table', got {layout!r}")


def _cell(text: str) -> str:
    return text.strip().replace("\\", "\\\\").replace("|", "\\|").replace("\n", "<br>")
