"""Input validation and clean-up, script detection, and Traditional-Chinese repair (the only OpenCC import)."""

from __future__ import annotations

import functools
import html
import json
import logging
import os
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any, BinaryIO

from .errors import InputError, InputTypeError

# HTML element names: only these make a tag. "List<int>" and "x<y 時，且壓力z>w" hold no tag.
_HTML_ELEMENTS = frozenset(
    """a abbr acronym address area article aside audio b base bdi bdo big blockquote body br button
    canvas caption center cite code col colgroup data datalist dd del details dfn dialog dir div dl dt
    em embed fieldset figcaption figure font footer form frame frameset h1 h2 h3 h4 h5 h6 head header
    hgroup hr html i iframe img input ins kbd label legend li link main map mark marquee menu meta meter
    nav nobr noframes noscript object ol optgroup option output p param picture pre progress q rp rt
    ruby s samp script search section select slot small source span strike strong style sub summary sup
    svg math table tbody td template textarea tfoot th thead time title tr track tt u ul var video wbr""".split()
)
# Elements whose content is code or styling, not article text: removed with their content.
_HTML_SKIP = frozenset({"script", "style", "noscript", "template"})
# A start tag of one of them, and the end tag that closes it.
_SKIP_START = re.compile(r"<(script|style|noscript|template)(?=[\s/>])[^>]*>", re.IGNORECASE)
# Elements that stand apart as paragraphs (a blank line around them), and those that only end a
# line: paragraphs matter, translation splits on lines.
_HTML_PARAGRAPH = frozenset(
    """address article aside blockquote body caption details dialog dl fieldset figcaption figure
    footer form h1 h2 h3 h4 h5 h6 header hgroup hr html main nav ol p pre section summary table
    title ul""".split()
)
_HTML_LINE = frozenset({"br", "dd", "div", "dt", "li", "tr", "tbody", "thead", "tfoot"})
_HTML_BLOCK = _HTML_PARAGRAPH | _HTML_LINE
_HTML_CELL = frozenset({"td", "th"})
# Where source whitespace is kept as written inside HTML.
_HTML_PRE = frozenset({"pre", "textarea"})
# A tag as HTML writes it: a name, then attributes with ASCII names (so "<y 時，且壓力z>" is not one).
_TAG_NAME = r"[A-Za-z][A-Za-z0-9]*(?:[:-][A-Za-z0-9]+)*"
_ATTRIBUTE = r"""\s+[A-Za-z_:@][-A-Za-z0-9_:.@]*(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'=<>`]+))?"""
_HTML_TAG = re.compile(rf"<({_TAG_NAME})(?:{_ATTRIBUTE})*\s*/?>|</({_TAG_NAME})\s*>")
# What shows a text is HTML: an end tag, or a start tag whose attributes all have values
# ("x<b and c>d" is an inequality, "<p>" and '<a href="...">' are markup), or a void element.
_VALUED_ATTRIBUTE = r"""\s+[A-Za-z_:@][-A-Za-z0-9_:.@]*\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'=<>`]+)"""
_HTML_EVIDENCE = re.compile(rf"<({_TAG_NAME})(?:{_VALUED_ATTRIBUTE})*\s*/?>|</({_TAG_NAME})\s*>")
_HTML_VOID = frozenset({"br", "hr", "img", "wbr", "meta", "link", "input"})
_DOCTYPE = re.compile(r"<!doctype\s+html", re.IGNORECASE)
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
# Character references with their semicolon (&nbsp; &amp; &#8203;): "AT&T" stays as it is.
_HTML_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
# Zero-width and invisible formatting characters that carry no text but cost tokens.
_INVISIBLE = re.compile("[\u200b-\u200f\u2060-\u2064\ufeff\u00ad\u061c\u180e\u202a-\u202e\u2066-\u2069]")
# C0/C1 controls other than tab and newline.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# What a terminal acts on in text a server sent: C0/C1 controls but tab and newline (ESC opens
# an escape sequence that can clear the screen or retitle the window), and bidirectional
# overrides that show text in another order than it is.
# Lone surrogates too: JSON may escape one (\ud800), and no file or terminal can encode it.
_UNPRINTABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x84\x86-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
# What ends a line in text a server sent besides "\n": CR, CRLF, NEL and Unicode's line and
# paragraph separators, which JSON Lines readers that split as str.splitlines does would break on.
_SENT_LINE_BREAK = re.compile("\r\n|[\r\x85\u2028\u2029]")


# Byte-order marks of the encodings an article file is most often in when it is not UTF-8 (Notepad's
# "Unicode"), longest first: UTF-32's little-endian mark begins with UTF-16's.
_BOMS = ((b"\xff\xfe\x00\x00", "UTF-32"), (b"\x00\x00\xfe\xff", "UTF-32"), (b"\xff\xfe", "UTF-16"), (b"\xfe\xff", "UTF-16"))


# Files people give by mistake, by the bytes they start with: not text in any encoding.
_NOT_TEXT = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"), (b"\xff\xd8\xff", "a JPEG image"), (b"GIF8", "a GIF image"),
    (b"%PDF-", "a PDF (extract its text first, e.g. pdftotext FILE)"),
    (b"PK\x03\x04", "a ZIP archive (a .docx, .xlsx or .epub is one: save the article as plain text)"),
    (b"\x1f\x8b", "gzip-compressed (e.g. gunzip -c FILE)"), (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Office document"),
    (b"7z\xbc\xaf\x27\x1c", "a 7z archive"), (b"\x7fELF", "a program"),
)

