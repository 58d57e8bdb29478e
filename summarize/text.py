"""Input validation and clean-up, script detection, and Traditional-Chinese repair (the only OpenCC import)."""

from __future__ import annotations

import functools
import html
import re
import unicodedata

from .errors import InputError, InputTypeError

_HTML_COMMENT = re.compile(r"<!--.*?(?:-->|$)", re.DOTALL)
# Elements whose content is code or styling, not article text: removed with their content.
_HTML_CODE = re.compile(r"<(script|style|noscript|template)\b[^>]*>.*?</\1\s*>", re.DOTALL | re.IGNORECASE)
# Tags that end a line of text: a paragraph or heading ends its sentence when the tags go.
_HTML_BREAK = re.compile(r"<br\s*/?>|</(?:p|div|h[1-6]|li|tr|blockquote|section|article|header|footer)\s*>", re.IGNORECASE)
# Character references with their semicolon (&nbsp; &amp; &#8203;): "AT&T" stays as it is.
_HTML_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
# Only things shaped like tags: a letter or / or ! right after "<", so "a < b" and "<3" survive.
_HTML_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9:-]*(?:\s[^<>]*)?/?>|<![A-Za-z][^<>]*>")
# Zero-width and invisible formatting characters that carry no text but cost tokens.
_INVISIBLE = re.compile("[\u200b-\u200f\u2060-\u2064\ufeff\u00ad\u061c\u180e\u202a-\u202e\u2066-\u2069]")
# C0/C1 controls other than tab and newline.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_TRAILING_SPACE = re.compile(r"[ \t\u3000\xa0]+\n")
_BLANK_RUNS = re.compile(r"\n{3,}")


def clean(text: object) -> str:
    """Validate an article and remove what must not reach the model.

    Removes HTML tags and comments (scripts and styles with their content; paragraph and
    line-break tags become line breaks; character references like ``&nbsp;`` are decoded),
    NUL and other control characters, and zero-width characters; normalises line breaks to
    ``\\n``. The words themselves are untouched.

    Raises:
        InputTypeError: ``text`` is not a ``str`` (bytes must be decoded first).
        InputError: ``text`` is empty or whitespace only, before or after clean-up, or
            holds a lone surrogate (a broken decode).
    """
    if isinstance(text, (bytes, bytearray)):
        raise InputTypeError("the article is bytes; decode it first, e.g. data.decode('utf-8')")
    if not isinstance(text, str):
        raise InputTypeError(f"the article must be a str, got {type(text).__name__}")
    for index, char in enumerate(text):
        if "\ud800" <= char <= "\udfff":
            raise InputError(
                f"the article holds a lone surrogate {char!r} at position {index}: it was decoded "
                "wrongly; decode the source as UTF-8 (errors='replace' if it is damaged)"
            )
    if not text.strip():
        raise InputError("the article is empty" if not text else "the article is only whitespace")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _HTML_COMMENT.sub("", text)
    text = _HTML_CODE.sub("", text)
    text = _HTML_BREAK.sub("\n", text)
    text = _HTML_TAG.sub("", text)
    # After the tags: a decoded "&lt;p&gt;" is text the article shows, not a tag.
    text = _HTML_ENTITY.sub(lambda m: html.unescape(m.group()), text)
    text = _INVISIBLE.sub("", text)
    text = _CONTROL.sub("", text)
    text = _TRAILING_SPACE.sub("\n", text)
    text = _BLANK_RUNS.sub("\n\n", text).strip()
    if not text:
        raise InputError("the article holds no text once HTML and control characters are removed")
    return unicodedata.normalize("NFC", text)


def is_han(char: str) -> bool:
    return "\u4e00" <= char <= "\u9fff" or "\u3400" <= char <= "\u4dbf" or "\U00020000" <= char <= "\U0002ffff"


def han_ratio(text: str) -> float:
    """The share of letters in ``text`` that are Chinese characters (0.0 for no letters)."""
    han = letters = 0
    for char in text:
        if is_han(char):
            han += 1
            letters += 1
        elif char.isalpha():
            letters += 1
    return han / letters if letters else 0.0


def mostly_chinese(text: str) -> bool:
    """More than half the letters are Chinese characters: a reply meant to be English is not."""
    return han_ratio(text) > 0.5


@functools.lru_cache(maxsize=1)
def _s2tw():
    import opencc

    # s2tw converts characters only; s2twp would also rewrite correct Taiwan terms (參數→引數).
    return opencc.OpenCC("s2tw")


def to_traditional(text: str, protected: tuple[str, ...] = ()) -> tuple[str, int]:
    """Repair Simplified characters into Taiwan Traditional with OpenCC ``s2tw``.

    Terms in ``protected`` (glossary entries) are left exactly as given.

    Returns:
        The repaired text and how many characters changed.
    """
    keep = {t for t in protected if t}
    pieces = [text]
    for term in sorted(keep, key=len, reverse=True):
        pieces = [part for piece in pieces for part in ((piece,) if piece in keep else _split_keep(piece, term))]
    out = []
    changed = 0
    for piece in pieces:
        if piece in keep:
            out.append(piece)
            continue
        converted = _keep_shared(piece, _s2tw().convert(piece))
        changed += sum(1 for a, b in zip(piece, converted) if a != b) + abs(len(piece) - len(converted))
        out.append(converted)
    return "".join(out), changed


# Characters that are correct in Taiwan Traditional text but that s2tw's phrase rules rewrite
# (台灣 → 臺灣, 宣布 → 宣佈, 了解 → 瞭解, 周末 → 週末, 里長 → 裡長): found by running s2tw over the
# correct Traditional texts in the test corpus. Converting them would "repair" correct text and
# count it as drift. Shared characters that are more often drift (后, 干, 面) are still converted.
_TAIWAN_SHARED = frozenset("台布了周里借念伙郁喂晒扎")


def _keep_shared(source: str, converted: str) -> str:
    """``converted`` with the correct Taiwan characters of ``source`` put back."""
    if len(source) != len(converted):
        return converted
    return "".join(a if a in _TAIWAN_SHARED else b for a, b in zip(source, converted))


def _split_keep(text: str, term: str) -> list[str]:
    parts = text.split(term)
    result: list[str] = []
    for i, part in enumerate(parts):
        if i:
            result.append(term)
        if part:
            result.append(part)
    return result
