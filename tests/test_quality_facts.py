"""The fact checklist behind benchmarks/quality.py is well formed and faithful to the articles.

Each fact names the form it takes in its article (``source``); a fact the article does not
state would make recall measure the checklist, not the summary. Each fact's patterns must also
accept its own English ``example``, so a typo in a regex cannot turn a fact unreachable.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

import quality  # noqa: E402

CORPUS = quality.corpus_dir()
CHECKLIST = quality.load_facts()
FIELDS = {"id", "what", "source", "patterns", "example"}
needs_corpus = pytest.mark.skipif(not any(CORPUS.glob("*.txt")), reason=f"the corpus is not at {CORPUS}")


def all_facts():
    return [pytest.param(name, fact, id=f"{name.split('-')[0]}:{fact['id']}") for name, facts in CHECKLIST.items() for fact in facts]


def test_the_file_is_plain_json_with_an_explanation():
    raw = json.loads(quality.FACTS.read_text(encoding="utf-8"))
    assert set(raw) == {"_about", "articles"}
    assert "source" in raw["_about"] and "patterns" in raw["_about"]


@pytest.mark.parametrize("name", sorted(CHECKLIST))
def test_each_article_has_6_to_12_facts_with_unique_ids(name):
    facts = CHECKLIST[name]
    assert 6 <= len(facts) <= 12, f"{name}: {len(facts)} facts"
    ids = [f["id"] for f in facts]
    assert len(ids) == len(set(ids)), f"{name}: repeated ids"


@pytest.mark.parametrize("name, fact", all_facts())
def test_each_fact_is_well_formed(name, fact):
    assert set(fact) == FIELDS
    for key in ("id", "what", "source", "example"):
        assert isinstance(fact[key], str) and fact[key].strip(), key
    assert isinstance(fact["patterns"], list) and fact["patterns"]
    for pattern in fact["patterns"]:
        re.compile(pattern, re.IGNORECASE)


@pytest.mark.parametrize("name, fact", all_facts())
def test_each_fact_accepts_its_own_english_example(name, fact):
    # Also where a summary puts it: at the end of a sentence, in parentheses, in capitals.
    example = fact["example"]
    for text in (example, f"{example}.", f"({example})", f"In short, {example}, said the release.", example.upper()):
        found, missed = quality.fact_recall(text, [fact])
        assert found == [fact["id"]], f"{fact['patterns']} do not match {text!r}"


@pytest.mark.parametrize("name, fact", all_facts())
def test_no_pattern_matches_the_empty_string(name, fact):
    # A pattern that matches nothing-at-all would count the fact found in every summary.
    assert not any(re.search(p, "", re.IGNORECASE) for p in fact["patterns"])
    assert not any(re.search(p, "The article.", re.IGNORECASE) for p in fact["patterns"])


@needs_corpus
def test_the_checklist_covers_every_corpus_article():
    articles = {p.name for p in CORPUS.glob("*.txt")}
    assert set(CHECKLIST) == articles


@needs_corpus
@pytest.mark.parametrize("name, fact", all_facts())
def test_each_fact_occurs_in_its_article(name, fact):
    path = CORPUS / name
    if not path.exists():
        pytest.skip(f"{name} is not in the corpus at {CORPUS}")
    assert fact["source"] in path.read_text(encoding="utf-8"), f"{fact['id']}: {fact['source']!r} is not in {name}"


@needs_corpus
@pytest.mark.parametrize("name", sorted(CHECKLIST))
def test_no_fact_is_found_in_the_articles_chinese_characters(name):
    # Recall counts what an output carries into English: with its Latin letters and digits
    # taken out, the article itself must find no fact (no pattern matches Chinese text alone).
    text = re.sub(r"[A-Za-z0-9０-９Ａ-Ｚａ-ｚ]", "", (CORPUS / name).read_text(encoding="utf-8"))
    found, _ = quality.fact_recall(text, CHECKLIST[name])
    assert found == []
