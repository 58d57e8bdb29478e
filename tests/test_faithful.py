"""benchmarks/faithful.py offline: the labelled set is well formed and honest, and the audit of a
live run (every figure of each summary kept, with what it was traced to) cannot crash on the
lead's run: it is written here from a fake summary and from a whole run on a scripted server."""

from __future__ import annotations

import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from conftest import CORPUS
from scripted_server import ScriptedServer, Step
from summarize import Settings
from summarize.budget import reply_tokens

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

import faithful  # noqa: E402

EXHIBITION = CORPUS / "tainan-1624-world-island-taiwan-exhibition-press-release-2024.zh-Hant.txt"
AI = CORPUS / "tainan-ai-youth-governance-press-release-2025.zh-Hant.txt"
needs_corpus = pytest.mark.skipif(not EXHIBITION.exists() or faithful.CORPUS.resolve() != CORPUS.resolve(),
                                  reason=f"the corpus is not at {faithful.CORPUS}")

RIGHT = "The exhibition opened on February 2, 2024 with more than 100 works, and runs until June 30."
WRONG = "The exhibition opened on February 2, 2024 with more than 100 works, and runs until June 3."


@needs_corpus
def test_the_audit_traces_each_figure_to_its_source():
    article = EXHIBITION.read_text(encoding="utf-8")
    markdown, unlisted = faithful.audit("tainan-1624", SimpleNamespace(text=RIGHT, unsupported=()), article)
    assert unlisted == 0
    assert "> " + RIGHT in markdown and "`unsupported`: (empty)" in markdown
    rows = [line for line in markdown.splitlines() if line.startswith("| ") and "---" not in line][1:]
    assert [row.split(" | ")[:2] for row in rows] == [
        ["| February 2, 2024", "2024年2月2日"], ["| 100", "百"], ["| June 30", "6月30日"],
    ]
    assert "展期自2月1日起至6月30日" in rows[2]  # the source sentence, for a reader to check by hand


@needs_corpus
def test_the_audit_shows_an_unsupported_figure_and_whether_it_is_listed():
    article = EXHIBITION.read_text(encoding="utf-8")
    listed, unlisted = faithful.audit("a", SimpleNamespace(text=WRONG, unsupported=("June 3",)), article)
    assert "| June 3 | unsupported, listed | |" in listed and unlisted == 0
    missing, unlisted = faithful.audit("a", SimpleNamespace(text=WRONG, unsupported=()), article)
    assert "| June 3 | **unsupported, NOT LISTED** | |" in missing and unlisted == 1


def test_the_audit_of_a_summary_without_figures_or_with_table_characters():
    markdown, unlisted = faithful.audit("b", SimpleNamespace(text="No figures | here.\n\nAnother line.", unsupported=()), "沒有數字。")
    assert "No figure found in the summary." in markdown and "> No figures | here." in markdown and unlisted == 0


@needs_corpus
def test_a_live_run_on_a_scripted_server_writes_the_audit(tmp_path, monkeypatch, capsys):
    def answer(seen):
        if "[1]" in seen.user_text:  # the repair request: the one offending sentence, numbered
            return Step.reply("[1] " + RIGHT)
        return Step.reply(WRONG)

    audit_file = tmp_path / "audit.md"
    with ScriptedServer(default=answer, models=["qwen-scripted"]) as upstream:
        monkeypatch.setenv("SUMMARIZE_BASE_URL", upstream.base_url)
        monkeypatch.setenv("SUMMARIZE_CACHE", "1")  # the user's cache, left on
        monkeypatch.setenv("SUMMARIZE_CACHE_DIR", str(tmp_path / "cache"))
        assert faithful.main(["--live", "--only", "tainan-1624", "--audit", str(audit_file)]) == 0
        sent = len(upstream.chat_requests)
        assert faithful.main(["--live", "--only", "tainan-1624", "--audit", str(audit_file)]) == 0
        assert len(upstream.chat_requests) == 2 * sent  # measured again, not replayed from the cache
        repairs = [r for r in upstream.chat_requests if "[1]" in r.user_text]
        # The repair is the library's own request, sized to a summary, not to the output cap.
        assert repairs and {r.body["max_tokens"] for r in repairs} == {reply_tokens(Settings(), Settings().summary_words)}
    table = capsys.readouterr().out
    row = next(line for line in table.splitlines() if line.startswith(f"| {EXHIBITION.name} |"))
    assert "| 1: June 3 | 0:  | True |" in row  # flagged before the repair, nothing after, repair kept
    report = audit_file.read_text(encoding="utf-8")
    assert "> " + RIGHT in report and "| June 30 | 6月30日 |" in report
    assert report.rstrip().endswith("Unsupported figures or names not in `unsupported`, all summaries: 0")


# -- the labelled set ---------------------------------------------------------------------------


@needs_corpus
def test_every_labelled_case_is_in_its_article_and_every_date_renders():
    cases = faithful.load_cases()
    assert {c.kind for c in cases} >= {"amount", "count", "percent", "cheng", "year", "roc", "date"}
    sentences, _ = faithful.build(cases)
    assert all(s.text.startswith("Reportedly, ") for s in sentences)
    hows = {s.how for s in sentences if s.wrong}
    assert {"a day cut to one digit (÷10)", "民國 year off by one", "a count of the article as a year"} <= hows
    assert "Reportedly, a 60% increase in rent for three months." in {
        s.text for s in sentences if s.how == "a change's direction reversed"
    }
    assert "Reportedly, June 3 is the last day." in {s.text for s in sentences if s.wrong}


@pytest.mark.parametrize(
    "english, turned",
    [
        ("a 60% reduction", "a 60% increase"),
        ("a rent cut of 60%", "a rent increase of 60%"),
        ("exports rose 3%", "exports fell 3%"),
        ("a cutting tool", None),  # a word that only holds one
        ("40%", None),
    ],
)
def test_a_change_is_written_the_other_way(english, turned):
    assert faithful.reverse_direction(english) == turned


@pytest.mark.parametrize(
    "english, date, rendered",
    [
        ("June 30", (None, 6, 3), "June 3"),
        ("30 June 2024", (2025, 6, 30), "30 June 2025"),
        ("February 2, 2024", (2024, 11, 2), "November 2, 2024"),
        ("2024-02-02", (2024, 8, 2), "2024-08-02"),
        ("in March 2025", (2026, 3, None), "in March 2026"),
        ("rain in May", (None, 8, None), "rain in August"),
    ],
)
def test_a_wrong_date_is_written_in_the_style_of_the_right_one(english, date, rendered):
    assert faithful.render_date(english, date) == rendered


@needs_corpus
def test_a_year_or_date_the_article_states_elsewhere_is_told_apart_without_the_verifier():
    article = AI.read_text(encoding="utf-8")
    assert faithful.states_year(article, 2026)  # 展望2026年: a wrong '2026 release date' cannot be caught
    assert faithful.states_year(article, 2025)  # 114年
    assert not faithful.states_year(article, 1754)  # 1,754案 is a count
    assert faithful.states_date(article, (2025, 12, 16))
    assert not faithful.states_date(article, (2026, 12, 16))
