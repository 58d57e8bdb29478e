"""Sentences → balanced, token-bounded chunks, for Traditional Chinese first.

Rules:
- A sentence ends at 。！？；… (and ! ? ; or ". " in English) with any closing quotes or
  brackets after it, or at a line break.
- Never inside 「」 or 『』: a quote ends its sentence only where it closes after an ender.
  A line break always ends a sentence (an unclosed quote does not swallow the article).
- Chunks hold whole sentences, in article order, and every character lands in exactly one chunk.
- Chunks are balanced: the fewest chunks the budget allows, with the largest made as small as
  possible (1,530 tokens at a 500 budget gives four chunks of about 383, not 500+500+500+30).
- A sentence longer than the budget is split at ，、： (and , : but inside 3,200, 12:30 or
  https://), then at spaces, then hard; never dropped.
  Hard cuts are balanced too, and each is searched in a window bounded by the piece, so
  planning stays linear in the text however long it runs without punctuation.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

ENDERS = frozenset("。！？；…!?;")
CLOSERS = frozenset("」』”’）)】》〕\"'")
OPENERS = {"「": "」", "『": "』"}
SOFT_BREAKS = frozenset("，、：,:")

Counter = Callable[[str], int]


@dataclass(frozen=True)
class Chunk:
    """One request's share of the article."""

    index: int
    text: str
    tokens: int


def split_sentences(text: str) -> list[str]:
    """Split ``text`` into sentences; ``"".join(result) == text``."""
    return list(_iter_sentences(text))


def _iter_sentences(text: str) -> Iterator[str]:
    start = 0
    depth = 0
    n = len(text)
    i = 0
    while i < n:
        char = text[i]
        end = None
        if char == "\n":
            end = i + 1
            while end < n and text[end] == "\n":
                end += 1
        elif char in OPENERS:
            depth += 1
        elif char in "」』" and depth:
            depth -= 1
            if depth == 0 and _ender_before(text, start, i):
                end = _after_closers(text, i + 1)
        elif depth == 0 and (char in ENDERS or (char == "." and (i + 1 == n or text[i + 1] in " \n"))):
            end = i + 1
            while end < n and (text[end] in ENDERS or text[end] == "."):
                end += 1
            end = _after_closers(text, end)
        if end is not None:
            yield text[start:end]
            start = i = end
            if text[end - 1] == "\n":
                depth = 0
            continue
        i += 1
    if start < n:
        yield text[start:]


def _ender_before(text: str, start: int, i: int) -> bool:
    j = i - 1
    while j >= start and text[j] in CLOSERS:
        j -= 1
    return j >= start and text[j] in ENDERS


def _after_closers(text: str, end: int) -> int:
    n = len(text)
    while end < n and text[end] in CLOSERS and text[end] not in "\"'":
        end += 1
    while end < n and text[end] in " \t\u3000\n":
        end += 1
    return end


def split_long(sentence: str, budget: int, count: Counter) -> list[str]:
    """Split one over-long sentence into pieces of at most ``budget`` tokens, keeping every character."""
    if count(sentence) <= budget:
        return [sentence]
    clauses = _split_after(sentence, SOFT_BREAKS) if any(c in SOFT_BREAKS for c in sentence) else None
    if clauses is None or len(clauses) == 1:
        clauses = _split_after(sentence, frozenset(" ")) if " " in sentence.strip() else None
    if clauses is None or len(clauses) == 1:
        return _hard_split(sentence, budget, count)
    pieces: list[str] = []
    for clause in clauses:
        pieces.extend(split_long(clause, budget, count))
    sizes = [count(p) for p in pieces]
    return [text for text, _ in _within(pack(pieces, sizes, budget), budget, count)]


def _within(groups: list[list[str]], budget: int, count: Counter) -> list[tuple[str, int]]:
    """Each group joined, with its tokens, a group whose joined text counts over ``budget`` cut
    again where the count of the joined text says: pieces joined can count more than their sum
    ("W3C " and "全球…" counted 9 and 23 alone, 33 together, at a 32-token budget)."""
    joined = []
    for group in groups:
        text = "".join(group)
        tokens = count(text)
        if tokens <= budget or len(group) == 1:
            joined.append((text, tokens))
            continue
        current: list[str] = []
        held = 0  # the tokens of "".join(current), as counted
        for piece in group:
            tokens = count("".join(current) + piece)
            if current and tokens > budget:
                joined.append(("".join(current), held))
                current, tokens = [], count(piece)
            current.append(piece)
            held = tokens
        joined.append(("".join(current), held))
    return joined


