"""Sentences of a model's reply, and the repetition loops among them: the one home for where
a sentence ends and for what counts as a loop.

::

    strip_loops(reply)          a repetition loop cut to one occurrence (any reply, cut or not)
    sentences(text)             (start, end) of each sentence, in English or Chinese
    whole_sentences(text)       ``text`` up to the end of its last whole sentence
    words_of(text)              the words a loop and a near-copy are compared by
    without_sentences(text, s)  ``text`` without some of its sentences, its breaks kept

Pure functions of text: the summary pipeline, translation and the output checks
(``summarize.verify``) all judge a reply by the same ones.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass

from .figures import COUNT_WORDS, LIST_NUMBER
from .negation import EN_NEGATING_WORDS
from .text import is_han

# A small model that loops repeats a sentence, a line or a few words until the token limit.
# A loop is what no writer does: the same stretch back to back at least LOOP_REPEATS times, or
# the same sentence LOOP_REPEATS times anywhere in one reply. Short stretches must also cover
# LOOP_MIN_SPAN characters of repeats, so "ha ha ha" or "very, very, very" stay text.
LOOP_REPEATS = 3
LOOP_MIN_SPAN = 24
# A repeated sentence (or cycle) counts only when it holds this many letters: "Yes." and "是。"
# may recur in dialogue.
LOOP_SENTENCE_LETTERS = 8
# A stretch of sentences this long (in letters) said twice back to back is a loop already, and
# so is one sentence this long said again word for word anywhere later: on the reference server
# a tainan-disaster summary said "The city has also organized several disaster drills and
# exercises, including ..." (123 letters) again, one sentence after its first time. None of the
# corpus articles, nor any of their paragraphs, says a sentence this long twice.
LOOP_LONG_STRETCH = 80
# The longest cycle of sentences looked for ("A. B. C. A. B. C. A. B. C.").
LOOP_CYCLE = 4
# A long stretch said again back to back with at most this many words left out or put in (no
# word changed, no figure and no negation among them) is a repeat too: on the reference server
# a tainan-1624 summary ended "The exhibition will also feature a collection of important
# historical documents, including ..." and then the same sentence without "important".
LOOP_NEAR_WORDS = 2
_NEGATIONS = frozenset((*EN_NEGATING_WORDS, *"不 未 沒 無 非 別 勿 唔 冇".split()))  # 唔, 冇: Cantonese
# Said again, a sentence may swap a pronoun for the noun it stands for, or back ("It also
# mentions ..." then "The article also mentions ...", Qwen 1.5B on the Cantonese talk): the swap,
# up to this many words for the pronoun, says nothing new.
_PRONOUNS = frozenset("it its they them their this these that those he him his she her we our".split())
LOOP_PRONOUN_PHRASE = 3
# A long sentence said LOOP_REPEATS times back to back with one word changed each time is a loop
# too, the model filling one slot of a template: Qwen 0.5B on the seed article wrote "The article
# also mentions the competition's success, with the Qwen3 model being the first AI model to be
# published." and then the same with "challenges" and with "future". Twice is parallel writing
# ("feature" then "display" stays); three times, the same 80 letters around one word, is not.
# Nor is twice when the stretch is as long as a passage (LOOP_PASSAGE_LETTERS): Qwen 1.5B's
# abstractive summary of the disaster release said a 182-letter sentence about "disaster
# recovery funds" again at once about "disaster recovery projects", the rest word for word.
LOOP_TEMPLATE_SWAPS = 1
# A changed word is an English word or up to this many Chinese characters (a Chinese word is two,
# ``prompts.CHARACTERS_PER_WORD``): "提升" for "強化" is one word changed, not two put in and two
# left out. A figure, a numeral (第一季, 第二季) or a negation is never a changed word.
LOOP_SWAP_HAN = 2
_HAN_NUMERALS = frozenset("零〇一二兩两三四五六七八九十百千萬万億亿廿卅第")
# A small model may change one word each time it says a clause again, cycling through synonyms:
# "市府將持續提升防災能力，並強化防災能力，並加強防災能力，並提升防災能力，並強化防災能力" (Qwen2.5
# 0.5B and 1.5B), "improve its resilience, strengthen its resilience, enhance its resilience, and
# improve its resilience". Such a run of clauses (or of a cycle of up to LOOP_CYCLE clauses),
# each the same as the first but for one changed word in one place, is a loop when it says the
# clause this many times back to back, the words outside the changed one hold
# LOOP_SENTENCE_LETTERS letters, and the changed word comes back to one it held before. A writer
# lists 提升、強化、加強 once, or writes one template for four districts or four offences, each
# word new; "press the button, release the button, press the button" comes back once, in three.
LOOP_SWAP_COPIES = LOOP_REPEATS + 1
# A passage of this many sentences or more, holding this many letters, said again anywhere
# later in the reply, word for word and in order, is a loop too: a small model that runs out
# of things to say starts a long stretch of its reply over (seen on the reference server: a
# seed summary said its middle eight sentences again after a new one, and a story summary its
# ten sentences twice). No writer repeats three sentences verbatim; a heading that recurs is one
# sentence, and a slogan quoted twice is two.
LOOP_PASSAGE_SENTENCES = 3
LOOP_PASSAGE_LETTERS = 160
# Only the end of a long reply is searched for a back-to-back run: that is where a loop runs
# to the token limit, and it bounds the work.
LOOP_TAIL_CHARS = 6000
# Every length above in letters counts a Chinese character as this many: it says about what two
# English letters do (a word is two characters, ``prompts.CHARACTERS_PER_WORD``, and five letters
# or more). Counted as one, a zh-Hant summary's loops were too short to count where their English
# was cut: "市府將於第2季推動觀光發展計畫。" said seven times counting on, and a 56-character sentence
# said twice back to back.
HAN_LETTERS = 2

# Sentence ends: Chinese terminators, line breaks, and . ! ? before a space (not "3.5" or "U.S.").
# An English period ends one after a lower-case letter, a digit or a closing mark, or after an
# acronym when a capital follows ("from 5 PM to 11 PM. The boats ..."), never in "U.S.".
# A title or a Latin abbreviation before its period ends nothing: "Mr. Chen", "Mt. Ali", "i.e. the".
_ABBREVIATIONS = ("Mr", "Mrs", "Ms", "Dr", "Prof", "St", "Mt", "Ft", "Gov", "Gen", "Sen", "Rep", "Lt", "Col",
                  "Capt", "Rev", "Jr", "Sr", "No", "Nos", "vs", "approx", "i.e", "e.g", "cf", "Fig", "Vol")
_NOT_AFTER = "".join(rf"(?<!\b{re.escape(a)})" for a in _ABBREVIATIONS)
_SENTENCE_END = re.compile(
    r"[。！？!?；;]+[」』”’\")]*\s*|\n+|"
    rf"(?<=[a-z0-9\)\"”’]){_NOT_AFTER}[.](?=\s)\s*|(?<=[A-Z]{{2}})[.](?=\s+[A-Z])\s*"
)
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

    Five shapes are found: a stretch repeated back to back at the end of the reply (a sentence,
    a line or a few words, often ending in a partial copy where the token limit cut it); a
    sentence, or a cycle of a few, repeated back to back (a long one also with a word or two
    left out or put in, or a pronoun for its noun; three times, or twice at a passage's length,
    with one word changed; three times counting on, "R1", "R2", "R3"); a clause, or a cycle of
    a few, said again and again with one word swapped each time, back to a word already used
    ("提升防災能力，並強化防災能力，並加強防災能力，並提升防災能力"); a passage of several
    sentences, or one long sentence, said again later, word for word; and one item named
    three times in a list.
    The first occurrence is kept, later ones and a trailing partial copy are dropped. Lists
    with a shared prefix, tables, a name or a short answer that recurs, and parallel sentences
    that differ in a name or a figure, and a template whose changed word is new each time
    (four districts, four offences) are text, not loops.

    Example::

        >>> strip_loops("The city will grow. " * 20).text
        'The city will grow.'
    """
    # What one cut keeps can loop again with what follows ("市府將持續提升防災能力，並強化防災能力，
    # ..." twice, then "市府將持續提升防災能力。"): cut until nothing changes, so no result holds a loop.
    cut, before = text, None
    while cut != before:
        before = cut
        cut = _cut_tail_run(cut)
        cut = _drop_repeated_sentences(cut)
        cut = _drop_repeated_passages(cut)
        cut = _drop_repeated_items(cut)
        cut = _drop_swapped_repeats(cut)
    if cut == text:
        return LoopCheck(text, False)
    return LoopCheck(without_list_marker(cut.rstrip()), True)