# The most bytes an article file may hold. Past it the file is refused before it is read whole:
# /dev/zero or a disk image given by mistake was read until memory ran out. A long novel is
# about 2 MiB; 32 MiB of Chinese text would be some ten thousand requests.
MAX_ARTICLE_BYTES = 32 << 20


def read_article(stream: BinaryIO, source: str) -> str:
    """An article read from ``stream`` (a file or a pipe), at most ``MAX_ARTICLE_BYTES`` of it,
    decoded as ``decode_article`` says: a file, stdin and a batch's files are read alike.

    Raises:
        InputError: it holds more (or never ends, as /dev/zero does), or ``decode_article`` refuses it.
    """
    data = stream.read(MAX_ARTICLE_BYTES + 1)
    if len(data) > MAX_ARTICLE_BYTES:
        raise InputError(
            f"{source} holds more than {MAX_ARTICLE_BYTES >> 20} MiB (or never ends), far more than an article: "
            "give one article per file"
        )
    return decode_article(data, source)


# How much of an article's bytes ``_utf16_order`` looks at.
_UTF16_SAMPLE = 1 << 16
# What an article decoded in the right byte order is made of: ASCII, general and CJK
# punctuation, full-width forms and Chinese characters. In the wrong order 臺 (U+81FA) reads
# U+FA81 and a line break U+0A00, neither of them here.
_PLAIN_TEXT = re.compile("[\t\n\r\x20-\x7e\u2000-\u206f\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")