def _inside_a_word(text: str, i: int) -> bool:
    """Whether the ASCII ``,`` or ``:`` at ``i`` is inside a figure, a time or a web address
    (3,200, 12:30, https://): between an ASCII letter or digit and a letter, digit or slash.
    Cut there, each piece was translated alone and the pieces rejoined with a space ("https:
    //www...", "3, 200")."""
    return (
        text[i] in ",:" and 0 < i < len(text) - 1
        and text[i - 1].isascii() and text[i - 1].isalnum()
        and text[i + 1].isascii() and (text[i + 1].isalnum() or text[i + 1] == "/")
    )


def _split_after(text: str, breaks: frozenset[str]) -> list[str]:
    parts, start = [], 0
    for i, char in enumerate(text):
        if char in breaks and not _inside_a_word(text, i):
            parts.append(text[start : i + 1])
            start = i + 1
    if start < len(text):
        parts.append(text[start:])
    return parts


def _hard_split(text: str, budget: int, count: Counter) -> list[str]:
    # Balanced like chunks: 1,530 tokens at a 500 budget are cut near 383, not 500+500+500+30.
    total = count(text)
    target = -(-total // -(-total // budget)) if total > budget else budget
    pieces = []
    start = 0
    while start < len(text):
        end = start + max(1, longest_within(text, target, count, start=start))
        pieces.append(text[start:end])
        start = end
    return pieces


def longest_within(text: str, budget: int, count: Counter, *, start: int = 0, from_end: bool = False) -> int:
    """How many characters of ``text[start:]``, from its start (or its end), fit in ``budget`` tokens.

    The work is proportional to the answer, not to the text: a window starting at ``budget``
    characters doubles until it no longer fits, and the cut is searched inside it. Searching
    the whole remaining text for every piece made unpunctuated text quadratic (1M characters
    took 84 s to plan).
    """
    end = len(text)
    size = end - start

    def fits(length: int) -> bool:
        return count(text[end - length : end] if from_end else text[start : start + length]) <= budget

    fit, window = 0, max(1, budget)
    while True:
        window = min(window, size)
        if not fits(window):
            break
        fit = window
        if window == size:
            return size
        window *= 2
    lo, hi = fit, window - 1  # fit fits, window does not
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if fits(mid):
            lo = mid
        else:
            hi = mid - 1
    return lo


def _greedy(sizes: list[int], limit: int) -> list[int]:
    """Start indexes of greedy groups with sums at most ``limit``."""
    starts, total = [0], 0
    for i, size in enumerate(sizes):
        if total + size > limit and total > 0:
            starts.append(i)
            total = 0
        total += size
    return starts


def pack(items: list[str], sizes: list[int], budget: int) -> list[list[str]]:
    if not items:
        return []
    fewest = len(_greedy(sizes, budget))
    # The smallest limit that still needs no more than the fewest chunks: balanced chunks.
    lo, hi = max(max(sizes), -(-sum(sizes) // fewest)), budget
    while lo < hi:
        mid = (lo + hi) // 2
        if len(_greedy(sizes, mid)) <= fewest:
            hi = mid
        else:
            lo = mid + 1
    starts = _greedy(sizes, lo) + [len(items)]
    return [items[a:b] for a, b in zip(starts, starts[1:])]


def plan_chunks(text: str, budget: int, count: Counter) -> list[Chunk]:
    """Cut ``text`` into balanced chunks of whole sentences, each at most ``budget`` tokens.

    Tokens are counted per sentence (never the whole article as one list), so memory stays
    flat on long input. ``"".join(c.text for c in chunks) == text``.
    """
    if budget < 1:
        raise ValueError(f"the chunk budget must be at least 1 token, got {budget}")
    pieces: list[str] = []
    sizes: list[int] = []
    for sentence in _iter_sentences(text):
        tokens = count(sentence)
        if tokens <= budget:  # most sentences: counted once
            pieces.append(sentence)
            sizes.append(tokens)
            continue
        for piece in split_long(sentence, budget, count):
            pieces.append(piece)
            sizes.append(count(piece))
    limit = budget
    while True:
        groups = pack(pieces, sizes, limit)
        # Tokens of joined sentences can differ slightly from the sum of their parts.
        joined = [("".join(g), count("".join(g))) for g in groups]
        excess = max((tokens - budget for _, tokens in joined), default=0)
        if excess > 0 and limit <= max(sizes):
            # No lower limit is left to pack with: the chunks still over are cut where they count over.
            joined = _within(groups, budget, count)
        if excess <= 0 or limit <= max(sizes):
            return [Chunk(i, text, tokens) for i, (text, tokens) in enumerate(joined)]
        limit = max(max(sizes), limit - excess)