# A list item's number or letter alone on the last line: what is left of a list cut there
# ("8." after a loop through items 5 to 7, whose repeats went; or the token limit).
_LIST_MARKER = re.compile(r"(?:^|\n)[ \t>]*(?:\d{1,3}|[A-Za-z])[.)]$")


def without_list_marker(text: str) -> str:
    """``text`` without a bare list marker on its last line: a 0.5B summary's loop through
    items 5 to 7 was cut and left "8.", which the figure check took for an unsupported 8."""
    marker = _LIST_MARKER.search(text)
    return text[: marker.start()].rstrip() if marker and marker.end() == len(text) else text


# A sentence end at the very end of a text, where no space follows it ("... in the U.S.").
_FINAL_END = re.compile(r"[。！？!?；;.][」』”’\")]*$")


def whole_sentences(text: str) -> str:
    """``text`` up to the end of its last whole sentence (a cut reply's unfinished one
    dropped), with sentence ends as ``sentences`` finds them; the number of a list item cut
    after it ("5.") ends nothing. ``text`` itself when no sentence of it is whole."""
    stripped = text.rstrip()
    ends = [match.end() for match in _SENTENCE_END.finditer(stripped)]
    if _FINAL_END.search(stripped):
        ends.append(len(stripped))
    kept = without_list_marker(stripped[: ends[-1]].strip()) if ends else ""
    return kept or text


