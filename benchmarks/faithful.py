"""How well the figure check finds wrong figures, and what it costs per summary.

The labelled set (benchmarks/faithful_cases.tsv) holds figures of the corpus articles with
their correct English renderings, written by hand. Each becomes one test sentence that must not
be flagged, and several wrong ones that must: the mistakes zh→en summaries make (÷10 and ×10,
億 read as million or as billion, 萬 read as thousand, 成 read as percent, a 民國 year off by
one) and invented figures. A wrong rendering whose value is another listed figure of the same
article is left out: no check on figures alone can tell those apart.

    .venv/bin/python benchmarks/faithful.py           # precision, recall, time per summary
    .venv/bin/python benchmarks/faithful.py --live    # also summarize the corpus on the endpoint
                                                      # in SUMMARIZE_BASE_URL: unsupported figures
                                                      # before and after the repair (the summaries
                                                      # kept go to stderr, to read them against
                                                      # their lists); --only NAME picks articles

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

from summarize import verify  # noqa: E402

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
        cases.append(Case(article, chinese, english, words, kind, float(value)))
    return cases


def _plain(value: float) -> str:
    text = f"{value:,.3f}".rstrip("0").rstrip(".")
    return text


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


def mistakes(case: Case, rng: random.Random) -> list[tuple[str, float]]:
    """The wrong values a summary typically writes for ``case``, named by how they arise."""
    v = case.value
    wrong: list[tuple[str, float]] = []
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
    for case in cases:
        listed.setdefault(case.article, []).append(case.value)
    out: list[Sentence] = []
    dropped = 0
    for case in cases:
        article = (CORPUS / case.article).read_text(encoding="utf-8")
        if case.chinese not in article:
            raise SystemExit(f"{case.article} does not hold {case.chinese!r}: fix benchmarks/faithful_cases.tsv")
        out.append(Sentence(case.article, f"Reportedly, {case.english} {case.words}.", False, "right"))
        for how, value in mistakes(case, rng):
            close = 0.5 if case.kind in ("year", "roc") else 0.005 * abs(value)
            if any(abs(value - other) <= close for other in listed[case.article]):
                dropped += 1
                continue
            out.append(Sentence(case.article, f"Reportedly, {render(case, value)} {case.words}.", True, how))
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


async def live(only: str | None = None) -> None:
    """Summarize every corpus article on the configured endpoint: unsupported claims of the first
    summary, and of the one kept after the repair (the repair's cost in requests too)."""
    from summarize import Settings, asummarize_article
    from summarize.client import ChatClient

    settings = Settings.from_env()
    print(f"\n## Live: {settings.base_url}\n")
    print("| article | unsupported before | after repair | repair kept | requests | seconds |")
    print("| --- | --- | --- | --- | --- | --- |")
    for path in sorted(CORPUS.glob("*.txt")):
        if only and only not in path.name:
            continue
        article = path.read_text(encoding="utf-8")
        start = time.perf_counter()
        try:
            raw = await asummarize_article(article, settings=settings, verify=False, on_truncation="keep")
        except Exception as exc:  # one failed article does not stop the table
            print(f"| {path.name} | error: {type(exc).__name__}: {exc} | | | | |")
            continue
        before = verify.check(raw.text, article)
        async with ChatClient(settings) as chat:
            model = await chat.resolve_model()

            async def ask(messages: list[dict[str, str]]) -> str:
                return (await chat.chat(messages, model=model)).text

            checked = await verify.repair_summary(ask, raw.text, article)
            extra = len(chat.replies)
        seconds = time.perf_counter() - start
        print(
            f"| {path.name} | {len(before)}: {'; '.join(c.phrase for c in before)} | "
            f"{len(checked.unsupported)}: {'; '.join(checked.unsupported)} | {checked.kept_repair} | "
            f"{raw.usage.requests} + {extra} | {seconds:.0f} |"
        )
        print(f"\n<details><summary>{path.name}</summary>\n\n{checked.text}\n\n</details>\n", file=sys.stderr)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--live", action="store_true", help="also summarize the corpus on SUMMARIZE_BASE_URL")
    parser.add_argument("--only", metavar="TEXT", help="with --live: only the articles whose file name holds TEXT")
    parser.add_argument("-v", "--verbose", action="store_true", help="list every miss and false alarm")
    args = parser.parse_args()
    sentences, dropped = build(load_cases())
    result = measure(sentences)
    right, wrong = result["right"], result["wrong"]
    false_alarms, missed = result["false_alarms"], result["missed"]
    found = len(wrong) - len(missed)
    flagged_total = found + len(false_alarms)
    print(f"# Figure check on the labelled set ({CASES.name})\n")
    print(f"{len(right)} correct figures, {len(wrong)} wrong ones ({dropped} left out: equal to another listed figure)\n")
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
        asyncio.run(live(args.only))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