def _utf16_order(data: bytes, *, many: bool) -> str | None:
    """``"LE"`` or ``"BE"`` when ``data`` looks like UTF-16 written without a byte-order mark, else ``None``.

    In UTF-16 every ASCII character (a line break, a digit, a Latin letter) has a NUL byte;
    Big5 and UTF-8 text have none. So it takes NULs, and the order that reads the bytes as
    plain text (``_PLAIN_TEXT``, nine in ten characters): a binary file reads as neither.
    ``many`` asks for NULs in a quarter of the pairs: bytes that are valid UTF-8 (UTF-16 of
    ASCII text is) are taken for UTF-16 only then, not for a stray NUL.
    """
    sample = data[: min(len(data), _UTF16_SAMPLE) // 2 * 2]
    if sample.count(0) < max(1, len(sample) // 8 if many else 1):
        return None
    shares = {}
    for order in ("LE", "BE"):
        text = sample.decode(f"utf-16-{order.lower()}", errors="replace")  # a pair cut at the sample's end
        shares[order] = len(_PLAIN_TEXT.findall(text)) / len(text)
    order = max(shares, key=shares.__getitem__)
    return order if shares[order] >= 0.9 else None


def decode_article(data: bytes, source: str) -> str:
    """An article's bytes read from ``source`` ("the file", "stdin"), as UTF-8 text whatever the
    locale says, with universal newlines (CRLF and CR become "\\n", as a file opened as text reads
    them): a file and the same bytes piped in are one article.

    Raises:
        InputError: it is not UTF-8; the message says what it seems to be and how to convert it
            (a byte-order mark, or NULs in every other byte, say UTF-16 or UTF-32; anything else
            is likely Big5). Or it holds only NUL bytes (and whitespace): no text, as an empty file.
    """
    for magic, what in _NOT_TEXT:
        if data.startswith(magic):
            raise InputError(f"{source} is {what}, not text: give the article as UTF-8 text")
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            raise InputError(
                f"{source} is {encoding} text (it starts with a {encoding} byte-order mark), not UTF-8; "
                f"convert it first, e.g. iconv -f {encoding} -t UTF-8"
            )
    if b"\0" in data and not data.replace(b"\0", b"").strip():
        # A file allocated and never written: it decodes, then clean() finds nothing, at run time.
        raise InputError(f"{source} holds only NUL bytes, no text: give a file that holds an article")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        if order := _utf16_order(data, many=False):
            raise InputError(_utf16_without_bom(source, order)) from None
        raise InputError(
            f"{source} is not UTF-8 text ({exc.reason} at byte {exc.start}); convert it first, "
            "e.g. iconv -f BIG5 -t UTF-8 (Big5 is common for Traditional Chinese)"
        ) from None
    if "\0" in text and (order := _utf16_order(data, many=True)):
        raise InputError(_utf16_without_bom(source, order))
    return universal_newlines(text)


def _utf16_without_bom(source: str, order: str) -> str:
    return (
        f"{source} looks like UTF-16{order} text without a byte-order mark (a NUL byte beside each ASCII "
        f"character), not UTF-8; convert it first, e.g. iconv -f UTF-16{order} -t UTF-8"
    )


def universal_newlines(text: str) -> str:
    """``text`` with CRLF and CR line ends as "\\n", as Python reads a file opened as text."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def printable(text: str) -> str:
    """``text`` a server sent, without what a terminal or an editor would act on rather than show:
    control characters but tab and newline (a CRLF, CR, NEL or Unicode line separator becomes a
    newline), bidirectional overrides, and lone surrogates (which no file can hold)."""
    return _UNPRINTABLE.sub("", _SENT_LINE_BREAK.sub("\n", text))


# A key this long is looked for anywhere in a text; a shorter one only where it stands alone (not
# next to a letter or digit), since replacing it inside words would garble them: a `vllm serve
# --api-key hunter2` echoed in a 401 is still taken out, "hunter22" and "xhunter2" are left.
MIN_KEY_CHARACTERS = 8
# A key shorter than this is no secret (a guess away: a local server takes any "x"), and is left.
MIN_SECRET_CHARACTERS = 4


def key_pattern(key: str) -> re.Pattern[str] | None:
    """Where ``key``, or one of its quoted forms, counts as found in a text (see
    ``MIN_KEY_CHARACTERS``); ``None`` for a key too short to be a secret. One rule for messages,
    log lines and recorded cassettes."""
    if len(key) < MIN_SECRET_CHARACTERS:
        return None
    either = "|".join(re.escape(form) for form in sorted(_quoted(key), key=len, reverse=True))
    if len(key) >= MIN_KEY_CHARACTERS:
        return re.compile(either)
    return re.compile(rf"(?<![0-9A-Za-z])(?:{either})(?![0-9A-Za-z])")


def without_keys(text: str, keys: Iterable[str | None], mark: str = "***") -> str:
    """``text`` with each API key of ``keys`` replaced by ``mark`` (servers echo a refused key in
    full: in bodies, reason phrases and headers); a key under ``MIN_KEY_CHARACTERS`` only where
    it stands alone, one under ``MIN_SECRET_CHARACTERS`` not at all.

    Example::

        >>> without_keys("bad key sk-0123456789", ["sk-0123456789", None])
        'bad key ***'
        >>> without_keys("bad key hunter2, not hunter22", ["hunter2"])
        'bad key ***, not hunter22'
    """
    for key in sorted({k for k in keys if k}, key=len, reverse=True):  # longest first: one may hold another
        pattern = key_pattern(key)
        if pattern is not None:
            text = pattern.sub(lambda _: mark, text)
    return text


def _quoted(key: str) -> set[str]:
    """``key`` and the forms it takes quoted in a message: inside a Python repr (an error body's
    dict, quoted whole: a backslash doubled, a quote escaped) or a JSON string, once or twice over."""
    forms = {key}
    for _ in range(2):
        forms |= {quoted for form in forms for quoted in (repr(form)[1:-1], json.dumps(form)[1:-1])}
    return forms


def shown(name: object) -> str:
    """A file name as it can be printed on one line or used as a title: bytes that are not UTF-8
    (kept by Python as lone surrogates) and what a terminal would act on or break a line at
    (``printable``: ESC, a newline, a bidirectional override) shown as escapes, so that the name
    can still be told apart.

    Example::

        >>> shown("a\\nb\\x1b.txt")
        'a\\\\nb\\\\x1b.txt'
    """
    return "".join(
        c if c not in "\t\n" and printable(c) == c else c.encode("unicode_escape").decode("ascii") for c in display(name)
    )


def display(path: object) -> str:
    """``path`` as text that can always be printed and written: bytes that are not UTF-8 in a
    file name (kept by Python as lone surrogates) shown as ``\\udcXX`` escapes."""
    return str(path).encode("utf-8", "backslashreplace").decode("utf-8")


# What ends a line besides "\n", as str.splitlines reads it: CR and CRLF, vertical tab, form feed,
# the file, group and record separators, NEL, and Unicode's line and paragraph separators (a
# Word or web page copied as text may break its lines with U+2028 alone).
_LINE_BREAK = re.compile("\r\n|[\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")
_TRAILING_SPACE = re.compile(r"[ \t\u3000\xa0]+\n")
_LEADING_SPACE = re.compile(r"\n[ \t]+")
_BLANK_RUNS = re.compile(r"\n{3,}")
_SPACE_RUN = re.compile(r"[ \t\n\f]+")
_WIDE = "\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef\U00020000-\U0002ffff"
# A line break between two Chinese characters in HTML source is wrapping, not a space (CSS Text 3 drops it too).
_WRAPPED_WIDE = re.compile(rf"(?<=[{_WIDE}])[ \t\f]*\n[ \t\n\f]*(?=[{_WIDE}])")

# Cleaning that removes more than this share of an article's text is reported: the input may
# not be the article (a page of scripts), or article text was commented out.
WARN_REMOVED_SHARE = 0.10
# ... unless it is only a few characters (a zero-width space in a headline).
WARN_REMOVED_MIN = 10

log = logging.getLogger("summarize")


@dataclass(frozen=True)
class Cleaned:
    """An article after ``clean``, and what cleaning took out.

    Attributes:
        text: the cleaned article.
        html: the input was read as HTML (it holds real tags, a doctype or a closed comment).
        removed: characters of text removed, not counting markup or whitespace: comments,
            scripts and styles with their content, invisible and control characters.
        kept: characters of text kept, not counting whitespace.
    """

    text: str
    html: bool
    removed: int
    kept: int

    @property
    def removed_share(self) -> float:
        """``removed`` as a share of the text before cleaning (0.0 to 1.0)."""
        total = self.removed + self.kept
        return self.removed / total if total else 0.0

    @property
    def warning(self) -> str | None:
        """Why the cleaning looks destructive, or ``None`` when it does not."""
        if self.removed < WARN_REMOVED_MIN or self.removed_share <= WARN_REMOVED_SHARE:
            return None
        what = "comments, scripts, styles and invisible characters" if self.html else "invisible and control characters"
        return (
            f"cleaning removed {self.removed_share:.0%} of the article's text ({self.removed} characters of "
            f"{what}); check that the input is the article"
        )


def looks_like_html(text: str) -> bool:
    """Whether ``text`` is HTML: it holds a doctype, or a closed comment or tags of real HTML
    elements used as markup.

    A bare ``<`` or ``>`` (``x<y``, ``List<int>``, ``a < b``) is text, not markup; so is a tag
    or a comment an article only mentions, set apart by spaces or punctuation on both sides
    ("段落要用 <p> 標籤包起來", "註解寫成 <!-- 這樣 --> 就不會顯示"). A text that mentions tags is
    HTML only if it also closes an element it opens in markup: read as HTML, a tutorial lost
    the tags it taught and its paragraph breaks.
    """
    if _DOCTYPE.search(text):
        return True
    unclosed = {start for start, _end in _unclosed_skips(text)}
    if any(not _mentioned(text, m.start(), m.end()) for m in _HTML_COMMENT.finditer(text)):
        return True
    tags = sorted(
        [(m.start(), m.end(), m.group(2) is not None, (m.group(1) or m.group(2)).lower())
         for m in _HTML_EVIDENCE.finditer(text) if _is_element(m.group(1) or m.group(2)) and m.start() not in unclosed]
        + [(m.start(), m.end(), False, m.group(1).lower())
           for m in _HTML_TAG.finditer(text) if (m.group(1) or "").lower() in _HTML_VOID]
    )
    markup = [tag for tag in tags if not _mentioned(text, tag[0], tag[1])]
    if not markup or len(markup) == len(tags):
        return bool(markup)
    opened = set()
    for _, _, closing, name in markup:
        if closing and name in opened:
            return True
        opened.add(name)
    return False


def _unclosed_skips(text: str) -> list[tuple[int, int]]:
    """Where ``text`` opens a script, style, noscript or template that nothing closes.

    Such a start tag is text, not markup ("網站若允許使用者輸入<script>標籤"): read as HTML,
    everything after it was the script's content and dropped, often under the share that warns.
    """
    lowered = text.lower()
    found = []
    position = 0
    while match := _SKIP_START.search(text, position):
        close = lowered.find(f"</{match.group(1).lower()}", match.end())
        if close < 0:
            found.append((match.start(), match.end()))
            position = match.end()
        else:
            position = close
    return found


def _mentioned(text: str, start: int, end: int) -> bool:
    """The tag at ``text[start:end]`` stands apart as a word of the text: a space, a quote or
    punctuation on each side, within its line (markup touches its content or a line's edge),
    or inside more angle brackets than a tag has (<<<ARTICLE>>>, a PHP heredoc's label)."""
    before, after = text[start - 1] if start else "\n", text[end] if end < len(text) else "\n"
    return (before == "<" or _apart(before)) and (after == ">" or _apart(after))


def _apart(char: str) -> bool:
    return char != "\n" and (char.isspace() or char == "`" or unicodedata.category(char).startswith("P"))


def _is_element(name: str) -> bool:
    # Custom elements (<my-widget>) and namespaced ones (<o:p>) are markup too.
    return name.lower() in _HTML_ELEMENTS or "-" in name or ":" in name


def visible_length(text: str) -> int:
    """Characters that are not spaces: one measure of length for English and Chinese alike."""
    return sum(1 for char in text if not char.isspace())


class _TextExtractor(HTMLParser):
    """The text of an HTML document: data kept, code and comments dropped, blocks as line breaks."""

    def __init__(self, wrap_lines: bool) -> None:
        super().__init__(convert_charrefs=True)
        self.wrap_lines = wrap_lines  # source line breaks are wrapping (the markup makes the paragraphs)
        self.out: list[str] = []
        self.removed = 0
        self.skip: list[str] = []
        self.pre = 0
        self.breaks = 0  # line breaks owed before the next text
        self.space = False  # a space owed before the next text (between table cells)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        raw = self.get_starttag_text() or ""
        if not (_is_element(tag) and _HTML_TAG.fullmatch(raw)):
            self.handle_data(raw)  # "<int>" or "<y 時，且壓力z>": text that looks like a tag
            return
        if tag in _HTML_SKIP:
            self.skip.append(tag)
        elif tag in _HTML_PRE:
            self.pre += 1
        self._break(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        raw = self.get_starttag_text() or ""
        if not (_is_element(tag) and _HTML_TAG.fullmatch(raw)):
            self.handle_data(raw)
            return
        self._break(tag)

    def handle_endtag(self, tag: str) -> None:
        if not _is_element(tag):
            self.handle_data(f"</{tag}>")
            return
        if self.skip and tag == self.skip[-1]:
            self.skip.pop()
        elif tag in _HTML_PRE and self.pre:
            self.pre -= 1
        self._break(tag)

    def _break(self, tag: str) -> None:
        if self.skip:
            return
        if tag == "br":  # two <br> make a blank line
            self.breaks = min(2, self.breaks + 1)
        elif tag in _HTML_BLOCK:
            self.breaks = max(self.breaks, 2 if tag in _HTML_PARAGRAPH else 1)
        elif tag in _HTML_CELL:
            self.space = True

    def handle_data(self, data: str) -> None:
        if self.skip:
            self.removed += visible_length(data)
            return
        if self.wrap_lines and not self.pre:
            data = _SPACE_RUN.sub(" ", _WRAPPED_WIDE.sub("", data))
            if data == " " and (self.breaks or not self.out):
                return  # the indentation of pretty-printed markup
        if self.out and self.breaks:
            self.out.append("\n" * self.breaks)
        elif self.out and self.space:
            self.out.append(" ")
        self.breaks, self.space = 0, False
        self.out.append(data)

    def handle_comment(self, data: str) -> None:
        self.removed += visible_length(data)

    def close(self) -> None:
        # An unclosed <script> or <style> holds the rest of the document: it is removed, and counted.
        pending = visible_length(self.rawdata) if self.skip else 0
        before = self.removed
        super().close()
        if self.removed == before:
            self.removed += pending


def _strip_html(text: str) -> tuple[str, int]:
    """The text of an HTML document and how many characters of text were dropped."""
    # An unclosed "<!--" would hide the rest of the article: it is shown as text instead.
    position = 0
    while (start := text.find("<!--", position)) >= 0:
        end = text.find("-->", start + 4)
        if end < 0:
            text = text[:start] + text[start:].replace("<!--", "&lt;!--")
            break
        position = end + 3
    # So would an unclosed <script>: it is shown as text too.
    for start, _end in reversed(_unclosed_skips(text)):
        text = f"{text[:start]}&lt;{text[start + 1:]}"
    names = {(m.group(1) or m.group(2)).lower() for m in _HTML_TAG.finditer(text)}
    parser = _TextExtractor(wrap_lines=bool(names & _HTML_BLOCK))
    parser.feed(text)
    parser.close()
    return "".join(parser.out), parser.removed


def clean(text: object) -> str:
    """Validate an article and remove what must not reach the model.

    Input that is HTML (see ``looks_like_html``) is read with a real parser: text is kept,
    scripts, styles and comments go with their content, block elements (``<p>``, ``<br>``,
    ``<div>``, headings, list items) become line breaks and character references are decoded.
    Any other input is text: a bare ``<`` stays, and only references like ``&nbsp;`` are
    decoded. Either way NUL and other control characters and zero-width characters go, and
    line breaks become ``\\n``. The words themselves are untouched.

    A clean-up that removes more than ``WARN_REMOVED_SHARE`` of the text is logged as a
    warning on the ``summarize`` logger; ``clean_report`` returns the counts.

    Raises:
        InputTypeError: ``text`` is not a ``str`` (bytes must be decoded first).
        InputError: ``text`` is empty or whitespace only, before or after clean-up, holds
            no letter at all (digits, punctuation, emoji), or holds a lone surrogate (a broken decode).
    """
    return clean_report(text).text


def parse_json(data: str | bytes) -> Any:
    """``json.loads``, with JSON nested deeper than Python's stack (``[[[[...]]]]`` from a hostile
    server, a damaged file) raised as the ``ValueError`` any malformed JSON raises, not as a
    ``RecursionError`` that every caller's handling of bad JSON missed."""
    try:
        return json.loads(data)
    except RecursionError:
        raise ValueError("JSON nested too deeply to read") from None


def check_text(text: object, named: str) -> str:
    """``text`` (called ``named`` in the message) if it is a ``str``: a bare
    TypeError or AttributeError further in is no SummarizeError, and names no argument.

    Raises:
        InputTypeError: it is bytes (decode them first) or another type.
    """
    if isinstance(text, (bytes, bytearray)):
        raise InputTypeError(f"{named} is bytes; decode it first, e.g. data.decode('utf-8')")
    if isinstance(text, os.PathLike):
        # The text is asked for, not a file: a path would be summarized as its own name.
        raise InputTypeError(
            f"{named} is a path ({type(text).__name__}), not its text; read it first, e.g. path.read_text(encoding='utf-8')"
        )
    if not isinstance(text, str):
        raise InputTypeError(f"{named} must be a str, got {type(text).__name__}")
    return text


def clean_report(text: object) -> Cleaned:
    """``clean`` with what it removed: the cleaned text, whether it was HTML, and the counts.

    Example::

        >>> report = clean_report("<p>臺南</p><!-- ad -->")
        >>> report.text, report.html, report.removed
        ('臺南', True, 2)
    """
    text = check_text(text, "the article")
    for index, char in enumerate(text):
        if "\ud800" <= char <= "\udfff":
            raise InputError(
                f"the article holds a lone surrogate {char!r} at position {index}: it was decoded "
                "wrongly; decode the source as UTF-8 (errors='replace' if it is damaged)"
            )
    if not text.strip():
        raise InputError("the article is empty" if not text else "the article is only whitespace")
    text = _LINE_BREAK.sub("\n", text)
    is_html = looks_like_html(text)
    if is_html:
        text, removed = _strip_html(text)
    else:
        removed = 0
        text = _HTML_ENTITY.sub(lambda m: html.unescape(m.group()), text)
    before = len(text)
    text = _CONTROL.sub("", _INVISIBLE.sub("", text))
    removed += before - len(text)
    text = _TRAILING_SPACE.sub("\n", text)
    if is_html:
        text = _LEADING_SPACE.sub("\n", text)
    text = _BLANK_RUNS.sub("\n\n", text).strip()
    if not text:
        raise InputError("the article holds no text once HTML and control characters are removed")
    if not any(char.isalpha() for char in text):
        # Nothing a model could summarize or translate; it would still cost a request.
        raise InputError("the article holds no words: only digits, punctuation or symbols")
    report = Cleaned(unicodedata.normalize("NFC", text), is_html, removed, visible_length(text))
    if report.warning:
        log.warning("%s", report.warning)
    return report


def as_cleaned(value: str) -> str:
    """A name or phrase written as ``clean`` leaves an article: without zero-width and control
    characters, NFC-normalized. A glossary name pasted from a web page (黃偉哲 with a U+200B
    after it) then matches the article it is for."""
    return unicodedata.normalize("NFC", _CONTROL.sub("", _INVISIBLE.sub("", value)))


# Full-width digits and signs as ASCII (１５００萬, 30％, common in Taiwanese copy). The full-width
# comma stays: in Chinese it separates clauses ("共10，20人" is a list), never thousands.
_FULL_WIDTH = str.maketrans("０１２３４５６７８９％．○", "0123456789%.〇")


def half_width(text: str) -> str:
    """``text`` with full-width digits, percent sign and decimal point written as ASCII ones."""
    return text.translate(_FULL_WIDTH)


# The Chinese characters (``is_han``) as the inside of a regular expression's character class:
# f"[{HAN}]{{2,}}" is a word of two or more.
HAN = "\u4e00-\u9fff\u3400-\u4dbf\U00020000-\U0002ffff"


def is_han(char: str) -> bool:
    return "\u4e00" <= char <= "\u9fff" or "\u3400" <= char <= "\u4dbf" or "\U00020000" <= char <= "\U0002ffff"


_HAN = re.compile(f"[{HAN}]")


def han_count(text: str) -> int:
    """How many Chinese characters (``is_han``) ``text`` holds."""
    return len(_HAN.findall(text))


def han_ratio(text: str) -> float:
    """The share of letters in ``text`` that are Chinese characters (``is_han``; 0.0 for no letters).
    Counted by the regular-expression engine and ``str.isalpha`` in C: the checks read every
    reply and article, a character at a time in Python took a figure check's fifth."""
    rest, han = _HAN.subn("", text)
    letters = han + sum(map(str.isalpha, rest))  # a Han character unassigned in Unicode is no isalpha()
    return han / letters if letters else 0.0


# At least this share of an article's letters are Chinese characters for it to be written in
# Chinese. The corpus's articles hold 78-100% (the Python tutorial's English terms count letter by
# letter); an English article quoting a name in Chinese holds a few percent.
CHINESE_MIN_SHARE = 0.2


# Hiragana: Japanese writes its grammar (particles, verb endings) in it, so a Japanese text of
# any kind holds a good share (a news sentence thick with kanji and katakana loanwords, 政府は１５日、
# 新型コロナウイルス対策本部を開き…, 21% of its letters); Chinese has none of its own and only
# quotes it (《鬼滅の刃》: 3% of its sentence, less of an article). Katakana is not counted: Chinese
# writes foreign brands and names in it (優衣庫（ユニクロ）), and a Japanese text always has
# hiragana besides. (The sound marks ゛゜ are no letters, so not counted either.)
_HIRAGANA = re.compile("[\u3041-\u3096\u309d-\u309f]")
# At least this share of a text's letters are hiragana for it to be Japanese, not Chinese, though
# its kanji make it Chinese characters enough (``in_chinese``).
JAPANESE_MIN_SHARE = 0.1


def hiragana_ratio(text: str) -> float:
    """The share of letters in ``text`` that are Japanese hiragana (0.0 for no letters)."""
    rest, hiragana = _HIRAGANA.subn("", text)
    letters = hiragana + sum(map(str.isalpha, rest))
    return hiragana / letters if letters else 0.0


def in_chinese(text: str) -> bool:
    """Whether ``text`` is written in Chinese: ``CHINESE_MIN_SHARE`` of its letters or more are
    Chinese characters, and it is not Japanese (under ``JAPANESE_MIN_SHARE`` of them hiragana)."""
    return han_ratio(text) >= CHINESE_MIN_SHARE and hiragana_ratio(text) < JAPANESE_MIN_SHARE


def script_shares(text: str) -> str:
    """What ``in_chinese`` found in ``text``, in words for a message: "0% of its letters are Chinese
    characters", or for Japanese "it is Japanese: 40% of its letters are hiragana"."""
    if han_ratio(text) >= CHINESE_MIN_SHARE and (hiragana := hiragana_ratio(text)) >= JAPANESE_MIN_SHARE:
        return f"it is Japanese: {100 * hiragana:.0f}% of its letters are hiragana"
    return f"{100 * han_ratio(text):.0f}% of its letters are Chinese characters"


def mostly_chinese(text: str) -> bool:
    """More than half the letters are Chinese characters: a reply meant to be English is not."""
    return han_ratio(text) > 0.5


# Latin letters: ASCII, the Latin-1 and Latin Extended blocks (é, ñ, ō), Vietnamese's Additional.
_LATIN = re.compile("[A-Za-z\u00c0-\u024f\u1e00-\u1eff]")


def not_english(text: str) -> bool:
    """At most half the letters are Latin: a reply meant to be English is not, whether it is
    Chinese (``mostly_chinese``), Japanese or Korean. A Japanese "English" summary of a
    Japanese article passed with no flag, and a Korean one with no re-ask: only Chinese
    characters were counted. A text without letters is not judged."""
    rest, latin = _LATIN.subn("", text)
    rest, han = _HAN.subn("", rest)
    letters = latin + han + sum(map(str.isalpha, rest))
    return bool(letters) and latin * 2 <= letters


# Hangul syllables and jamo: a Korean text writes its words in them, with few Chinese characters.
_HANGUL = re.compile("[\u1100-\u11ff\u3130-\u318f\uac00-\ud7a3]")


def script_language(text: str) -> str:
    """The language the letters of ``text`` that are not Latin are in, as a re-ask names it:
    "Japanese" (``JAPANESE_MIN_SHARE`` of them hiragana), "Korean" (more Hangul than Chinese
    characters), "Chinese" (Chinese characters at least half of them, or no such letters), else
    "a language other than English". A Japanese reply was told it "came back in Chinese"."""
    rest = _LATIN.sub("", text)
    rest, hiragana = _HIRAGANA.subn("", rest)
    rest, hangul = _HANGUL.subn("", rest)
    rest, han = _HAN.subn("", rest)
    letters = hiragana + hangul + han + sum(map(str.isalpha, rest))
    if not letters:
        return "Chinese"
    if hiragana >= JAPANESE_MIN_SHARE * letters:
        return "Japanese"
    if hangul > han:
        return "Korean"
    return "Chinese" if han * 2 >= letters else "a language other than English"


@functools.lru_cache(maxsize=1)
def _s2tw():
    import opencc

    # s2tw converts characters only; s2twp would also rewrite correct Taiwan terms (參數→引數).
    return opencc.OpenCC("s2tw")


def to_traditional(
    text: str, protected: tuple[str, ...] = (), source: str = "", *, simplified: bool = False
) -> tuple[str, int]:
    """Repair Simplified characters into Taiwan Traditional with OpenCC ``s2tw``.

    Only drift is repaired. A sentence with no Simplified-only character is Traditional and stays
    as written, unless the text is in Simplified as a whole. Elsewhere s2tw's reading is taken,
    except for Traditional-only forms (峯, 裏: no Simplified text writes them), forms Taiwan writes
    for the same word (台南, 宣布) and what ``source`` writes there (its 半斗米). Terms in
    ``protected`` (glossary entries) are left exactly as given.

    Args:
        text: a reply meant to be in Traditional characters.
        protected: terms kept exactly as given.
        source: the article ``text`` was written from; one in Simplified characters is no guide.
        simplified: ``text`` is part of a reply written in Simplified characters, so a sentence of
            it with none of its own is drift too (待在家里 among sentences in Simplified).

    Returns:
        The repaired text and how many characters changed.

    Example:
        >>> to_traditional("台风这里很大")
        ('颱風這裡很大', 4)
    """
    keep = {t for t in protected if t}
    pieces = [text]
    for term in sorted(keep, key=len, reverse=True):
        pieces = [part for piece in pieces for part in ((piece,) if piece in keep else _split_keep(piece, term))]
    guide = _guide(source)
    # A reply in Simplified as a whole: 家里 in a sentence of shared characters is drift too.
    simplified = simplified or in_simplified(text)
    out = []
    changed = 0
    for piece in pieces:
        if piece in keep:
            out.append(piece)
            continue
        converted = _repair(piece, _s2tw().convert(piece), guide, simplified)
        changed += sum(1 for a, b in zip(piece, converted) if a != b) + abs(len(piece) - len(converted))
        out.append(converted)
    return "".join(out), changed


# A text whose Chinese characters are Simplified-only at this share or more is written in
# Simplified characters. The corpus's Traditional articles: 0-0.2% (Cantonese 揾, a stray
# form); the Tainan AI release converted to Simplified: 30%.
SIMPLIFIED_MIN_SHARE = 0.05


def in_simplified(text: str) -> bool:
    """Whether ``text`` is written in Simplified characters: ``SIMPLIFIED_MIN_SHARE`` of its
    Chinese characters or more are Simplified-only (``_simplified_only``), not Traditional with
    a variant form or two, which stay as written. One rule for an article and for a reply; it
    converted the whole text with s2tw to count, a second pass over every article."""
    han = han_count(text)
    return bool(han) and sum(map(_simplified_only, text)) / han >= SIMPLIFIED_MIN_SHARE


# Characters that are correct in Taiwan Traditional text but that s2tw rewrites, alone or by its
# phrase rules (台灣 → 臺灣, 宣布 → 宣佈, 了解 → 瞭解, 周末 → 週末, 里長 → 裡長): found by running s2tw
# over the correct Traditional texts in the test corpus. They are no sign that a sentence drifted.
_TAIWAN_SHARED = frozenset("台布了周里借念伙郁喂晒扎")
# Where s2tw writes the second of a pair for the first, both are the same word in Taiwan
# (台南/臺南, 宣布/宣佈, 了解/瞭解, 周末/週末): the reply's form stays even in a sentence in
# Simplified. The other characters of _TAIWAN_SHARED are other words there, and are drift:
# 台风 → 颱風, 这里 → 這裡, 忧郁 → 憂鬱, 扎实 → 紮實.
_SAME_WORD = frozenset({("台", "臺"), ("布", "佈"), ("了", "瞭"), ("周", "週")})
# Characters that are Traditional in common words but also the Simplified form of another one,
# which s2tw writes unless a phrase rule sees the word in Simplified: 干擾 → 幹擾 (its rule knows
# 干扰), 范先生 → 範先生, 于小姐 → 於小姐, 姓游 → 姓遊, 半斗米 → 半鬥米, 皇后鎮 stays but 后里 in
# 臺中市后里區 is kept only by its rule. Found by running s2tw over common Taiwan words with each
# character OpenCC lists as its own Traditional form too (干擾, 干預, 准許, 岳飛, 托兒所, 長征,
# 公厘, 子丑, 前仆後繼, 熏陶, 涌泉, 咸豐, 花岡岩, 北斗, 涂/余/采 as surnames). Where they are drift
# (之后, 范围, 游客), the sentence holds other Simplified characters: they are converted only there.
_TRADITIONAL_TOO = frozenset("后干范于游余云准岳岩托征采丑仆熏厘涂涌淀咸凶斗")
# A sentence, the context in which drift is judged.
_CONTEXT = re.compile(r"[^。！？!?\n]*[。！？!?\n]*")


@functools.lru_cache(maxsize=1)
def _t2s():
    import opencc

    return opencc.OpenCC("t2s")


@functools.lru_cache(maxsize=4096)
def _simplified_only(char: str) -> bool:
    """``char`` is a Simplified character no Traditional text writes: s2tw changes it, OpenCC's
    t2s keeps it, and it is in neither set above (a variant such as 峯 is no sign: t2s changes it)."""
    return (
        char not in _TAIWAN_SHARED
        and char not in _TRADITIONAL_TOO
        and _s2tw().convert(char) != char
        and _t2s().convert(char) == char
    )


@functools.lru_cache(maxsize=4096)
def _traditional_only(char: str) -> bool:
    """``char`` is a Traditional form no Simplified text writes (峯, 裏, 纔): t2s changes it."""
    return _t2s().convert(char) != char


@functools.lru_cache(maxsize=8)
def _guide(source: str) -> str:
    """``source`` as the guide to what a reply copied from it, or "" when it is written in
    Simplified characters: copying those is the drift to repair."""
    return "" if not source or in_simplified(source) else source


# The words around a character that must be the guide's too for it to stay as the reply writes
# it. Two would be too few: 七甲里的 would keep the 里 of 这里的 (s2tw writes 裡 for both).
_WINDOW = 3


def _repair(source: str, converted: str, guide: str, simplified: bool) -> str:
    """``converted`` (s2tw's reading of ``source``) only where ``source`` drifted.

    A sentence with no Simplified-only character comes back as written, unless the whole is
    ``simplified``. In a drifted one, those of ``_TRADITIONAL_TOO`` are as s2tw writes them when
    it reads the whole sentence in Simplified (so its phrase rules see 干扰 and 皇后); the
    ``_SAME_WORD`` forms, Traditional-only forms and what ``guide`` writes there stay as written
    (a model copies 李明峯 and 半斗米 from a Traditional article).
    """
    if len(source) != len(converted):
        return converted
    out = []
    for match in _CONTEXT.finditer(source):
        said, written = match.group(), converted[match.start() : match.end()]
        if not simplified and not any(_simplified_only(char) for char in said):
            out.append(said)
            continue
        whole = _s2tw().convert(_t2s().convert(said))
        if len(whole) == len(said):
            written = "".join(w if a in _TRADITIONAL_TOO else b for a, b, w in zip(said, written, whole))
        out.append("".join(
            a if a == b or (a, b) in _SAME_WORD or _traditional_only(a) or _guide_writes(said, written, i, guide) else b
            for i, (a, b) in enumerate(zip(said, written))
        ))
    return "".join(out)


def _guide_writes(said: str, written: str, i: int, guide: str) -> bool:
    """Whether ``guide`` writes ``said[i]`` among the same neighbours, as the reply wrote them
    or as s2tw reads them (半斗米 in 早年糴不到半斗米的經歷)."""
    if not guide:
        return False
    for start in range(max(0, i - _WINDOW + 1), min(i, len(said) - _WINDOW) + 1):
        end = start + _WINDOW
        for line in (said, written):
            if line[start:i] + said[i] + line[i + 1 : end] in guide:
                return True
    return False


def _split_keep(text: str, term: str) -> list[str]:
    parts = text.split(term)
    result: list[str] = []
    for i, part in enumerate(parts):
        if i:
            result.append(term)
        if part:
            result.append(part)
    return result