def ends_a_sentence(text: str) -> bool:
    """Whether ``text`` ends at a sentence end (what ``whole_sentences`` keeps always does, but
    for a text with no whole sentence, which it gives back as it is)."""
    return bool(_FINAL_END.search(text.rstrip()))


def _letters(text: str) -> int:
    """The letters of ``text``, a Chinese character as ``HAN_LETTERS`` of them."""
    return sum(HAN_LETTERS if is_han(c) else 1 for c in text if c.isalpha() or is_han(c))


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
        # "-----", "| --- | --- |", "……" are layout, not a loop; "113, 113, 113, …" (the 0.5B
        # model on the disaster release, to its token limit) is one.
        if _letters(unit) + sum(c.isdigit() for c in unit) < min(2, period):
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
    whole = end
    while whole > start and text[whole - 1].isspace():
        whole -= 1  # a copy that ends in "year. ": its sentence end is just before the space
    if whole > start and text[whole - 1] in _TERMINATORS:
        return whole
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
    pieces = [text[start:end] for start, end in sentences(text)]
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
        letters = _letters("".join(block))
        if len(block) < cycle or letters < LOOP_SENTENCE_LETTERS:
            continue

        def copy(n: int) -> list[str]:
            return keys[start + n * cycle : start + (n + 1) * cycle]

        copies = 1
        while copy(copies) == block:
            copies += 1
        long = letters >= LOOP_LONG_STRETCH
        while long and _near_copy(block, copy(copies)):
            copies += 1
        # Twice is enough for a long stretch: no writer repeats 80 letters word for word back to
        # back (seen on the reference server: two sentences of a summary, said twice over).
        if copies >= LOOP_REPEATS or (copies >= 2 and long):
            return cycle, copies
        while long and _near_copy(block, copy(copies), swaps=LOOP_TEMPLATE_SWAPS):
            copies += 1
        if copies >= LOOP_REPEATS or (copies >= 2 and letters >= LOOP_PASSAGE_LETTERS):
            return cycle, copies
    counted = _counting_run(keys, start)
    return (1, counted) if counted >= LOOP_REPEATS else None


