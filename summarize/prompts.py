"""Load and render the prompt files in ``prompts/``; fence untrusted article text.

Prompts are plain files with ``$name`` placeholders (``string.Template``), shipped in the wheel
as the ``summarize._prompts`` package. The article is data: it travels only in the user message,
between fence lines that do not occur in it, and every system prompt says so.
"""

from __future__ import annotations

import functools
import importlib.resources
import re
import string
from collections.abc import Callable, Mapping

from .errors import ConfigError
from .places import cities_in

LANGUAGE_NAMES = {
    "en": "English",
    "zh-Hant": "Traditional Chinese as written in Taiwan (繁體中文), never Simplified Chinese",
}

# Shorter names, where a language is the source or is named inside a sentence.
SHORT_NAMES = {"en": "English", "zh-Hant": "Traditional Chinese (繁體中文)"}
# Between a name and the form to write, in glossary lines of prompts (and in extraction replies).
GLOSSARY_ARROW = " => "
# Reference material that may precede the text: its heading, and how the system prompt describes it.
REFERENCE_PARTS = {
    "title": ("Title:", "its title"),
    "previous": ("Previous paragraph:", "the paragraph just before this part"),
    "glossary": ("Glossary:", 'a glossary of names, one per line, each followed by "=>" and the form to write'),
}

Message = dict[str, str]


@functools.lru_cache(maxsize=None)
def load(name: str) -> string.Template:
    """The template in ``prompts/<name>.txt``."""
    text = (importlib.resources.files("summarize._prompts") / f"{name}.txt").read_text(encoding="utf-8")
    return string.Template(text)


def render(name: str, **values: object) -> str:
    """Render ``prompts/<name>.txt``; a missing placeholder raises ``KeyError`` naming it."""
    return load(name).substitute({k: str(v) for k, v in values.items()}).strip()


_CODES = {known.lower(): known for known in LANGUAGE_NAMES}


def language_hint(code: object) -> str:
    """What a code the library does not take was likely meant as: another tag for a supported
    language ("zh-TW", "English"), Simplified Chinese, or several codes in one string; "" for a
    code it takes, or one with no likely meaning."""
    if not isinstance(code, str) or code.strip().lower() in _CODES:
        return ""  # a code the library takes needs no hint
    tag = code.strip().lower().replace("_", "-")
    if "," in tag:
        return "; give one code per item, e.g. languages=('en', 'zh-Hant')"
    if tag in ("zh", "zh-cn", "zh-sg", "zh-hans", "zh-hans-cn", "chinese", "cmn"):
        return "; only Traditional Chinese is written: 'zh-Hant' (Taiwan usage)"
    if tag.startswith("zh-") or tag in ("traditional chinese", "繁體中文", "中文"):
        return "; Traditional Chinese is 'zh-Hant' (written with Taiwan usage)"
    if tag.startswith("en-") or tag == "english":
        return "; English is 'en'"
    return ""


def language_code(code: str, what: str = "language") -> str:
    """``code`` as the library writes it, read without regard to case ("EN" → "en", "zh-hant" →
    "zh-Hant"); ``ConfigError`` for a code it does not support, saying which was likely meant."""
    found = _CODES.get(code.strip().lower()) if isinstance(code, str) else None
    if found is None:
        raise ConfigError(f"unsupported {what} {code!r}; supported: {', '.join(LANGUAGE_NAMES)}{language_hint(code)}")
    return found


def language_name(code: str) -> str:
    return LANGUAGE_NAMES[language_code(code)]


# How a closing fence line starts and ends ("<<<END ARTICLE>>>").
FENCE_END, FENCE_TAIL = "<<<END ", ">>>"
# What a fence holds: the text, reference material beside it, a repair's source sentences.
ARTICLE_FENCE, REFERENCE_FENCE, SOURCE_FENCE = "ARTICLE", "REFERENCE", "SOURCE"
FENCE_NAMES = (ARTICLE_FENCE, REFERENCE_FENCE, SOURCE_FENCE)
# A fence line a model copied into its reply, in our brackets or in the markers' ("[[END
# ARTICLE]]": the reference model ended the Tainan disaster release's date with it).
ECHOED_FENCE = re.compile(rf"(?:<<<|\[\[)\s*(?:END\s+)?(?:{'|'.join(FENCE_NAMES)})(?:-\d+)?\s*(?:>>>|\]\])")


def fence_for(text: str, name: str = ARTICLE_FENCE) -> tuple[str, str]:
    """Opening and closing fence lines that do not occur anywhere in ``text``; ``name`` is one
    of ``FENCE_NAMES`` (a reply that copies the fence back is then cleaned: ``ECHOED_FENCE``)."""
    if name not in FENCE_NAMES:
        raise ValueError(f"unknown fence {name!r}: add it to FENCE_NAMES")
    n = 0
    while True:
        tag = name if n == 0 else f"{name}-{n}"
        opening, closing = f"<<<{tag}{FENCE_TAIL}", f"{FENCE_END}{tag}{FENCE_TAIL}"
        if opening not in text and closing not in text:
            return opening, closing
        n += 1


