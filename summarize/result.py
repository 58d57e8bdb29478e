"""Result types: what a summary or translation run returns."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

# What a result's ``flags`` can hold: findings the library could not repair. One home for the
# names; summarize.output gives each its warning line.
LOOPED = "looped"
TRUNCATED = "truncated"
PROMPT_CUT = "prompt-cut"
EN_NOT_ENGLISH = "en-not-english"
ZH_HANT_NOT_CHINESE = "zh-Hant-not-chinese"
LANGUAGE_FAILED = "language-failed"
NOTES_CUT = "notes-cut"
TOO_SHORT = "too-short"
TOO_LONG = "too-long"
NEGATED = "negated"
ECHOED_TASK = "echoed-task"
WRONG_LANGUAGE = {"en": EN_NOT_ENGLISH, "zh-Hant": ZH_HANT_NOT_CHINESE}


@dataclass(frozen=True)
class Usage:
    """What a run cost, for cost tracking.

    Attributes:
        requests: requests sent to the endpoint; a request retried counts once, a reply from
            the response cache not at all (a run answered wholly from the cache sent 0).
        prompt_tokens, completion_tokens: summed over every reply that came over the network
            (cache hits cost nothing); ``None`` when any of those replies did not report it: a
            partial sum would look like a complete one and undercount.
        attempts: HTTP attempts, retries included (3 when one reply took two retries).
        cache_hits: replies answered from the response cache, nothing sent.
    """

    requests: int = 0
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    attempts: int = 0
    cache_hits: int = 0

    @classmethod
    def total(
        cls,
        replies: Iterable[object],
        *,
        requests: int | None = None,
        attempts: int | None = None,
        cache_hits: int | None = None,
    ) -> Usage:
        """The usage of ``replies`` (``Reply`` objects); counters the replies cannot tell
        (requests that failed still count) may be given."""
        replies = list(replies)
        sent = [r for r in replies if not getattr(r, "cached", False)]
        prompts = [getattr(r, "prompt_tokens", None) for r in sent]
        completions = [getattr(r, "completion_tokens", None) for r in sent]
        return cls(
            requests=len(sent) if requests is None else requests,
            prompt_tokens=sum(prompts) if None not in prompts else None,  # type: ignore[arg-type]
            completion_tokens=sum(completions) if None not in completions else None,  # type: ignore[arg-type]
            attempts=sum(getattr(r, "attempts", 1) for r in sent) if attempts is None else attempts,
            cache_hits=len(replies) - len(sent) if cache_hits is None else cache_hits,
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
        chunks: how many chunks the article was cut into (1 when it fit one request, and with
            key sentences, which cut none).
        usage: requests and tokens over the whole run.
        model: the model that answered.
        is_partial: some chunks failed and were left out (only with ``partial=True``).
        failed_chunks: 0-based indexes of the chunks left out.
        simplified_fixed: language code → how many Simplified characters were converted to
            Traditional (OpenCC ``s2tw``) in that summary; one entry per ``zh-Hant`` summary.
        unverified: language codes whose summary still came back mostly in Chinese after a
            firmer retry, where English was asked for.
        truncated: some reply was cut at the token limit and kept (``on_truncation="keep"``).
        flags: what the checks found and could not repair, as short names (the constants
            below): ``looped`` (a reply repeated itself before it said what was asked, and
            again when asked once more; the repeats were cut), ``truncated`` (a cut reply
            kept), ``prompt-cut`` (the server cut the prompt),
            ``en-not-english`` / ``zh-Hant-not-chinese`` (a summary in the wrong language),
            ``language-failed`` (one language's summary failed; see ``failed_languages``),
            ``notes-cut`` (a part's notes ran past their limit before they said what was asked;
            their whole sentences were used), ``too-short`` (a few words where a summary was
            asked for, twice: a model that obeyed an instruction planted in the article, for one),
            ``too-long`` (key sentences: no sentence's translation was usable, and one that came
            back far longer than its sentence was kept: it may say more than the article),
            ``negated`` (key sentences: no sentence's translation was usable, and one that
            negates a sentence negating nothing, asked again, was kept: it may say the opposite),
            ``echoed-task`` (a reply was mostly the task's own words, twice: a model too small
            to follow it; that part of the article went unsummarized).
            Empty when every check passed.
        failed_languages: language code → error message, for languages whose summary failed
            while others succeeded (those are in ``summaries``).
        unsupported: the phrases of the summaries that hold a claim the article does not
            support, as written (``"2.35 billion parameters"``): a figure no figure of the
            article could come from, or a name with no counterpart (``summarize.verify``).
            Empty when everything was traced, or when the check is off (``verify=False``).
        corrected: ``(as the model wrote it, as written now)`` for each claim the article
            settled without a request (``summarize.verify.correct_from_source``): a 萬/億 slip
            (``("2350 billion", "235 billion")``), a misread city (``("Taipei", "Tainan")``),
            a misread name of a person (``("Li Mengzhi", "Li Meng-yen")`` for 李孟諺).
        dropped: what was left out of the summaries because the article does not give it and
            the repair request did not mend it: first a made-up date a preposition attaches to
            its sentence (``"on March 15, 2023"``, ``summarize.verify.drop_unsupported_dates``:
            the rest of the sentence stays), then each sentence still holding such a figure
            (``summarize.verify.drop_unsupported_figures``); a summary that would lose more
            than two fifths of its length keeps those sentences, listed in ``unsupported``.
            Sentences an English summary left in Chinese (an article paragraph copied in after
            it), still there after one re-ask, are left out and listed here too.
        method: how the summaries were written (``Settings.method``): ``"abstractive"`` (the
            model summarized the article) or ``"key-sentences"`` (the model translated the
            article's key sentences, chosen offline: ``summarize.keysentences``).
        key_sentences: with ``key-sentences``, each key sentence as the article writes it and its
            English as the model wrote it, in article order ("" when English was not asked for,
            or the sentence was left out of the summary because it stayed Chinese). The English
            summary is these sentences joined, before the checks (``corrected``, ``dropped``).
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
    flags: tuple[str, ...] = field(default=())
    failed_languages: dict[str, str] = field(default_factory=dict)
    unsupported: tuple[str, ...] = field(default=())
    corrected: tuple[tuple[str, str], ...] = field(default=())
    dropped: tuple[str, ...] = field(default=())
    method: str = "abstractive"
    key_sentences: tuple[tuple[str, str], ...] = field(default=())

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class Translation:
    """A translation of one article, aligned paragraph by paragraph with the source.

    Attributes:
        pairs: one ``(source_paragraph, translated_paragraph)`` per non-empty source line, in
            order; the source paragraph as ``summarize.text.clean`` leaves it (its words
            verbatim; zero-width and control characters and trailing spaces removed, character
            references decoded, NFC-normalized).
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
            source missing, or a repetition loop that a re-ask with a repetition penalty did
            not end (its repeats cut out); they are returned as the model wrote them, less any
            loop. Empty when all passed.
        truncated: some reply was cut at the token limit and kept (``on_truncation="keep"``).
        flags: other findings, as short names from ``summarize.output.FLAGS``: ``"prompt-cut"``,
            ``"looped"`` (some paragraph's translation kept looping; see ``unverified``).
        unsupported: ``(pair index, phrase)`` for each claim of a translated paragraph that its
            source paragraph does not support (a figure or a name; see ``Summary.unsupported``).
        corrected: ``(pair index, as the model wrote it, as written now)`` for each claim its
            source paragraph settled without a request (see ``Summary.corrected``).
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
    flags: tuple[str, ...] = field(default=())
    unsupported: tuple[tuple[int, str], ...] = field(default=())
    corrected: tuple[tuple[int, str, str], ...] = field(default=())
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
            return "\n\n".join(f"{_quoted(source)}\n\n{markdown_text(translated)}" for source, translated in self.pairs) + "\n"
        if layout == "table":
            rows = ["| Source | Translation |", "| --- | --- |"]
            rows += [f"| {_cell(source)} | {_cell(translated)} |" for source, translated in self.pairs]
            return "\n".join(rows) + "\n"
        raise ValueError(f"layout must be 'interleaved' or 'table', got {layout!r}")


# A line of model text that Markdown would read as the document's own structure: a heading, a
# quote (the tool's notes and a translation's source are quotes), a code fence.
_STRUCTURE = re.compile(r"^( {0,3})([#>]|```|~~~)", re.MULTILINE)


def markdown_text(text: str) -> str:
    """``text`` a model wrote, for a Markdown output: a line that would open a heading, a quote
    or a code fence gets a backslash, so it shows as written and cannot pass for a section or a
    note of the tool's ("## Summary (English)", "> Prompt cut: ...")."""
    return _STRUCTURE.sub(lambda m: f"{m.group(1)}\\{m.group(2)}", text)


def _quoted(text: str) -> str:
    """A source paragraph as a Markdown quote, every line of it."""
    return "\n".join(f"> {line}" if line.strip() else ">" for line in text.strip().splitlines())


def _cell(text: str) -> str:
    return text.strip().replace("\\", "\\\\").replace("|", "\\|").replace("\n", "<br>")