_COUNTER = re.compile(r"^(\D*)(\d{1,4})$")


def _counting_run(keys: list[str], start: int) -> int:
    """How many sentences from ``start`` on say the same words back to back but for one
    number that goes up by one each time: a model counting on ("the upcoming release of
    DeepSeek-R1", "... DeepSeek-R2", ... "DeepSeek-R7", Qwen 1.5B's abstractive summary of the
    seed article, run 17). Only a sentence with ``LOOP_MIN_SPAN`` letters besides the number
    counts: short list lines ("Step 1.", "第1步。") stay text."""
    if _letters(keys[start]) < LOOP_MIN_SPAN:
        return 1
    run, slot, previous = 1, -1, words_of(keys[start], cased=True)
    for key in keys[start + 1 :]:
        words = words_of(key, cased=True)
        differ = [i for i, (a, b) in enumerate(zip(previous, words)) if a != b] if len(words) == len(previous) else []
        if len(differ) != 1 or (slot >= 0 and differ[0] != slot):
            break
        slot = differ[0]
        before, after = _COUNTER.match(previous[slot]), _COUNTER.match(words[slot])
        if not (before and after and before[1] == after[1] and int(after[2]) == int(before[2]) + 1):
            break
        run, previous = run + 1, words
    return run


def words_of(text: str, cased: bool = False) -> list[str]:
    """``text`` as near copies and echoes are compared: its words, lowercased unless ``cased``,
    each Chinese character one."""
    words: list[str] = []
    for word in re.findall(r"\w+", text):
        words.extend(word if any(is_han(c) for c in word) else [word if cased else word.lower()])
    return words


def _near_copy(block: list[str], other: list[str], swaps: int = 0) -> bool:
    """``other`` says ``block`` again with up to ``LOOP_NEAR_WORDS`` words left out or put in,
    pronouns swapped for their nouns (or back), and at most ``swaps`` words changed one for one
    (a lower-case English word, or a Chinese word of up to ``LOOP_SWAP_HAN`` characters); none of
    the words left out, put in or changed a figure, a numeral or a negation, and no name
    changed: those say something else."""
    if len(other) != len(block):
        return False
    cased_a, cased_b = words_of(" ".join(block), cased=True), words_of(" ".join(other), cased=True)
    a, b = [w.lower() for w in cased_a], [w.lower() for w in cased_b]
    added: list[str] = []
    changed: list[list[str]] = []  # each changed word, with the word it changed to
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        old, new = a[i1:i2], b[j1:j2]
        if op == "equal" or (op == "replace" and _coreference(old, new)):
            continue
        if op == "replace":
            if not (_is_slot(cased_a[i1:i2]) and _is_slot(cased_b[j1:j2])):
                return False  # a name, a count or a phrase changed ("the Anping district", "the second grade")
            changed.append(old + new)
        else:
            added += old + new
    return len(added) <= LOOP_NEAR_WORDS and len(changed) <= swaps and not _alters_meaning(added + [w for c in changed for w in c])


def _is_slot(words: tuple[str, ...] | list[str]) -> bool:
    """``words`` (as ``words_of`` gives them, cased) are at most one word a copy may change:
    nothing, a lower-case English word (not a name), or up to ``LOOP_SWAP_HAN`` Chinese
    characters; never a figure, a numeral, a count or a negation."""
    if not words:
        return True
    if len(words) > LOOP_SWAP_HAN or _alters_meaning(list(words)) or any(w in COUNT_WORDS for w in words):
        return False
    if all(len(w) == 1 and is_han(w) for w in words):
        return not any(w in _HAN_NUMERALS for w in words)
    return len(words) == 1 and words[0].isalpha() and words[0].islower()


def _alters_meaning(words: list[str]) -> bool:
    """Some of ``words`` is a figure or a negation: said again with it put in, left out or
    changed, a sentence says something else."""
    return any(w in _NEGATIONS or any(c.isdigit() for c in w) for w in words)