def fenced_messages(system: str, text: str, **values: object) -> list[Message]:
    """A system prompt (rendered from ``prompts/<system>.txt``) and the fenced text as the user message."""
    opening, closing = fence_for(text)
    return [
        {"role": "system", "content": render(system, fence_open=opening, fence_close=closing, **values)},
        {"role": "user", "content": render("fenced_user", fence_open=opening, fence_close=closing, text=text)},
    ]


def glossary_line(term: str, rendering: str) -> str:
    """One glossary entry as a request gives it: ``阿里巴巴 => Alibaba``."""
    return f"{term}{GLOSSARY_ARROW}{rendering}"


def glossary_lines(entries: Mapping[str, str]) -> str:
    return "\n".join(glossary_line(term, rendering) for term, rendering in entries.items())


def glossary_line_tokens(term: str, rendering: str, count: Callable[[str], int]) -> int:
    """Tokens one entry's line takes in a request, its line break included."""
    return count(glossary_line(term, rendering)) + 1


def _listing(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def task_messages(
    system: str,
    text: str,
    task: str,
    *,
    verb: str,
    title: str = "",
    previous: str = "",
    glossary: Mapping[str, str] | None = None,
) -> list[Message]:
    """A request laid out so that every request of a run starts with the same bytes.

    The system message (``prompts/<system>.txt``) is fixed for the run; the user message holds,
    in order, any reference material (title, previous paragraph, glossary entries) fenced apart,
    the fenced ``text``, and last the ``task``. Small models heed the instruction nearest the
    end, so the task and its language come after the text; servers with prefix caching
    (llama.cpp, vLLM) reuse the shared start, and a re-ask (``reask``) only appends.
    """
    parts = {"title": title.strip(), "previous": previous.strip(), "glossary": glossary_lines(glossary or {})}
    parts = {key: value for key, value in parts.items() if value}
    reference = "\n\n".join(f"{REFERENCE_PARTS[key][0]}\n{value}" for key, value in parts.items())
    both = f"{text}\n{reference}"
    opening, closing = fence_for(both)
    system_text = render(system, fence_open=opening, fence_close=closing)
    if parts:
        ref_open, ref_close = fence_for(both, REFERENCE_FENCE)
        note = render(
            "reference_note",
            ref_open=ref_open,
            ref_close=ref_close,
            contents=_listing([REFERENCE_PARTS[key][1] for key in parts]),
            task=verb,
        )
        body = render(
            "reference_user",
            note=note,
            ref_open=ref_open,
            ref_close=ref_close,
            reference=reference,
            fence_open=opening,
            fence_close=closing,
            text=text,
        )
    else:
        body = render("fenced_user", fence_open=opening, fence_close=closing, text=text)
    return [{"role": "system", "content": system_text}, {"role": "user", "content": f"{body}\n\n{task}"}]


# Why a reply is asked for again → the prompt file whose words are appended to the request:
# it came back in another language than the one named (en, zh-Hant), repeated itself, was a
# few words (an obeyed injection) or said the task's own words back.
REASKS = {
    "en": "english_only", "zh-Hant": "chinese_only", "loop": "no_repeat", "short": "not_a_summary", "echo": "echoed_task",
}


def reask(messages: list[Message], *reasons: str, found: str = "Chinese") -> list[Message]:
    """``messages`` with the words for each reason (a language code the reply must be in,
    ``"loop"``, ``"short"`` or ``"echo"``) appended to the last user message: the start of the
    request stays byte-identical, so a server's prompt cache still holds it. ``found`` is the
    language a reply that had to be English came back in (``text.script_language``)."""
    if not reasons:
        return [dict(m) for m in messages]
    return _appended(messages, "\n\n".join(render(REASKS[reason], found=found) for reason in reasons))


def _appended(messages: list[Message], extra: str) -> list[Message]:
    """``messages`` with ``extra`` after the last user message's words, the start unchanged."""
    last = max(i for i, m in enumerate(messages) if m["role"] == "user")
    return [{**m, "content": f"{m['content']}\n\n{extra}"} if i == last else dict(m) for i, m in enumerate(messages)]


def not_negated(messages: list[Message], word: str, meanings: Mapping[str, str]) -> list[Message]:
    """``messages`` asked again because their reply negated a paragraph that negates nothing
    (``summarize.negation``): the negating ``word`` it wrote, and what each word of the
    paragraph that looks like a negation means (``{"無人機": "drone"}``), appended as ``reask``
    appends."""
    said = "; ".join(f'{source} means "{english}"' for source, english in meanings.items())
    return _appended(messages, render("not_negated", word=word, meanings=f" In it, {said}." if said else ""))


def task_of(messages: list[Message]) -> str:
    """The task of a request: its last user message after the last closing fence (the fences
    are chosen so that no text inside them holds one)."""
    content = next(m["content"] for m in reversed(messages) if m["role"] == "user")
    end = content.rfind(FENCE_END)
    close = content.find(FENCE_TAIL, end) if end >= 0 else -1
    return content[close + len(FENCE_TAIL) :] if close >= 0 else content


def firmer_english(messages: list[Message]) -> list[Message]:
    """``messages`` with the instruction to write English only appended (see ``reask``)."""
    return reask(messages, "en")


# A length in words, asked of a Chinese reply, is asked in characters: two for each word.
CHARACTERS_PER_WORD = 2


def amount(words: int, language: str) -> str:
    """``words`` as a reply in ``language`` counts them: words in English, characters in Chinese."""
    return f"{words} words" if language == "en" else f"{CHARACTERS_PER_WORD * words} characters"


def length(words: int, language: str) -> str:
    """How long a reply may be, as the prompt says it ("at most 150 words")."""
    return f"at most {amount(words, language)}"


def _names_rule(language: str) -> str:
    if language == "en":
        return "; give names in their usual English form, romanizing those that have none"
    return "; keep names as the article writes them"


# The most places a request names (the first its text holds).
PLACES_MAX = 6


def places_line(text: str, language: str) -> str:
    """For a request writing English: the sentence naming in English the places ``text`` holds
    (``summarize.places``), to end its task; "" when it holds none or writes Chinese.

    Measured on Qwen2.5-Coder-1.5B (summaries of two Tainan city releases, three tries each,
    twice; ``benchmarks/places.py``), the summaries that put them in Taipei: 4 and 5 of 6
    without it, 1 of 6 with it both times.
    """
    found = cities_in(text)[:PLACES_MAX] if language == "en" else []
    return render("places_hint", places=", ".join(found)) if found else ""


def _with_places(task: str, text: str, language: str) -> str:
    line = places_line(text, language)
    return f"{task} {line}" if line else task


def summarize_messages(
    article: str, language: str, glossary: Mapping[str, str] | None = None, *, words: int = 150
) -> list[Message]:
    task = render(
        "summarize_task", language=language_name(language), length=length(words, language), names_rule=_names_rule(language)
    )
    task = _with_places(task, article, language)
    return task_messages("summary_system", article, task, verb="summarize", glossary=glossary)


def map_messages(
    chunk: str,
    part: int,
    parts: int,
    language: str = "en",
    glossary: Mapping[str, str] | None = None,
    *,
    words: int = 150,
) -> list[Message]:
    task = render("map_task", part=part, parts=parts, language=language_name(language), length=length(words, language))
    task = _with_places(task, chunk, language)
    return task_messages("summary_system", chunk, task, verb="summarize", glossary=glossary)


def translate_messages(
    marked: str,
    *,
    source: str,
    target: str,
    marker_example: str,
    title: str = "",
    previous: str = "",
    glossary: Mapping[str, str] | None = None,
    english_only: bool = False,
    kind: str = "translate",
) -> list[Message]:
    """One translation request: marked paragraphs with the glossary entries for their names (and,
    when the run sends context, the title and the previous paragraph).

    ``kind`` names the prompt pair, ``prompts/<kind>_system.txt`` and ``<kind>_task.txt``:
    ``translate`` (whole paragraphs, faithfully and completely) or ``key_sentences`` (a
    summary's key sentences, each shortened to one sentence that keeps its facts).
    """
    task = render(
        f"{kind}_task", source=SHORT_NAMES[source], target=language_name(target), marker_example=marker_example
    )
    task = _with_places(task, marked, target)
    messages = task_messages(
        f"{kind}_system", marked, task, verb="translate", title=title, previous=previous, glossary=glossary
    )
    return firmer_english(messages) if english_only else messages


def glossary_messages(terms: str, *, source: str, target: str) -> list[Message]:
    """Ask which of ``terms`` (one per line, taken from an article) are names, each with its ``target`` form."""
    return fenced_messages("glossary_system", terms, source=SHORT_NAMES[source], target=SHORT_NAMES[target])


def join_notes(notes: list[str]) -> str:
    return "\n\n".join(f"[Part {i}]\n{note.strip()}" for i, note in enumerate(notes, 1))


def reduce_messages(
    notes: list[str],
    language: str,
    *,
    final: bool = True,
    glossary: Mapping[str, str] | None = None,
    words: int = 150,
    article: str = "",
) -> list[Message]:
    """A request to merge notes (``final=False``) or to write the summary from them; the task
    names in English the places ``article`` holds (``places_line``), as a single request's
    does, for the notes may have put the article in another city."""
    if final:
        task = render(
            "reduce_task", language=language_name(language), length=length(words, language), names_rule=_names_rule(language)
        )
    else:
        task = render("merge_task", language=language_name(language), length=length(words, language))
    task = _with_places(task, article, language)
    return task_messages("summary_system", join_notes(notes), task, verb="summarize", glossary=glossary)
