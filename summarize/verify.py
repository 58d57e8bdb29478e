"""Checks on an output: the one home for what is judged in a model's reply after it arrives.

::

    strip_loops(reply)          a repetition loop cut to one occurrence (any reply, cut or not)

Every check is a pure function of text: no request, no settings, so summaries, translations
and batch imports all use the same ones.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .text import is_han

# -- repetition loops ------------------------------------------------------------------------

# A small model that loops repeats a sentence, a line or a few words until the token limit.
# A loop is what no writer does: the same stretch back to back at least LOOP_REPEATS times, or
# the same sentence LOOP_REPEATS times anywhere in one reply. Short stretches must also cover
# LOOP_MIN_SPAN characters of repeats, so "ha ha ha" or "very, very, very" stay text.
LOOP_REPEATS = 3
LOOP_MIN_SPAN = 24
# A repeated sentence (or cycle) counts only when it holds this many letters: "Yes." and "是。"
# may recur in dialogue.
LOOP_SENTENCE_LETTERS = 8
# The longest cycle of sentences looked for ("A. B. C. A. B. C. A. B. C.").
LOOP_CYCLE = 4
# Only the end of a long reply is searched for a back-to-back run: that is where a loop runs
# to the token limit, and it bounds the work.
LOOP_TAIL_CHARS = 6000

# Sentence ends: Chinese terminators, line breaks, and . ! ? before a space (not "3.5" or "U.S.").
_SENTENCE_END = re.compile(r"[。！？!?；;]+[」』”’\")]*\s*|\n+|(?<=[a-z0-9\)\"”’])[.](?=\s)\s*")
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class LoopCheck:
    """The outcome of ``strip_loops``.

    Attributes:
        text: the reply with each loop cut to its first occurrence (unchanged when none).
        looped: a loop was found and cut.
    """

    text: str
    looped: bool


def strip_loops(text: str) -> LoopCheck:
    """Cut repetition loops out of a model reply.

    Two shapes are found: a stretch repeated back to back at the end of the reply (a sentence,
    a line or a few words, often ending in a partial copy where the token limit cut it), and a
    sentence that recurs ``LOOP_REPEATS`` times anywhere. The first occurrence is kept, later
    ones and a trailing partial copy are dropped. Lists with a shared prefix, tables, and a
    name or a short answer that recurs are text, not loops.

    Example::

        >>> strip_loops("The city will grow. " * 20).text
        'The city will grow.'
    """
    cut = _cut_tail_run(text)
    cut = _drop_repeated_sentences(cut)
    if cut == text:
        return LoopCheck(text, False)
    return LoopCheck(cut.rstrip(), True)


def _letters(text: str) -> int:
    return sum(1 for c in text if c.isalpha() or is_han(c))


def _z_array(s: str) -> list[int]:
    """``z[i]``: the length of the longest common prefix of ``s`` and ``s[i:]`` (linear time)."""
    n = len(s)
    z = [0] * n
    left = right = 0
    for i in range(1, n):
        if i < right:
            z[i] = min(right - i, z[i - left])
        while i + z[i] < n and s[z[i]] == s[i + z[i]]:
            z[i] += 1
        if i + z[i] > right:
            left, right = i, i + z[i]
    return z


def _cut_tail_run(text: str) -> str:
    """``text`` with a back-to-back run at its end cut to one copy of the repeated stretch."""
    tail = text[-LOOP_TAIL_CHARS:]
    offset = len(text) - len(tail)
    n = len(tail)
    if n < LOOP_MIN_SPAN:
        return text
    # On the reversed tail, z[p] is how far the end of the text keeps period p: the run of a
    # stretch of length p repeated back to back covers its last z[p] + p characters.
    z = _z_array(tail[::-1])
    best: tuple[int, int] | None = None  # (characters covered, period)
    for period in range(1, n // LOOP_REPEATS + 1):
        repeated = z[period]
        if repeated < (LOOP_REPEATS - 1) * period or repeated < LOOP_MIN_SPAN:
            continue
        unit = tail[n - period :]
        if _letters(unit) < min(2, period):  # "-----", "| --- | --- |", "……": layout, not a loop
            continue
        covered = repeated + period
        if best is None or covered > best[0]:
            best = (covered, period)
    if best is None:
        return text
    covered, period = best
    start = offset + n - covered
    return text[: _copy_end(text, start, period)]


_TERMINATORS = "。！？!?；;.\n"


def _copy_end(text: str, start: int, period: int) -> int:
    """Where to cut a run that starts at ``start``: after one whole copy, moved to a natural end.

    The run's first copy may begin mid-sentence (". The city will grow" when the text before
    it ends in a full stop too), so the cut moves forward to the next sentence end within one
    more copy, else back to the last space inside the copy, else stays.
    """
    end = start + period
    for cut in range(end, min(len(text), end + period) + 1):
        before = text[cut - 1]
        if before in _TERMINATORS and (before != "." or cut == len(text) or text[cut].isspace()):
            return cut
    for cut in range(end, start, -1):
        if text[cut - 1].isspace():
            return cut - 1
    return end


def _drop_repeated_sentences(text: str) -> str:
    """``text`` with each run of sentences repeated back to back (one sentence, or a cycle of up
    to ``LOOP_CYCLE`` sentences, ``LOOP_REPEATS`` times or more) cut to its first copy, and
    without a trailing fragment that only begins the run again.

    Only back-to-back runs count: a heading that recurs before every section ("Developers:
    what you need to do", 17 times in the public-code standard) is structure, not a loop.
    """
    pieces: list[str] = []
    position = 0
    for match in _SENTENCE_END.finditer(text):
        if match.end() > position:
            pieces.append(text[position : match.end()])
            position = match.end()
    if position < len(text):
        pieces.append(text[position:])
    keys = [_key(p) for p in pieces]
    kept: list[str] = []
    i = 0
    looped = False
    while i < len(pieces):
        run = _sentence_run(keys, i)
        if run is None:
            kept.append(pieces[i])
            i += 1
            continue
        cycle, copies = run
        looped = True
        kept.extend(pieces[i : i + cycle])
        i += cycle * copies
        # The token limit cuts a loop mid-copy: drop what only starts the cycle over.
        rest = keys[i : i + cycle]
        if rest and i + len(rest) == len(keys) and _starts_over(rest, keys[i - cycle : i]):
            i = len(pieces)
    return "".join(kept) if looped else text


def _sentence_run(keys: list[str], start: int) -> tuple[int, int] | None:
    """(cycle length, copies) of the shortest cycle of sentences repeated from ``start``, if any."""
    for cycle in range(1, LOOP_CYCLE + 1):
        block = keys[start : start + cycle]
        if len(block) < cycle or _letters("".join(block)) < LOOP_SENTENCE_LETTERS:
            continue
        copies = 1
        while keys[start + copies * cycle : start + (copies + 1) * cycle] == block:
            copies += 1
        if copies >= LOOP_REPEATS:
            return cycle, copies
    return None


def _starts_over(rest: list[str], block: list[str]) -> bool:
    """``rest`` is the start of another copy of ``block``, its last sentence possibly cut."""
    *whole, last = rest
    return whole == block[: len(whole)] and block[len(whole)].startswith(last)


def _key(sentence: str) -> str:
    return _SPACES.sub(" ", sentence).strip().rstrip("。！？!?；;.")