def _coreference(old: list[str], new: list[str]) -> bool:
    """One side is a lone pronoun and the other a short phrase without a figure or a negation:
    the noun the pronoun stands for ("it" and "the article")."""
    pronoun, phrase = (old, new) if len(old) == 1 and old[0] in _PRONOUNS else (new, old)
    return (
        len(pronoun) == 1
        and pronoun[0] in _PRONOUNS
        and 0 < len(phrase) <= LOOP_PRONOUN_PHRASE
        and not all(w in _PRONOUNS for w in phrase)  # "his" for "her" is another person
        and not _alters_meaning(phrase)
    )


def _drop_repeated_passages(text: str) -> str:
    """``text`` without the later copies of a passage it says again (``LOOP_PASSAGE_*``, or one
    sentence of ``LOOP_LONG_STRETCH`` letters), and without a trailing copy the token limit cut
    short; what is new between and after the copies stays."""
    pieces = [text[start:end] for start, end in sentences(text)]
    keys = [_key(p) for p in pieces]
    drop: set[int] = set()
    for later in range(1, len(keys)):
        if later in drop:
            continue
        for earlier in range(later):
            if earlier in drop or keys[earlier] != keys[later] or _letters(keys[earlier]) < LOOP_SENTENCE_LETTERS:
                continue
            length = 0
            while (
                later + length < len(keys)
                and earlier + length < later
                and keys[earlier + length] == keys[later + length]
            ):
                length += 1
            end = later + length
            # The copy runs to the end but its last sentence was cut: "... The city will gr".
            partial = end == len(keys) - 1 and earlier + length < later and keys[earlier + length].startswith(keys[end])
            copied = keys[later : end + (1 if partial else 0)]
            letters = _letters("".join(copied))
            whole = (length >= LOOP_PASSAGE_SENTENCES and letters >= LOOP_PASSAGE_LETTERS) or any(
                _letters(key) >= LOOP_LONG_STRETCH for key in keys[later:end]
            )
            # A copy that runs into the end of the reply, two sentences or more, the last maybe
            # cut, need only be as long as a back-to-back stretch: the token limit stopped it.
            cut_short = (end == len(keys) or partial) and len(copied) >= 2 and letters >= LOOP_LONG_STRETCH
            if whole or cut_short:
                drop.update(range(later, end + (1 if partial else 0)))
                break
    if not drop:
        return text
    return "".join(p for i, p in enumerate(pieces) if i not in drop)


# The same item LOOP_REPEATS times in one list: "such as using a strong heart, using a strong
# heart, and using a strong heart" (Qwen 1.5B on the Cantonese talk), "加強防災宣導工作、加強防災
# 宣導工作、加強防災宣導工作". No writer lists a thing three times; an item must hold
# LOOP_SENTENCE_LETTERS letters, so "again and again and again" and a chant stay text, and no
# figure, so equal amounts ("NT$5 million, NT$5 million and NT$5 million") stay data. An English
# item starts and ends at a word's edge; Chinese has no spaces to mark one. An item is a phrase:
# bounding its length keeps the search linear on a long reply without commas.
LOOP_ITEM_CHARS = 100
_REPEATED_ITEM = re.compile(
    r"(?<![A-Za-z0-9])(?P<item>[^\W\d_][^,，、;；.。!?！？\n\d]{0,%d}?)"
    r"(?:(?:\s*[,，、]\s*(?:(?:and|or)\s+)?|\s+(?:and|or)\s+|及|和|與)(?P=item)(?![A-Za-z0-9])){%d,}"
    % (LOOP_ITEM_CHARS, LOOP_REPEATS - 1)
)


def _drop_repeated_items(text: str) -> str:
    """``text`` with a list that names one item ``LOOP_REPEATS`` times or more cut to the item."""

    def one(match: re.Match[str]) -> str:
        item = match.group("item")
        return item if _letters(item) >= LOOP_SENTENCE_LETTERS else match.group(0)

    return _REPEATED_ITEM.sub(one, text)


_CLAUSE_MARK = re.compile(r"(?:[，、；：]|[,;:](?=\s)|…+)[」』”’\")]*\s*")
# A conjunction that opens a copy and not the first ("，並強化防災能力", ", and improve ...").
_CLAUSE_LEAD = re.compile(r"(?:以及|並且|并且|而且|[並并及]|(?:and|or)\s)\s*(?=\w)", re.IGNORECASE)


