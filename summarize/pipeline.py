"""Orchestration only: key sentences, or a plan (one request or map-reduce), maps run concurrently, reduces in rounds.

::

    clean(text) → resolve model → a small model (keysentences.uses_key_sentences):
                                    choose key sentences → translate them, shortened, in one
                                    marked request (English); the sentences themselves (zh-Hant)
                                → otherwise plan_chunks → one request per language   (fits)
                                    → map chunks concurrently → reduce rounds → one
                                      final reduce per language                      (does not)
                                → check figures and names; one repair request
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from . import glossary as names
from . import institutions, keysentences, negation, prompts, verify
from .budget import (
    MIN_CHUNK_TOKENS,
    key_sentence_characters,
    note_words,
    notes_are_summary,
    reduce_budget,
    reply_tokens,
    safety_margin,
    summary_budget,
    summary_reserve,
)
from .chunking import Chunk, pack, plan_chunks
from .client import ChatClient
from .config import ABSTRACTIVE, KEY_SENTENCES, MIN_OUTPUT_TOKENS, Settings, check_arguments, check_partial, resolve_settings
from .errors import (
    ChunkFailedError,
    ConfigError,
    ContextLengthError,
    EmptyReplyError,
    EndpointError,
    SummarizeError,
    TruncatedOutputError,
)
from .judging import (
    Verdict,
    as_long_as_asked,
    echoes_task,
    refuses,
    too_short,
    untranslated,
    wrong_language,
)
from .loops import ends_a_sentence, strip_loops, whole_sentences, without_sentences
from .reply import has_note_line, without_chatter
from .result import (
    ECHOED_TASK, LANGUAGE_FAILED, LOOPED, NEGATED, NOTES_CUT, PROMPT_CUT, TOO_LONG, TOO_SHORT, TRUNCATED, WRONG_LANGUAGE, Summary,
)
from .runner import gather_or_cancel, run_sync
from .text import clean, in_simplified, script_language, to_traditional
from .tokens import TokenCounter, tokenizer_for
from .translate import MARKER_TOKENS, TranslationRun, Unit, chinese_words, marker_prefix, translation_budget

log = logging.getLogger("summarize")
T = TypeVar("T")
# Tokens of the "[Part N]" header and blank line that prompts.join_notes puts before each note.
NOTE_HEADER_TOKENS = 8

def check_languages(languages: Sequence[str]) -> tuple[str, ...]:
    """``languages`` (one code, or a sequence of them) as the library writes them, each once.

    Raises:
        ConfigError: none is given, a code is not supported, or it is neither a code nor a sequence.
    """
    if isinstance(languages, str):
        languages = (languages,)
    if not isinstance(languages, (list, tuple)):
        raise ConfigError(f"languages must be a language code or a list of them, e.g. ('en',), got {languages!r}")
    languages = tuple(dict.fromkeys(prompts.language_code(code) for code in languages))
    if not languages:
        raise ConfigError("languages must name at least one language, e.g. ('en',)")
    return languages


async def ask_rewrite(client: ChatClient, model: str, settings: Settings, messages: list[prompts.Message]) -> str:
    """A reply that rewrites a few sentences (the figure repair): as long as a summary may be,
    its loops cut; a cut one is still judged by the verifier, which keeps the better text."""
    reply = await client.chat(
        messages, model=model, max_tokens=reply_tokens(settings, settings.summary_words), allow_truncated=True
    )
    return strip_loops(reply.text).text


@dataclass
class Run:
    """The state of one summary run."""

    settings: Settings
    client: ChatClient
    model: str
    counter: TokenCounter
    glossary: dict[str, str] = field(default_factory=dict)
    glossary_tokens: int = 0
    reserve: int = 0  # tokens reserved out of the context for the longest reply
    # The article summarized: a zh-Hant reply's forms copied from it (李明峯, 半斗米) are no drift.
    article: str = ""
    simplified_fixed: dict[str, int] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    on_text: Callable[[str], None] | None = None  # the first language's final summary as it streams
    # Key sentences' translations left out (not English, or still looping), each with its flag.
    unkept: list[tuple[str, str]] = field(default_factory=list)
    # Sentences of an English summary left out because they stayed Chinese.
    left_out: list[str] = field(default_factory=list)

    async def ask_rewrite(self, messages: list[prompts.Message]) -> str:
        """The figure repair's request (see ``ask_rewrite``)."""
        return await ask_rewrite(self.client, self.model, self.settings, messages)

    def names_for(self, text: str, language: str, tokens: int | None = None) -> dict[str, str]:
        """The glossary entries one request needs: names occurring in ``text``, as ``language`` writes them."""
        limit = self.glossary_tokens if tokens is None else tokens
        return names.entries_for(self.glossary, text, language, limit, self.counter.count)

    async def judge(
        self,
        messages: list[prompts.Message],
        language: str,
        limit: int,
        penalize: bool,
        stream: bool = False,
        final: bool = False,
        *,
        words: int,
    ) -> Verdict:
        reply = await self.client.chat(
            messages,
            model=self.model,
            max_tokens=limit,
            allow_truncated=True,
            penalize_repetition=penalize,
            on_text=self.on_text if stream else None,
        )
        # What a chat model says around its answer is no part of it: a lead-in, a sign-off, the
        # article's fence lines said back ("<<<END ARTICLE>>>" after a small model's summary).
        # A note at its end stays when the article has notes of its own (註：).
        noted = any(has_note_line(m["content"]) for m in messages if m["role"] == "user")
        loops = strip_loops(without_chatter(reply.text, alone=True, notes=noted))
        text, fixed = loops.text, 0
        # A reply that said what was asked and ran on to its limit ends at its last whole
        # sentence: that is the length the user asked for, and nothing of it was cut. A reply
        # with no sentence end in it (run-on words, a Chinese reply of commas) has none: cut.
        ran_on = False
        if reply.truncated and not loops.looped:
            whole = whole_sentences(text)
            ran_on = ends_a_sentence(whole) and as_long_as_asked(whole, words, language)
            if ran_on:
                text = whole
                log.info(
                    "a %s reply ran on past %s to its %d-token limit; it ends at its last whole sentence",
                    prompts.SHORT_NAMES.get(language, language), prompts.amount(words, language), limit,
                )
        if language == "zh-Hant":
            # Models drift into Simplified; the user's names and the article's forms stay as written.
            text, fixed = to_traditional(text, tuple(self.glossary), self.article)
        wrong = wrong_language(text, language)
        # The system prompt said back is an echo too ("You are a news editor who ...").
        system = next((m["content"] for m in messages if m["role"] == "system"), "")
        return Verdict(
            text=text,
            reply=reply,
            looped=loops.looped,
            wrong_language=wrong,
            cut=reply.truncated and not loops.looped and not ran_on,
            # Only a summary is held to a length: notes on a short part may be a few words.
            too_short=final and not wrong and (too_short(text, language, messages[-1]["content"]) or refuses(text)),
            echoed=echoes_task(text, prompts.task_of(messages)) or bool(system) and echoes_task(text, system),
            simplified_fixed=fixed,
            said_enough=as_long_as_asked(text, words, language),
            untranslated=tuple(untranslated(text)) if final and language == "en" and not wrong else (),
            empty=not text.strip(),
        )

    async def answer(
        self, messages: list[prompts.Message], language: str, words: int, *, final: bool = False, stream: bool = False
    ) -> str:
        """A reply of at most ``words`` in ``language``, judged in one place, in this order:
        loops cut, language checked, re-asked once (the reason appended to the request, with a
        repetition penalty after a loop or a cut), and only then kept and flagged, or raised.

        Raises:
            TruncatedOutputError: both replies ran past their limit without looping, and
                ``on_truncation`` is ``error``.
            EmptyReplyError: both replies held nothing but what a chat model says around an
                answer (a note's chunk then fails as any chunk whose request failed).
        """
        limit = reply_tokens(self.settings, words, language)
        first = await self.judge(messages, language, limit, penalize=False, stream=stream, final=final, words=words)
        best = first
        judged = [first]  # every reply this answer read
        # Notes that only ran long (right language, no loop) are not asked again but kept below:
        # on the reference model a re-asked cut note came back cut every time, and the re-ask
        # costs the whole chunk's prompt once more.
        note_cut = first.cut and not final and not first.wrong_language and not first.empty
        # Nor is a reply that repeated itself only after saying what was asked: its repeats
        # cut, it is as long as asked. On the reference model the seed summary looped after
        # 228 words of 150 asked; the re-ask cost its 2,066 prompt tokens again and returned
        # the same summary in 180 words, with the same 萬/億 slip.
        if first.looped_when_done:
            log.warning(
                "a %s reply repeated itself after %s; its repeats were cut",
                prompts.SHORT_NAMES.get(language, language), prompts.amount(words, language),
            )
        elif not first.ok and not note_cut:
            reasons = (
                ([language] if first.wrong_language or first.untranslated else [])
                + (["loop"] if first.looped or first.cut else [])
                + (["short"] if first.too_short or first.empty else [])
                + (["echo"] if first.echoed else [])
            )
            log.warning(
                "the %s reply %s; asking once more", prompts.SHORT_NAMES.get(language, language),
                "held nothing but words around an answer" if first.empty else
                "came back in the wrong language" if first.wrong_language else
                f"left {len(first.untranslated)} sentence(s) in Chinese" if first.untranslated else
                "was too short to be a summary" if first.too_short else
                "repeated the task's own words" if first.echoed else
                "repeated itself" if first.looped else f"ran past its {limit}-token limit",
            )
            second = await self.judge(
                prompts.reask(messages, *reasons, found=script_language(first.text)), language, limit,
                penalize=first.looped or first.cut,
                stream=stream, final=final, words=words,
            )
            best = second if second.badness <= first.badness else first
            judged.append(second)
        if best.empty:
            # Kept, it would be a summary of nothing, or a part of the article gone from the
            # notes without a trace; cached, every later run would replay it.
            for verdict in judged:
                self.client.forget(verdict.reply)
            raise EmptyReplyError(
                f"the model's {prompts.SHORT_NAMES.get(language, language)} reply held nothing but what a chat model "
                "says around an answer (a lead-in such as 'Here is the summary:', an empty code fence, the "
                f"article's fence line){', twice' if len(judged) > 1 else ''}: try again, or use a larger model",
                status=None, base_url=self.client.base_url, model=self.model, attempts=len(judged),
            )
        if best.cut and not final:
            # Notes feed the next request, not the reader: keep their whole sentences, flagged.
            self.flags.add(NOTES_CUT)
            return whole_sentences(best.text)
        raised = set()
        if best.too_short and final:
            raised.add(TOO_SHORT)
        if best.echoed:  # a note too: its part of the article went unsummarized
            raised.add(ECHOED_TASK)
        if best.cut:
            if self.settings.on_truncation != "keep":
                raise TruncatedOutputError(
                    f"the model kept writing past the {limit}-token limit of a {words}-word reply, twice "
                    "(small models copy the article out instead of summarizing it): use a larger model, "
                    "or set SUMMARIZE_ON_TRUNCATION=keep to keep the cut text, flagged",
                    status=None, base_url=self.client.base_url, model=self.model, attempts=2,
                )
            raised.add(TRUNCATED)
        if best.looped and not best.looped_when_done:
            raised.add(LOOPED)
        if best.wrong_language and final:  # a note's language matters only through the final summary
            raised.add(WRONG_LANGUAGE[language])
        self.flags |= raised
        if raised:
            # What is kept is flagged: the next run (or batch --redo-flagged) asks again instead
            # of replaying the replies from the response cache. A note in the wrong language is
            # no flag (the summary made from it is judged), so it stays cached.
            for verdict in judged:
                self.client.forget(verdict.reply)
        if language == "zh-Hant":
            self.simplified_fixed[language] = self.simplified_fixed.get(language, 0) + best.simplified_fixed
        return self.without_untranslated(best.text, best.untranslated)

    def without_untranslated(self, text: str, spans: Sequence[tuple[int, int]]) -> str:
        """An English summary without the sentences it left in Chinese (at ``spans``), each kept
        in ``left_out`` (the result's ``dropped``): a reader of the English gets English."""
        if not spans:
            return text
        log.warning("left out %d sentence(s) of the English summary that stayed in Chinese", len(spans))
        self.left_out.extend(text[a:b].strip() for a, b in spans)
        return without_sentences(text, spans)

    async def final(self, messages: list[prompts.Message], language: str, stream: bool = False) -> str:
        """A summary in ``language``, judged (see ``answer``); a wrong language left is flagged."""
        return await self.answer(messages, language, self.settings.summary_words, final=True, stream=stream)

    async def map_chunk(self, chunk: Chunk, part: int, parts: int) -> list[str]:
        """Notes on one chunk; a chunk the server finds too long is split smaller and mapped again."""
        try:
            glossary = self.names_for(chunk.text, "en")
            words = note_words(self.settings, chunk.tokens, parts)
            return [await self.answer(prompts.map_messages(chunk.text, part, parts, glossary=glossary, words=words), "en", words)]
        except ContextLengthError as exc:
            smaller = self.smaller_budget(chunk.tokens, exc)
            log.info("chunk %d was too long for the server; splitting it at %d tokens", part, smaller)
            pieces = plan_chunks(chunk.text, smaller, self.counter.count)
            notes = await gather_or_cancel(self.map_chunk(p, part, parts) for p in pieces)  # no piece outlives a failed one
            return [note for group in notes for note in group]

    def learn_window(self, exc: ContextLengthError) -> None:
        """Take the window the server states, when it is smaller than ``context_tokens``: every
        later budget of the run (the notes' reduce, the final request) is made for it. A reduce
        planned for the configured 8,192 tokens failed against a stated 700, after every chunk
        had been paid for."""
        if exc.limit is None or exc.limit >= self.settings.context_tokens:
            return
        if exc.limit <= MIN_OUTPUT_TOKENS:
            raise exc  # no reply fits: its message names the window to set
        log.info("the server's context window is %d tokens; the rest of the run is planned for it", exc.limit)
        self.settings = self.settings.replace(
            context_tokens=exc.limit, output_tokens=min(self.settings.output_tokens, exc.limit - 1)
        )

    def smaller_budget(self, tokens: int, exc: ContextLengthError) -> int:
        """A budget strictly below ``tokens``, scaled to the server's stated limit when it states
        one (which the run then keeps: ``learn_window``).

        Raises:
            ContextLengthError: ``exc`` again, when no smaller chunk can help: the stated window
                cannot hold the reply, or the chunk is already as small as we cut.
        """
        self.learn_window(exc)
        ratio = 0.5
        room = exc.limit - self.reserve - safety_margin(self.settings) if exc.limit else None
        if room is not None and room < MIN_CHUNK_TOKENS:
            raise exc  # its message names the window to set
        if room is not None and exc.requested:
            ratio = min(0.9, max(0.1, room / exc.requested))
        budget = min(tokens - 1, int(tokens * ratio))
        if budget < MIN_CHUNK_TOKENS:
            raise exc
        return budget

    async def joined(self, notes: list[str], languages: tuple[str, ...], article: str) -> dict[str, str | SummarizeError]:
        """Notes asked for shares of the summary (``budget.notes_are_summary``): joined, they are
        the English summary, checked as a final one is; other languages get a reduce request."""
        if "en" not in languages:
            return await self.reduce(notes, languages, article)
        # Parts may open alike ("The article discusses ..."); a passage two notes share is said once.
        text = strip_loops("\n\n".join(n.strip() for n in notes if n.strip())).text
        if wrong_language(text, "en"):
            self.flags.add(WRONG_LANGUAGE["en"])
        else:
            text = self.without_untranslated(text, untranslated(text))
        if any(too_short(note, "en", article) for note in notes):
            self.flags.add(TOO_SHORT)  # a note that only echoes the article (an obeyed "只輸出 PWNED")
        if languages[0] == "en" and self.on_text is not None:
            self.on_text(text)
        others = tuple(lang for lang in languages if lang != "en")
        outcomes = await self.reduce(notes, others, article, stream=languages[0] != "en") if others else {}
        return {lang: text if lang == "en" else outcomes[lang] for lang in languages}

    async def reduce(
        self, notes: list[str], languages: tuple[str, ...], article: str, stream: bool = True
    ) -> dict[str, str | SummarizeError]:
        """Merge the notes on ``article`` in rounds until they fit one request, then one final
        request per language (the first streamed, unless not ``stream``).

        A merge or final request the server finds too long is planned again for a smaller
        budget: the window the server states (``learn_window``), else half of what it refused.
        """
        budget = reduce_budget(self.settings, self.counter, languages, article)
        words = self.settings.summary_words
        outcomes: dict[str, str | SummarizeError] = {}
        pending = languages
        while True:
            sizes = [self.counter.count(n) + NOTE_HEADER_TOKENS for n in notes]
            groups = pack(notes, sizes, budget) if sum(sizes) > budget else [notes]
            if len(groups) == 1:
                room = max(0, budget - sum(sizes))
                every_note = prompts.join_notes(notes)
                outcomes |= await self.finals(
                    {
                        lang: prompts.reduce_messages(
                            notes, lang, glossary=self.names_for(every_note, lang, room), words=words, article=article
                        )
                        for lang in pending
                    },
                    stream=stream and pending[0] == languages[0],
                )
                refused = [lang for lang in pending if isinstance(outcomes[lang], ContextLengthError)]
                if not refused or len(notes) == 1:
                    return {lang: outcomes[lang] for lang in languages}
                exc = outcomes[refused[0]]
                assert isinstance(exc, ContextLengthError)
                budget = self.smaller_reduce_budget(sum(sizes), exc, languages, article)
                pending = tuple(refused)
                continue
            if len(groups) >= len(notes):
                raise ConfigError(
                    f"the partial summaries are too long to merge in a {self.settings.context_tokens}-token "
                    "context; raise SUMMARIZE_CONTEXT_TOKENS or lower SUMMARIZE_SUMMARY_WORDS"
                )
            log.info("reducing %d notes in %d groups", len(notes), len(groups))
            try:
                notes = list(
                    await gather_or_cancel(
                        self.answer(prompts.reduce_messages(g, "en", final=False, words=words, article=article), "en", words)
                        for g in groups
                    )
                )
            except ContextLengthError as exc:
                budget = self.smaller_reduce_budget(budget, exc, languages, article)

    def smaller_reduce_budget(
        self, refused: int, exc: ContextLengthError, languages: tuple[str, ...], article: str
    ) -> int:
        """A budget of notes below ``refused`` (the notes' tokens of a request the server refused):
        made for the window it states, else half.

        Raises:
            ContextLengthError: ``exc`` again, when no smaller budget can help.
        """
        self.learn_window(exc)
        budget = min(reduce_budget(self.settings, self.counter, languages, article), refused // 2 if exc.limit is None else refused - 1)
        if budget < MIN_CHUNK_TOKENS:
            raise exc
        log.info("the notes were too long for the server; merging them in %d-token groups", budget)
        return budget

    async def finals(
        self, requests: dict[str, list[prompts.Message]], stream: bool = True
    ) -> dict[str, str | SummarizeError]:
        """One final summary per language, concurrently (the first streamed, unless not
        ``stream``); a language that fails keeps its error and does not take the others with it."""
        first = next(iter(requests))
        outcomes = await asyncio.gather(
            *(self.final(m, lang, stream=stream and lang == first) for lang, m in requests.items()),
            return_exceptions=True,
        )
        for outcome in outcomes:
            if isinstance(outcome, BaseException) and not isinstance(outcome, SummarizeError):
                raise outcome
        return dict(zip(requests, outcomes))  # type: ignore[arg-type]


@dataclass(frozen=True)
class KeySentenceSummary:
    """What the key-sentence method made of an article (see ``key_sentence_summaries``)."""

    outcomes: dict[str, str | SummarizeError]  # language → summary, or why it failed
    pairs: tuple[tuple[str, str], ...]  # each key sentence and its English ("" when not asked, or left out)
    source: str  # the key sentences as one text: what the summaries are checked against
    corrected: tuple[verify.Correction, ...] = ()  # cities rewritten from each sentence's own (``own_cities``)


def own_cities(english: dict[int, str], chosen: list[keysentences.Sentence], written: Collection[int]) -> list[verify.Correction]:
    """Rewrite, in place, a city each key sentence's English names where its own sentence names
    another (``verify.fix_wrong_cities`` against the sentence alone); what was rewritten.

    The summary is checked against all the key sentences together, so a swap between two cities
    they both name passed: "the Kaohsiung City Government will host" for 臺南市府將主辦 in a release
    whose next sentence names 高雄. A sentence's English can only name the places of that sentence.
    The sentences ``written`` (the release's date line, whose English is the library's own) are
    left as they are.
    """
    fixes: list[verify.Correction] = []
    for index, translated in english.items():
        if index in written or not translated:
            continue
        english[index], found = verify.fix_wrong_cities(translated, chosen[index].text)
        fixes += found
    return fixes


async def key_sentence_summaries(run: Run, article: str, languages: tuple[str, ...]) -> KeySentenceSummary:
    """Summaries built from the article's key sentences (``summarize.keysentences``).

    The sentences are chosen offline within the summary's length; the English summary is their
    translation, each shortened to one sentence, in one marked request (more when the context
    is small), with the translation's checks: a sentence left out or merged is asked for again,
    those not in English once more together and more firmly, then each alone, one whose
    translation lacks its figures, is out of proportion or keeps Chinese words is asked
    for again alone, loops are cut and re-asked with a repetition penalty. A sentence still not
    in English, or still looping, is left out of the summary. The zh-Hant summary is the key
    sentences themselves, as the article writes them: no request. Both are then checked against
    the key sentences (``source``), not the whole article.
    """
    settings = run.settings.replace(translation_context=False)  # the key sentences are the context
    chosen = keysentences.choose(article, key_sentence_characters(settings))
    log.info(
        "key sentences: %d of the article's sentences, %d characters",
        len(chosen), sum(s.size for s in chosen),
    )
    outcomes: dict[str, str | SummarizeError] = {}
    english: dict[int, str] = {}
    corrected: list[verify.Correction] = []
    if "en" in languages:
        try:
            english = await _translate_key_sentences(run, settings, article, chosen)
        except SummarizeError as exc:
            outcomes["en"] = exc
        else:
            written = keysentences.written_english(chosen)
            if settings.verify:
                corrected = own_cities(english, chosen, written)
                verify.log_corrections(corrected)
            text = keysentences.join_english([english.get(i, "") for i in range(len(chosen))])
            # No sentence came back usable (the date line's English is ours): keep what came back, flagged.
            if set(english) <= set(written):
                text = keysentences.join_english([reply for reply, _ in run.unkept])
                run.flags.update(flag for _, flag in run.unkept)
                if run.unkept:
                    log.warning(
                        "no key sentence came back usable; the English summary is made of the %d left out, flagged",
                        len(run.unkept),
                    )
            # The summary is judged for loops like any reply: sentences each clean may still
            # repeat one another in ways their words alone do not show.
            unlooped = strip_loops(text)
            if unlooped.looped:
                log.warning("the joined key sentences repeated themselves; the repeats were cut and the summary is flagged")
                text = unlooped.text
                run.flags.add(LOOPED)
            outcomes["en"] = text
    if "zh-Hant" in languages:
        # The article's own words; an article written in Simplified characters gets them in
        # Traditional ones, as every zh-Hant summary is. A Traditional article's variant forms
        # (裏, 峯) stay as it writes them; a Simplified one's every sentence is drift (待在家里).
        chinese, run.simplified_fixed["zh-Hant"] = keysentences.join_chinese(chosen), 0
        if in_simplified(article):
            chinese, run.simplified_fixed["zh-Hant"] = to_traditional(chinese, simplified=True)
        outcomes["zh-Hant"] = chinese
    # Nothing streams to on_text here (the replies hold markers): it gets the checked summary
    # whole, once asummarize_article has checked it.
    pairs = tuple((s.text, english.get(i, "")) for i, s in enumerate(chosen))
    return KeySentenceSummary(
        {lang: outcomes[lang] for lang in languages}, pairs, keysentences.join_chinese(chosen), tuple(corrected)
    )


def key_sentence_requests(
    settings: Settings,
    client: ChatClient | None,
    model: str,
    counter: TokenCounter,
    article: str,
    chosen: list[keysentences.Sentence],
    glossary: dict[str, str],
) -> tuple[TranslationRun, list[list[Unit]]]:
    """The translation run of the chosen sentences and its requests' sentences (one request
    unless the context is small); ``client`` may be None for a dry run, which sends nothing.

    Raises:
        ConfigError: the context window leaves no room for text.
    """
    budget, glossary_tokens = translation_budget(settings, counter, "zh-Hant", "en", article, kind="key_sentences")
    units = [Unit(i + 1, s.paragraph, s.text, counter.count(s.text)) for i, s in enumerate(chosen)]
    translator = TranslationRun(
        settings, client, model, counter, "en", [s.text for s in chosen], units,  # type: ignore[arg-type]
        prefix=marker_prefix(article), glossary=dict(glossary), glossary_tokens=glossary_tokens,
        kind="key_sentences", context="\n".join(s.text for s in chosen),
        # The release's date goes out for the sentences that say "today (2nd)"; its English is ours.
        written={i + 1: text for i, text in keysentences.written_english(chosen).items()},
    )
    groups = pack(units, [u.tokens + MARKER_TOKENS for u in units], budget)  # type: ignore[arg-type]
    return translator, groups  # type: ignore[return-value]


async def _translate_key_sentences(
    run: Run, settings: Settings, article: str, chosen: list[keysentences.Sentence]
) -> dict[int, str]:
    """The English of each chosen sentence, by its 0-based place among them.

    A sentence whose translation is still not English (or still holds Chinese words: "defining
    AI's格局") after the translation's re-asks (more firmly, then alone), or still
    loops after the re-ask with a repetition penalty, is left out: the summary is made of the
    others, and says nothing it could not say cleanly (on the reference model the 1624
    exhibition's sentence on the VOC volumes looped twice). So is one that came back with the
    words of an earlier one, after it was asked for again alone (on the 0.5B model six lines
    of the Cantonese radio talk came back as one sentence), and one still far longer than its
    sentence could be (``TranslationRun.too_long``), and one still negating a sentence that
    negates nothing after it was asked again with a note saying so (``summarize.negation``: on
    the reference model 並有無人機表演, "and there are drone shows", came back "there will be no
    human-machine performances"). They are kept in ``run.unkept``,
    with the flag they would carry, in case no sentence is usable.
    """
    translator, groups = key_sentence_requests(settings, run.client, run.model, run.counter, article, chosen, run.glossary)
    units = translator.units
    results = await gather_or_cancel(translator.translate_chunk(group) for group in groups)  # type: ignore[arg-type]
    found = {n: t for part, _ in results for n, t in part.items()}
    flagged = {n for _, numbers in results for n in numbers}
    if run.client.truncated:
        run.flags.add(TRUNCATED)
    english: dict[int, str] = {}
    said: set[str] = set()  # the words of the sentences kept (keysentences.english_words)
    for unit in units:
        text = found.get(unit.number, "")
        words = keysentences.english_words(text)
        if unit.number in flagged and (translator.suspect(text) or chinese_words(text)):
            log.warning("key sentence %d stayed in Chinese and is left out of the English summary", unit.number)
            run.unkept.append((text, WRONG_LANGUAGE["en"]))
        elif unit.number in translator.looped:
            log.warning("key sentence %d still repeated itself and is left out of the English summary", unit.number)
            run.unkept.append((text, LOOPED))
        elif words and words in said:
            log.warning("key sentence %d came back with the words of an earlier one and is left out of the English summary", unit.number)
            run.unkept.append((text, LOOPED))
        elif unit.number in flagged and (long := translator.too_long(unit, text)):
            log.warning("key sentence %d came back far longer than itself (%s) and is left out of the English summary", unit.number, long)
            run.unkept.append((text, TOO_LONG))  # kept only if nothing else is: then its figures are checked
        elif unit.number in flagged and (word := negation.added_negation(unit.text, text)):
            log.warning("key sentence %d still says %r where it negates nothing and is left out of the English summary", unit.number, word)
            run.unkept.append((text, NEGATED))
        else:
            english[unit.number - 1] = keysentences.unquoted(text, unit.text)
            said.add(words)
            continue
        translator.forget([unit.number])  # left out: the next run asks for it again
    return english


def summary_glossary(glossary: names.GlossaryLike, settings: Settings, article: str) -> dict[str, str]:
    """A summary run's glossary: the user's (``glossary``, else ``SUMMARIZE_GLOSSARY``), over
    the official names of Taiwan's bodies ``article`` holds (``summarize.institutions``)."""
    return institutions.with_official(names.resolve_glossary(glossary, settings), article)


def check_on_text(on_text: object) -> None:
    """Refuse an ``on_text`` that cannot take the pieces: it is called only once the summary
    streams in, so a request would be paid for before it failed. An ``async def`` one is refused
    too: called, it returns a coroutine that nothing awaits, and its body never runs."""
    if on_text is None:
        return
    if not callable(on_text):
        raise ConfigError(f"on_text must be a function taking a str, or None, got {type(on_text).__name__}")
    if inspect.iscoroutinefunction(on_text) or inspect.iscoroutinefunction(getattr(on_text, "__call__", None)):
        raise ConfigError(
            "on_text must be a plain function, not an async one: it is called as each piece arrives and "
            "nothing awaits what it returns (to hand pieces to async code, put them on an asyncio.Queue)"
        )


async def asummarize_article(
    text: str,
    *,
    languages: Sequence[str] = ("en",),
    settings: Settings | None = None,
    client: Any = None,
    partial: bool = False,
    glossary: names.GlossaryLike = None,
    on_text: Callable[[str], None] | None = None,
    **overrides: Any,
) -> Summary:
    """Summarize a Traditional-Chinese article; the async twin of ``summarize_article``."""
    check_arguments("summarize_article", overrides)
    article = clean(text)
    languages = check_languages(languages)
    check_partial(partial)
    check_on_text(on_text)
    settings = resolve_settings(settings, overrides)
    glossary_entries = summary_glossary(glossary, settings, article)
    async with ChatClient(settings, client) as chat:
        model = await chat.resolve_model()
        counter = tokenizer_for(model, settings.tokenizer)
        run = Run(
            settings, chat, model, counter, glossary=glossary_entries, reserve=summary_reserve(settings, languages),
            on_text=on_text, article=article,
        )
        listed = chat.transport.parameters(model)
        method = KEY_SENTENCES if keysentences.uses_key_sentences(settings.method, model, listed, article) else ABSTRACTIVE
        if method == ABSTRACTIVE and (reason := keysentences.not_chinese(settings.method, model, article, listed)):
            log.warning("%s", reason)
        failed: tuple[int, ...] = ()
        pieces = 0  # the parts mapped: more than the chunks when the server had some split
        outcomes: dict[str, str | SummarizeError] | None = None
        key_pairs: tuple[tuple[str, str], ...] = ()
        own_corrected: tuple[verify.Correction, ...] = ()
        chunks: list[Chunk] = []
        checked_against = article
        if method == KEY_SENTENCES:
            log.info("method: key sentences (model %s; SUMMARIZE_METHOD=%s)", model, settings.method)
            made = await key_sentence_summaries(run, article, languages)
            outcomes, key_pairs, own_corrected = made.outcomes, made.pairs, made.corrected
            # A translation of the key sentences can only take its figures from them, and a repair
            # is sent the very sentence each wrong figure's sentence translates (origins), not the
            # one whose figure is nearest: on the quickstart article a stray "600" drew the 六艘
            # sentence, and the model could not mend the figure from it.
            checked_against = made.source
        else:
            budget, run.glossary_tokens = summary_budget(
                settings, counter, names.present(run.glossary, article), languages, article
            )
            chunks = plan_chunks(article, budget, counter.count)
            log.info("%d chunk(s) of %s tokens", len(chunks), [c.tokens for c in chunks])
        if method == ABSTRACTIVE and len(chunks) == 1:
            words = settings.summary_words
            requests = {
                lang: prompts.summarize_messages(article, lang, glossary=run.names_for(article, lang), words=words)
                for lang in languages
            }
            outcomes = await run.finals(requests)
            context = next((o for o in outcomes.values() if isinstance(o, ContextLengthError)), None)
            if context is not None:
                # The server counts more tokens than we do: fall back to map-reduce on smaller chunks.
                chunks = plan_chunks(article, run.smaller_budget(chunks[0].tokens, context), counter.count)
                outcomes = None
        if outcomes is None:  # abstractive, in parts
            notes, failed = await map_all(run, chunks, partial)
            # A chunk the server refused was split and mapped in pieces, each asked for its
            # chunk's share of the summary: joined, they would run past it (700 words for 150
            # at a 2,048-token window). Such notes are merged by a reduce instead.
            split = len(notes) > len(chunks) - len(failed)
            if notes_are_summary(run.settings, len(chunks)) and not split:
                outcomes = await run.joined(notes, languages, article)
            else:
                outcomes = await run.reduce(notes, languages, article)
            pieces = len(notes) + len(failed)
        # Figures and names the article does not support: one repair request, then listed.
        checked = await verify.repair_summaries(
            run.ask_rewrite, {lang: text for lang, text in outcomes.items() if isinstance(text, str)}, checked_against,
            glossary=run.glossary, enabled=settings.verify, origins=key_pairs,
        )
        outcomes = {**outcomes, **checked.texts}
        if checked.unsupported:
            # Kept with figures or names the article does not give: the replies behind it (the
            # notes it was made from too, where a misread figure may have begun) are not replayed,
            # so that the next run, or batch --redo-flagged, asks again.
            for reply in chat.replies:
                chat.forget(reply)
    summaries = {lang: text for lang, text in outcomes.items() if isinstance(text, str)}
    errors_by_language = {lang: exc for lang, exc in outcomes.items() if not isinstance(exc, str)}
    if not summaries:
        raise next(iter(errors_by_language.values()))
    for lang, exc in errors_by_language.items():
        log.warning("the %s summary failed (%s); returning the others", lang, exc)
        run.flags.add(LANGUAGE_FAILED)
    first = summaries.get(languages[0]) or next(iter(summaries.values()))
    if method == KEY_SENTENCES and on_text is not None:
        on_text(first)  # nothing streamed: a reader of on_text would otherwise see no summary at all
    return Summary(
        text=first,
        summaries=summaries,
        chunks=max(len(chunks), pieces) if method == ABSTRACTIVE else 1,
        usage=chat.usage(),
        truncated=TRUNCATED in run.flags,
        model=chat.answering_model(model),
        is_partial=bool(failed),
        failed_chunks=failed,
        simplified_fixed=dict(run.simplified_fixed),
        unverified=tuple(lang for lang in languages if WRONG_LANGUAGE[lang] in run.flags),
        flags=tuple(sorted(run.flags | ({PROMPT_CUT} if chat.prompt_cut else set()))),
        failed_languages={lang: str(exc) for lang, exc in errors_by_language.items()},
        unsupported=checked.unsupported,
        corrected=own_corrected + checked.corrected,  # verify.Correction is a (phrase, written) pair
        dropped=checked.dropped + tuple(run.left_out),
        method=method,
        key_sentences=key_pairs,
    )


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
        # Nothing to keep: the first says why, without the advice to pass partial=True, which was.
        first: ChunkFailedError = failures[0]  # type: ignore[assignment]
        cause = first.__cause__ if isinstance(first.__cause__, EndpointError) else first
        raise ChunkFailedError(first.index, count, cause, what=None) from cause
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
    on_text: Callable[[str], None] | None = None,
    **overrides: Any,
) -> Summary:
    """Summarize a Traditional-Chinese news article.

    Args:
        text: the article (a ``str``; HTML and control characters are removed).
        languages: summary languages; the first is ``Summary.text``. ``"en"`` or ``"zh-Hant"``.
        settings: a ``Settings``; default ``Settings.from_env()``.
        client: an ``openai.OpenAI`` to send requests through (an ``openai.AsyncOpenAI``
            belongs to one event loop, and each call of this function runs in a new one: give
            it to ``asummarize_article``).
        partial: when a chunk fails for good, summarize the rest and flag the result
            (``is_partial``, ``failed_chunks``) instead of raising ``ChunkFailedError``.
        glossary: names and their English forms, ``{"阿里巴巴": "Alibaba"}``, or a glossary file
            path (see ``summarize.glossary``); default ``SUMMARIZE_GLOSSARY``. Each request
            gets the entries whose names occur in its text; zh-Hant output keeps them unconverted.
        on_text: a plain (not ``async``) function called with each piece of the first
            language's final summary as it streams in (a re-ask streams again after the first
            reply), for showing progress; the checked summary is ``Summary.text``, which may
            differ (loops cut, re-asked). A key-sentence summary, whose replies hold markers,
            is passed once, whole and checked.
        **overrides: settings to change, e.g. ``model="qwen3:8b"``, ``concurrency=8``.

    Returns:
        A ``Summary``; ``str(summary)`` is the summary text. ``simplified_fixed`` counts the
        Simplified characters repaired in each zh-Hant summary; ``unverified`` names the
        languages whose summary stayed in the wrong language after one re-ask, and ``flags``
        what else the checks found and could not repair.

    Raises:
        InputError, InputTypeError: the article is unusable; nothing was sent.
        ConfigError: a setting is malformed or missing.
        EndpointError: the endpoint failed (a subclass says how). A summary that runs past its
            limit twice before it said what was asked (not a loop, which is cut and flagged)
            raises ``TruncatedOutputError`` rather than returning a silently shortened summary,
            unless ``on_truncation="keep"``.

    Example::

        >>> from summarize import summarize_article
        >>> print(summarize_article(open("article.txt").read()))  # doctest: +SKIP
    """
    # Inside a running event loop (Jupyter) the work runs in a worker thread (summarize.runner).
    return run_sync(
        asummarize_article(
            text,
            languages=languages,
            settings=settings,
            client=client,
            partial=partial,
            glossary=glossary,
            on_text=on_text,
            **overrides,
        )
    )
