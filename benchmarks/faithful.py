"""How well the figure check finds wrong figures, and what it costs per summary.

The labelled set (benchmarks/faithful_cases.tsv) holds figures of the corpus articles with
their correct English renderings, written by hand. Each becomes one test sentence that must not
be flagged, and several wrong ones that must: the mistakes zh→en summaries make (÷10 and ×10,
億 read as million or as billion, 萬 read as thousand, 成 read as percent, a 民國 year off by
one, a date's day cut to one digit, a count of the article given as a year, a change's
direction reversed) and invented figures. A wrong rendering is left out when no check on figures alone could tell it from a
right one: its value is another listed figure of the same article, or it is a year (or a date)
the article itself states elsewhere ("2026" for the release date of an article that looks
ahead to 2026年).

    .venv/bin/python benchmarks/faithful.py           # precision, recall, time per summary
    .venv/bin/python benchmarks/faithful.py --live    # also summarize the corpus on the endpoint
                                                      # in SUMMARIZE_BASE_URL: unsupported figures
                                                      # before and after the repair, then an audit
                                                      # (below); --only NAME picks articles,
                                                      # --audit FILE writes the audit there

The audit lists, for each article, the summary kept and every figure the check found in it,
with the source figure and sentence it was traced to or "unsupported", and whether each
unsupported one is in the summary's ``unsupported`` list: a reader can check by hand that no
summary ends with an unsupported figure left unlisted (its last line counts them).

Done when: at least 95% of wrong figures found, at most 2% of correct ones flagged, under 5 ms
per summary.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import re
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"
CASES = Path(__file__).with_name("faithful_cases.tsv")
sys.path.insert(0, str(ROOT))

from summarize import loops, verify  # noqa: E402

# Invented figures are drawn from a seeded generator, so every run measures the same set.
SEED = 13
_NUMBER = re.compile(r"(\d[\d,]*(?:\.\d+)?)(\s*(?:billion|million))?")
_WORDS = {"two": 2, "three": 3, "four": 4, "six": 6, "seven": 7, "eight": 8, "third": 3, "fourth": 4}


@dataclass(frozen=True)
class Case:
    article: str
    chinese: str
    english: str
    words: str
    kind: str
    value: float
    date: tuple[int | None, int | None, int | None] | None = None  # kind "date": (year, month, day)


@dataclass(frozen=True)
class Sentence:
    article: str
    text: str
    wrong: bool
    how: str  # "right", or the mistake that made it


def load_cases() -> list[Case]:
    cases = []
    for line in CASES.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        article, chinese, english, words, kind, value = line.split("\t")
        if kind == "date":
            parts = tuple(None if part == "?" else int(part) for part in value.split("-"))
            if len(parts) != 3:
                raise SystemExit(f"{value!r}: a date's value is year-month-day, '?' for a part not written")
            cases.append(Case(article, chinese, english, words, kind, 0.0, parts))  # type: ignore[arg-type]
        else:
            cases.append(Case(article, chinese, english, words, kind, float(value)))
    return cases


MONTH_NAMES = "January February March April May June July August September October November December".split()
_MONTH = "(?:" + "|".join(MONTH_NAMES) + ")"
_EN_DATE = re.compile(
    r"(?P<iso>\d{4}-\d{2}-\d{2})"
    rf"|(?P<dmy>\d{{1,2}} {_MONTH}(?: \d{{4}})?)"
    rf"|(?P<mdy>{_MONTH}(?: \d{{1,2}}(?!\d))?(?:,? \d{{4}})?)"
)


def render_date(english: str, date: tuple[int | None, int | None, int | None]) -> str:
    """``english`` with its date replaced by ``date``, in the same style ("June 30", "30 June
    2024", "2024-06-30", "March 2025")."""
    year, month, day = date
    match = _EN_DATE.search(english)
    if not match or month is None:
        raise SystemExit(f"{english!r}: no date to rewrite; fix benchmarks/faithful_cases.tsv")
    name = MONTH_NAMES[month - 1]
    if match.group("iso"):
        text = f"{year:04d}-{month:02d}-{day:02d}"
    elif match.group("dmy"):
        text = f"{day} {name}" + (f" {year}" if year else "")
    elif day is not None:
        text = f"{name} {day}" + (f", {year}" if year else "")
    else:
        text = name + (f" {year}" if year else "")
    return english[: match.start()] + text + english[match.end() :]


def _plain(value: float) -> str:
    text = f"{value:,.3f}".rstrip("0").rstrip(".")
    return text


# A word of change in a case's English rendering, and the word of the other direction: a case
# written "a 60% reduction" is also written "a 60% increase". Only the rendering's own word is
# turned, and only for a case whose article gives its figure with that direction alone (the
# one who writes the case checks that: a figure the article also gives without a direction, or
# the other way, could be either).
REVERSED = {"reduction": "increase", "increase": "reduction", "cut": "increase", "fell": "rose", "rose": "fell",
            "grew": "fell", "decline": "rise", "rise": "decline"}
_REVERSIBLE = re.compile(r"\b(" + "|".join(REVERSED) + r")\b")


def reverse_direction(english: str) -> str | None:
    """``english`` with its word of change turned the other way ("a 60% reduction" → "a 60%
    increase"), or None when it has none."""
    match = _REVERSIBLE.search(english)
    if match is None:
        return None
    return english[: match.start()] + REVERSED[match.group()] + english[match.end() :]


def render(case: Case, value: float) -> str:
    """``case.english`` with its figure replaced by ``value``, written the way the original is."""
    if case.kind in ("year", "roc"):
        figure = str(int(round(value)))
    elif case.kind in ("percent", "cheng"):
        figure = f"{value:g}"
    elif value >= 1e9:
        figure = f"{_plain(value / 1e9)} billion"
    elif value >= 1e6:
        figure = f"{_plain(value / 1e6)} million"
    else:
        figure = _plain(value)
    match = _NUMBER.search(case.english)
    if match:
        if case.kind == "amount" or match.group(2):
            return case.english[: match.start()] + figure + case.english[match.end() :]
        if "," not in match.group(1):
            figure = figure.replace(",", "")  # "ISO 25000" stays unseparated
        return case.english[: match.start(1)] + figure + case.english[match.end(1) :]
    word = next(w for w in _WORDS if re.search(rf"\b{w}\b", case.english))
    ordinal = word in ("third", "fourth")
    suffix = {1: "st", 2: "nd", 3: "rd"}.get(int(value) % 10 if int(value) % 100 not in (11, 12, 13) else 0, "th")
    return re.sub(rf"\b{word}\b", f"{figure}{suffix if ordinal else ''}", case.english, count=1)


def _invented(case: Case, rng: random.Random) -> float:
    if case.kind in ("year", "roc"):
        return case.value + rng.choice([-1, 1]) * rng.randint(2, 30)
    if case.kind in ("percent", "cheng"):
        return max(1.0, case.value + rng.choice([-1, 1]) * rng.randint(3, 20))
    factor = rng.uniform(1.25, 1.9) if rng.random() < 0.5 else rng.uniform(0.5, 0.8)
    value = case.value * factor
    digits = max(1, len(str(int(case.value))) - 1)
    return float(f"{value:.{min(3, digits)}g}") if value >= 10 else float(round(value, 1))


def date_mistakes(case: Case, rng: random.Random, article: str) -> list[tuple[str, tuple[int | None, int | None, int | None]]]:
    """The wrong dates a summary typically writes for a date ``case``, named by how they arise."""
    year, month, day = case.date or (None, None, None)
    assert month is not None
    wrong: list[tuple[str, tuple[int | None, int | None, int | None]]] = []
    if day is not None and day >= 10:
        wrong.append(("a day cut to one digit (÷10)", (year, month, day // 10)))
    if day is not None:
        wrong.append(("a day off by one", (year, month, day + 1 if day < 28 else day - 1)))
    if year is not None:
        how = "民國 year off by one" if re.search(r"(?<!\d)\d{2,3}[)）]?\s*年", case.chinese) else "a date's year off by one"
        wrong.append((how, (year + 1, month, day)))
    # An invented month is one the article never names (else it could be another right date).
    day = min(day, 28) if day else None
    months = [m for m in range(1, 13) if m != month and not states_date(article, (year, m, day))]
    if months:
        wrong.append(("invented", (year, rng.choice(months), day)))
    return wrong


def states_year(article: str, year: int) -> bool:
    """Whether ``article`` writes ``year`` as a year somewhere: 2026年, a bare 2026 that counts
    nothing, or the 民國 year (115年, (115)年). Written apart from the check on purpose."""
    counted = "萬億千百元人件名個位項次場所處案頁坪"
    if re.search(rf"(?<![\d,.]){year}(?![\d]|[,.]\d)(?![{counted}])", article):
        return True
    return re.search(rf"(?<!\d)[（(]?{year - 1911}[)）]?\s*年", article) is not None


def states_date(article: str, date: tuple[int | None, int | None, int | None]) -> bool:
    """Whether ``article`` writes that month (and day), with that year or none before it."""
    year, month, day = date
    body = rf"(?<!\d){month}月" + (rf"{day}日" if day is not None else "")
    for match in re.finditer(body, article):
        written = re.search(r"(\d{2,4})[)）]?\s*年\s*\Z", article[max(0, match.start() - 8) : match.start()])
        if year is None:
            return True
        if written:
            number = int(written.group(1))
            if (number if number > 1000 else number + 1911) == year:
                return True
        elif states_year(article, year):
            return True
    return False


def mistakes(case: Case, rng: random.Random, counts: list[float] | None = None) -> list[tuple[str, float]]:
    """The wrong values a summary typically writes for ``case``, named by how they arise.
    ``counts``: four-digit counts of the same article, which a summary may give as a year."""
    v = case.value
    wrong: list[tuple[str, float]] = []
    if case.kind in ("year", "roc") and counts:
        wrong.append(("a count of the article as a year", rng.choice(counts)))
    if case.kind == "amount":
        if "億" in case.chinese:
            wrong += [("億 read as million (÷100)", v / 100), ("億 read as billion (×10)", v * 10), ("÷10", v / 10)]
        elif "萬" in case.chinese:
            wrong += [("萬 read as thousand (÷10)", v / 10), ("×10", v * 10)]
        else:
            wrong += [("÷10", v / 10), ("×10", v * 10)]
    elif case.kind == "count":
        wrong += [("×10", v * 10)]
        if v >= 20:
            wrong += [("÷10", v / 10)]
    elif case.kind == "percent":
        wrong += [("÷10", v / 10)]
    elif case.kind == "cheng":
        wrong += [("成 read as percent (÷10)", v / 10)]
    elif case.kind == "roc":
        wrong += [("民國 year off by one", v + 1), ("民國 year off by one", v - 1)]
    wrong.append(("invented", _invented(case, rng)))
    return wrong


def build(cases: list[Case]) -> tuple[list[Sentence], int]:
    """The test sentences, and how many wrong ones were left out for matching another listed figure."""
    rng = random.Random(SEED)
    listed: dict[str, list[float]] = {}
    counts: dict[str, list[float]] = {}
    for case in cases:
        if case.kind != "date":
            listed.setdefault(case.article, []).append(case.value)
        if case.kind in ("amount", "count") and case.value.is_integer() and 1000 <= case.value <= 2199:
            counts.setdefault(case.article, []).append(case.value)
    out: list[Sentence] = []
    dropped = 0
    for case in cases:
        article = (CORPUS / case.article).read_text(encoding="utf-8")
        if case.chinese not in article:
            raise SystemExit(f"{case.article} does not hold {case.chinese!r}: fix benchmarks/faithful_cases.tsv")
        out.append(Sentence(case.article, f"Reportedly, {case.english} {case.words}.", False, "right"))
        if case.kind == "date":
            for how, date in date_mistakes(case, rng, article):
                if states_date(article, date):
                    dropped += 1
                    continue
                out.append(Sentence(case.article, f"Reportedly, {render_date(case.english, date)} {case.words}.", True, how))
            continue
        for how, value in mistakes(case, rng, [c for c in counts.get(case.article, []) if not states_year(article, int(c))]):
            close = 0.5 if case.kind in ("year", "roc") else 0.005 * abs(value)
            # A count given as a year is another listed figure by construction: only as a year is it wrong.
            other_figure = how != "a count of the article as a year" and any(
                abs(value - other) <= close for other in listed[case.article]
            )
            if other_figure or (case.kind in ("year", "roc") and states_year(article, int(round(value)))):
                dropped += 1
                continue
            out.append(Sentence(case.article, f"Reportedly, {render(case, value)} {case.words}.", True, how))
        if (turned := reverse_direction(case.english)) is not None:
            out.append(Sentence(case.article, f"Reportedly, {turned} {case.words}.", True, "a change's direction reversed"))
    return out, dropped


def measure(sentences: list[Sentence]) -> dict[str, object]:
    articles = {s.article: (CORPUS / s.article).read_text(encoding="utf-8") for s in sentences}
    start = time.perf_counter()
    verify.check(sentences[0].text, articles[sentences[0].article])
    first = (time.perf_counter() - start) * 1000
    flagged = {s: any(c.kind == "figure" for c in verify.check(s.text, articles[s.article])) for s in sentences}
    wrong = [s for s in sentences if s.wrong]
    right = [s for s in sentences if not s.wrong]
    by_how: dict[str, list[bool]] = {}
    for s in wrong:
        by_how.setdefault(s.how, []).append(flagged[s])
    return {
        "right": right,
        "wrong": wrong,
        "false_alarms": [s for s in right if flagged[s]],
        "missed": [s for s in wrong if not flagged[s]],
        "by_how": by_how,
        "flagged": flagged,
        "first_ms": first,
    }


def timing(sentences: list[Sentence], repeats: int = 50) -> tuple[list[float], list[float]]:
    """Milliseconds per summary (all the right sentences of one article, as one summary), sorted:
    wall time, and this process's CPU time (the machine is shared: wall time also counts the
    moments another process held the core)."""
    summaries: dict[str, list[str]] = {}
    for s in sentences:
        if not s.wrong:
            summaries.setdefault(s.article, []).append(s.text)
    pairs = [(" ".join(texts), (CORPUS / a).read_text(encoding="utf-8")) for a, texts in summaries.items()]
    wall, cpu = [], []
    for _ in range(repeats):
        for summary, article in pairs:
            start, start_cpu = time.perf_counter(), time.process_time()
            verify.check(summary, article)
            wall.append((time.perf_counter() - start) * 1000)
            cpu.append((time.process_time() - start_cpu) * 1000)
    return sorted(wall), sorted(cpu)


def _spread(times: list[float]) -> str:
    return f"{statistics.median(times):.2f}, {times[int(0.95 * (len(times) - 1))]:.2f}, {times[-1]:.2f}"


def _cell(text: str, limit: int = 0) -> str:
    """``text`` fit for one Markdown table cell (cut to ``limit`` characters when given)."""
    text = " ".join(text.split()).replace("|", "\\|")
    return text if not limit or len(text) <= limit else text[: limit - 1] + "…"


def audit(name: str, summary: object, article: str) -> tuple[str, int]:
    """The audit of one summary: its text, then every figure the check finds in it with the
    source figure and sentence it was traced to, or "unsupported" and whether the summary's
    ``unsupported`` list holds it; names the article does not support below. Returns the
    Markdown and how many unsupported claims the list leaves out (the done-when line wants 0).

    ``summary`` is anything with ``text`` and ``unsupported`` (a ``Summary``, or what
    ``verify.repair_summary`` returns).
    """
    text: str = getattr(summary, "text")
    listed = tuple(getattr(summary, "unsupported"))
    spans = loops.sentences(article)
    lines = [f"### {name}", "", *(f"> {line}" if line.strip() else ">" for line in text.splitlines()), ""]
    lines += [f"`unsupported`: {'; '.join(listed) if listed else '(empty)'}", ""]
    traces = verify.trace(text, article)
    unlisted = 0
    if traces:
        lines += ["| figure in the summary | traced to | source sentence |", "| --- | --- | --- |"]
    for found in traces:
        if found.source is None:
            listed_here = found.phrase in listed
            unlisted += not listed_here
            status = "unsupported, listed" if listed_here else "**unsupported, NOT LISTED**"
            lines.append(f"| {_cell(found.phrase)} | {status} | |")
            continue
        start, end = spans[next(i for i, (a, b) in enumerate(spans) if a <= found.source.start < b or i == len(spans) - 1)]
        lines.append(f"| {_cell(found.figure.text)} | {_cell(found.source.text)} | {_cell(article[start:end], 160)} |")
    if not traces:
        lines.append("No figure found in the summary.")
    for claim in verify.check(text, article):
        if claim.kind == "name":
            listed_here = claim.phrase in listed
            unlisted += not listed_here
            lines.append(f"\nName not in the article: {claim.phrase} ({'listed' if listed_here else '**NOT LISTED**'})")
    return "\n".join(lines) + "\n", unlisted


async def live(only: str | None = None, audit_file: Path | None = None) -> int:
    """Summarize every corpus article on the configured endpoint: unsupported claims of the first
    summary, and of the one kept after the repair (the repair's cost in requests too); then the
    audit of each summary kept. Returns how many unsupported claims went unlisted."""
    from summarize import Settings, asummarize_article
    from summarize.client import ChatClient
    from summarize.pipeline import ask_rewrite

    # The response cache off: a reply cached by an earlier run would be counted again as new.
    settings = Settings.from_env().replace(cache=False)
    print(f"\n## Live: {settings.base_url} (response cache off)\n")
    print("| article | unsupported before | after repair | repair kept | sentences dropped | requests | seconds |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    audits: list[str] = []
    unlisted = 0
    for path in sorted(CORPUS.glob("*.txt")):
        if only and only not in path.name:
            continue
        article = path.read_text(encoding="utf-8")
        start = time.perf_counter()
        try:
            raw = await asummarize_article(article, settings=settings, verify=False, on_truncation="keep")
        except Exception as exc:  # one failed article does not stop the table
            print(f"| {path.name} | error: {type(exc).__name__}: {exc} | | | | | |")
            audits.append(f"### {path.name}\n\nNo summary: {type(exc).__name__}: {exc}\n")
            continue
        before = verify.check(raw.text, article)
        async with ChatClient(settings) as chat:
            model = await chat.resolve_model()

            async def ask(messages: list[dict[str, str]]) -> str:
                return await ask_rewrite(chat, model, settings, messages)

            # The same function and request the library runs on every summary: what it keeps is
            # what a user gets.
            checked = await verify.repair_summary(ask, raw.text, article)
            extra = len(chat.replies)
        seconds = time.perf_counter() - start
        print(
            f"| {path.name} | {len(before)}: {'; '.join(c.phrase for c in before)} | "
            f"{len(checked.unsupported)}: {'; '.join(checked.unsupported)} | {checked.kept_repair} | "
            f"{len(checked.dropped)} | {raw.usage.requests} + {extra} | {seconds:.0f} |"
        )
        markdown, missing = audit(path.name, checked, article)
        audits.append(markdown)
        unlisted += missing
    report = "\n".join(
        ["## Audit: every figure of each summary kept, and what it was traced to\n", *audits,
         f"Unsupported figures or names not in `unsupported`, all summaries: {unlisted}\n"]
    )
    if audit_file is None:
        print("\n" + report)
    else:
        audit_file.write_text(report, encoding="utf-8")
        print(f"\nAudit written to {audit_file} ({unlisted} unsupported claims not listed).")
    return unlisted


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--live", action="store_true", help="also summarize the corpus on SUMMARIZE_BASE_URL")
    parser.add_argument("--only", metavar="TEXT", help="with --live: only the articles whose file name holds TEXT")
    parser.add_argument("--audit", metavar="FILE", type=Path, help="with --live: write the audit to FILE (default: after the table)")
    parser.add_argument("-v", "--verbose", action="store_true", help="list every miss and false alarm")
    args = parser.parse_args(argv)
    sentences, dropped = build(load_cases())
    result = measure(sentences)
    right, wrong = result["right"], result["wrong"]
    false_alarms, missed = result["false_alarms"], result["missed"]
    found = len(wrong) - len(missed)
    flagged_total = found + len(false_alarms)
    print(f"# Figure check on the labelled set ({CASES.name})\n")
    print(
        f"{len(right)} correct figures, {len(wrong)} wrong ones ({dropped} left out: another listed figure of the"
        " article, or a year or date it states elsewhere)\n"
    )
    print("| measure | value | target |")
    print("| --- | --- | --- |")
    print(f"| wrong figures found (recall) | {found}/{len(wrong)} = {found / len(wrong):.1%} | >= 95% |")
    print(f"| correct figures flagged | {len(false_alarms)}/{len(right)} = {len(false_alarms) / len(right):.1%} | <= 2% |")
    print(f"| precision of a flag | {found}/{flagged_total} = {found / max(1, flagged_total):.1%} | |")
    wall, cpu = timing(sentences)
    print(f"| ms per summary, CPU: median, 95th percentile, slowest | {_spread(cpu)} | < 5 |")
    print(f"| ms per summary, wall: median, 95th percentile, slowest | {_spread(wall)} | |")
    print(f"| ms for the first check in a process (imports cn2an) | {result['first_ms']:.0f} | |")
    print("\n| mistake | found |")
    print("| --- | --- |")
    for how, flags in sorted(result["by_how"].items()):
        print(f"| {how} | {sum(flags)}/{len(flags)} |")
    if args.verbose or missed or false_alarms:
        print()
        for s in false_alarms:
            print(f"- false alarm ({s.article}): {s.text}")
        for s in missed:
            print(f"- missed, {s.how} ({s.article}): {s.text}")
    if args.live:
        asyncio.run(live(args.only, args.audit))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