@dataclass(frozen=True)
class _Clause:
    start: int  # where its words start (a leading conjunction included)
    stop: int  # where its words end: the separator and spacing after it follow
    end: int  # where the next clause starts
    words: tuple[str, ...]  # cased, each Chinese character one, without a leading conjunction


def _clauses(text: str) -> list[_Clause]:
    """The clauses of ``text``: its sentences cut again at commas, enumeration commas, colons,
    semicolons and ellipses (an ASCII mark only before a space: not "1,805" or "12:30")."""
    found: list[_Clause] = []
    for s_start, s_end in sentences(text):
        position = s_start
        piece = text[s_start:s_end]
        marks = [(s_start + m.start(), s_start + m.end()) for m in _CLAUSE_MARK.finditer(piece)]
        last = s_start + len(piece.rstrip().rstrip("。！？!?；;.…」』”’\")"))
        ends = [(a, b) for a, b in marks if b < s_end] + [(last, s_end)]
        for stop, end in ends:
            if stop < position:
                continue
            lead = _CLAUSE_LEAD.match(text, position, stop)
            words = words_of(text[lead.end() if lead else position : stop], cased=True)
            found.append(_Clause(position, stop, end, tuple(words)))
            position = end
    return [c for c in found if c.words or c.end > c.start]


def _swapped(block: tuple[str, ...], other: tuple[str, ...]) -> tuple[int, int, tuple[str, ...]] | None:
    """(slot start, slot end in ``block``, ``other``'s word(s) there) when ``other`` says
    ``block`` again with at most one slot changed; None when it says something else."""
    if block == other:
        return len(block), len(block), ()
    limit = min(len(block), len(other))
    prefix = 0
    while prefix < limit and block[prefix] == other[prefix]:
        prefix += 1
    suffix = 0
    while suffix < limit - prefix and block[-1 - suffix] == other[-1 - suffix]:
        suffix += 1
    mine, theirs = block[prefix : len(block) - suffix], other[prefix : len(other) - suffix]
    if not (_is_slot(mine) and _is_slot(theirs)):
        return None
    return prefix, len(block) - suffix, theirs


def _swap_run(clauses: list[_Clause], start: int, floor: int) -> tuple[int, int, bool] | None:
    """(cycle, copies, whether the clauses just before ``start`` end with the first copy) of a
    run of clauses from ``start`` that says one clause (or cycle) again with one word swapped, if
    it is a loop (``LOOP_SWAP_COPIES``); no clause before ``floor`` is read."""
    for cycle in range(1, LOOP_CYCLE + 1):
        if start + 2 * cycle > len(clauses):
            break
        # One slot cannot reach both ends of a clause that keeps LOOP_SENTENCE_LETTERS letters:
        # a copy starts or ends with the same word as the block.
        same_start = clauses[start].words[:1] == clauses[start + cycle].words[:1]
        if not same_start and clauses[start + cycle - 1].words[-1:] != clauses[start + 2 * cycle - 1].words[-1:]:
            continue
        block = tuple(w for c in clauses[start : start + cycle] for w in c.words)
        low, high = len(block), 0  # the slot, as the copies so far changed it
        values: list[tuple[str, ...]] = [tuple(block)]
        copies = 1
        while start + (copies + 1) * cycle <= len(clauses):
            other = tuple(w for c in clauses[start + copies * cycle : start + (copies + 1) * cycle] for w in c.words)
            swap = _swapped(block, other)
            if swap is None:
                break
            a, b, _ = swap
            new_low, new_high = (min(low, a), max(high, b)) if b > a else (low, high)
            if new_high > new_low and not _is_slot(block[new_low:new_high]):
                break  # another slot than before: parallel writing, not a template
            low, high = new_low, new_high
            values.append(other)
            copies += 1
        if copies < LOOP_SWAP_COPIES - 1:
            continue
        # The clause before may say the first copy after words of its own ("市府將持續" 提升防災能力).
        lead = False
        if start - cycle >= floor:
            before = tuple(w for c in clauses[start - cycle : start] for w in c.words)[-len(block) :]
            swap = _swapped(block, before) if len(before) == len(block) else None
            a, b = (swap[0], swap[1]) if swap and swap[1] > swap[0] else (low, high)
            if swap is not None and (b <= a or _is_slot(block[min(low, a) : max(high, b)])):
                low, high = min(low, a), max(high, b)
                values.insert(0, before)
                lead = True
        if high <= low:
            continue  # word for word: the other checks judge that
        shared = block[:low] + block[high:]
        slots = [v[low : len(v) - (len(block) - high)] for v in values]
        comes_back = len(set(slots)) < len(slots)
        if len(values) >= LOOP_SWAP_COPIES and comes_back and _letters("".join(shared)) >= LOOP_SENTENCE_LETTERS:
            return cycle, copies, lead
    return None


