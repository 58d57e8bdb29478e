"""Responders for the scripted server that act like translating models, well or badly.

They read what a request carries (its marked paragraphs, its reference block) and answer from
that alone, so tests can assert on alignment and on what each request was given.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from scripted_server import Seen, Step

from summarize.translate import _FIGURE as FIGURE

ARTICLE = re.compile(r"<<<ARTICLE(?:-\d+)?>>>\n(.*?)\n<<<END ARTICLE(?:-\d+)?>>>", re.DOTALL)
REFERENCE = re.compile(r"<<<REFERENCE(?:-\d+)?>>>\n(.*?)\n<<<END REFERENCE(?:-\d+)?>>>", re.DOTALL)
MARKED = re.compile(r"^\[\[(P*)(\d+)\]\] (.*)$", re.MULTILINE)
# Usage that matches what tests send, so the client's truncation check stays quiet.
USAGE = {"prompt_tokens": 4000, "completion_tokens": 50, "total_tokens": 4050}


def article(seen: Seen) -> str:
    match = ARTICLE.search(seen.user_text)
    return match.group(1) if match else ""


def reference(seen: Seen) -> str:
    match = REFERENCE.search(seen.user_text)
    return match.group(1) if match else ""


def glossary_in(seen: Seen) -> dict[str, str]:
    """The glossary lines a request carried."""
    block = reference(seen).split("Glossary:\n", 1)
    if len(block) < 2:
        return {}
    lines = block[1].split("\n\n", 1)[0].splitlines()
    return dict(line.split(" => ", 1) for line in lines if " => " in line)


def marked(seen: Seen) -> list[tuple[int, str]]:
    """(marker number, source text) of each paragraph a translation request carried."""
    return [(int(n), text) for _, n, text in MARKED.findall(article(seen))]


def prefix(seen: Seen) -> str:
    """The marker prefix a request used ("" for ``[[7]]``, "P" for ``[[P7]]``)."""
    found = MARKED.findall(article(seen))
    return found[0][0] if found else ""


def is_extraction(seen: Seen) -> bool:
    return "recurs in a" in seen.system_text


def is_translation(seen: Seen) -> bool:
    """A request with marked text to translate: an article's paragraphs, or a summary's key sentences."""
    return seen.kind in ("translate", "key_sentences")


def is_firm(seen: Seen) -> bool:
    return "came back in Chinese" in seen.task_text


HAN = re.compile("[\u3400-\u9fff]")


def english(source: str) -> str:
    """The fake English for a source paragraph: stable, recognisable, without Chinese, about as
    long as a real translation (2.5 characters per Chinese character) and holding the source's
    figures, so it passes the checks of each pair against its source."""
    tag = f"EN<{sum(map(ord, source)) % 100000}>"
    # Whole figures, as the library reads them (3.2億 is "3.2", 1,805 one figure), with its pattern.
    figures = FIGURE.findall(source)
    han = len(HAN.findall(source))
    other = sum(1 for char in source if not char.isspace()) - han
    pad = max(0, round(2.5 * han + other) - len(tag) - sum(map(len, figures)))
    return tag + "~" * pad + "".join(f" {f}" for f in figures)


def reply(text: str, **kwargs) -> Step:
    return Step.reply(text, usage=USAGE, **kwargs)


def marked_reply(pairs: list[tuple[int, str]], translate: Callable[[str], str] = english, prefix: str = "") -> Step:
    return reply("\n".join(f"[[{prefix}{n}]] {translate(src)}" for n, src in pairs))


def translator(translate: Callable[[str], str] = english, names: str = "NONE") -> Callable[[Seen], Step]:
    """A well-behaved model: keeps every marker; answers extraction requests with ``names``."""

    def respond(seen: Seen) -> Step:
        if is_extraction(seen):
            return reply(names)
        if is_translation(seen):
            return marked_reply(marked(seen), translate, prefix(seen))
        return reply("A scripted summary.")

    return respond