def _drop_swapped_repeats(text: str) -> str:
    """``text`` with each run of clauses that loops through a swapped word (``LOOP_SWAP_COPIES``)
    cut to its first copy, which ends as the run's last clause did ("。", or the text's end); a
    trailing clause the token limit cut short that begins another copy goes too."""
    clauses = _clauses(text)
    kept = ""
    position = 0
    i = floor = 0
    while i < len(clauses):
        run = _swap_run(clauses, i, floor)
        if run is None:
            i += 1
            continue
        cycle, copies, lead = run
        first_end = clauses[i - 1 if lead else i + cycle - 1]
        last = clauses[i + copies * cycle - 1]
        end_mark = text[last.stop : last.end]
        following = i + copies * cycle
        if following == len(clauses) - 1 and clauses[-1].end == len(text) and text[clauses[-1].stop :].strip() == "":
            block = [w for c in clauses[i : i + cycle] for w in c.words]
            tail = clauses[-1].words
            if tail and len(tail) < len(block) and _swapped(tuple(block[: len(tail)]), tail) is not None:
                following, end_mark = len(clauses), ""
        kept += text[position : first_end.stop] + end_mark
        position = clauses[following].start if following < len(clauses) else len(text)
        i = floor = following
    return kept + text[position:] if kept else text


def _starts_over(rest: list[str], block: list[str]) -> bool:
    """``rest`` is the start of another copy of ``block``, its last sentence possibly cut."""
    *whole, last = rest
    return whole == block[: len(whole)] and block[len(whole)].startswith(last)


def _key(sentence: str) -> str:
    """A sentence as loops are compared: spacing folded, its end and a list item's number
    dropped (a small model loops through a numbered list: "31. Using a sign to attract
    tenants", "32. Using a sign to attract tenants", ...)."""
    return LIST_NUMBER.sub("", _SPACES.sub(" ", sentence).strip(), count=1).rstrip("。！？!?；;.")


# -- sentences ---------------------------------------------------------------------------------


def sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence of ``text``, its end and following space included; a list
    item's number ("12. ") starts its item's sentence, not one of its own."""
    spans: list[tuple[int, int]] = []
    position = 0
    for match in _SENTENCE_END.finditer(text):
        if match.end() > position:
            number = LIST_NUMBER.match(text, position)
            if number and not text[number.end() : match.end()].strip():
                continue  # only an item's number: the item's text ends this sentence
            spans.append((position, match.end()))
            position = match.end()
    if position < len(text):
        spans.append((position, len(text)))
    return spans


def without_sentences(text: str, spans: Iterable[tuple[int, int]]) -> str:
    """``text`` without the sentences at ``spans`` (as ``sentences`` gives them), stripped. The
    wider of the two breaks around a sentence left out stays: a paragraph's end, a list's line."""
    kept = ""
    position = 0
    for start, end in sorted(spans):
        kept += text[position:start]
        piece = text[start:end]
        gap = piece[len(piece.rstrip()) :]
        before = kept.rstrip()
        kept = before + max(kept[len(before) :], gap, key=lambda g: g.count("\n"))
        position = end
    return (kept + text[position:]).strip()
