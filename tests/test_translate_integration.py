"""Translation and bilingual summaries end to end against a real server, replayed from
cassettes/test_translate_integration/.

Recorded against the reference server (Qwen2.5-Coder-1.5B-Instruct on llama-server) at default
settings, so these tests assert on structure (alignment, the verbatim source, repaired script,
one rendering per name, bounded requests), never on wording.
"""

from __future__ import annotations

import re

import pytest
from capture import Capture
from conftest import SAMPLE

from summarize import summarize_article, translate_article
from summarize.text import clean, mostly_chinese, to_traditional
from summarize.translate import split_paragraphs

pytestmark = [pytest.mark.integration, pytest.mark.vcr]

SAMPLE_TEXT = SAMPLE.read_text(encoding="utf-8")
SAMPLE_PARAGRAPHS = split_paragraphs(clean(SAMPLE_TEXT))
ENGLISH_TEXT = "\n".join(
    [
        "Tainan to expand canal night boat tours",
        "Tainan's tourism bureau said on Thursday that its canal night boats will add three routes next March.",
        "Some residents worry about noise, so announcements will move to headphones after 9 p.m.",
    ]
)


def glossary_lines(user: str) -> dict[str, str]:
    match = re.search(r"Glossary:\n(.*?)(?:\n\n|\n<<<END REFERENCE)", user, re.DOTALL)
    return dict(line.split(" => ", 1) for line in (match.group(1).splitlines() if match else []) if " => " in line)


def test_translate_sample_article_to_english(endpoint):
    """Its cassette is also what examples/bilingual.py replays."""
    result = translate_article(SAMPLE_TEXT, settings=endpoint)
    assert [source for source, _ in result.pairs] == SAMPLE_PARAGRAPHS  # aligned, the source verbatim
    assert all(translated.strip() for _, translated in result.pairs)
    assert all("<think>" not in translated for _, translated in result.pairs)
    assert result.usage.requests >= result.chunks >= 1
    assert result.usage.prompt_tokens and result.usage.completion_tokens
    assert result.model
    assert all(0 <= i < len(result.pairs) for i in result.unverified)
    markdown = result.to_markdown()
    assert all(f"> {p.strip()}" in markdown for p in SAMPLE_PARAGRAPHS)


def test_translation_requests_share_one_rendering_per_name(endpoint):
    settings = endpoint.replace(output_tokens=512)  # small chunks: several requests, names asked for once
    capture = Capture(settings)
    result = translate_article(SAMPLE_TEXT, settings=settings, client=capture.client)
    chats = capture.chats()
    extraction = [user for system, user in chats if "recurs in a" in system]
    translations = [user for _, user in chats if "Task: translate the" in user]
    assert result.chunks > 1 and len(extraction) == 1
    assert not any(p.strip() in extraction[0] for p in SAMPLE_PARAGRAPHS)  # recurring terms, not the article
    assert all(p.strip()[:12] in "".join(translations) for p in SAMPLE_PARAGRAPHS)  # each went out to translate
    assert [source for source, _ in result.pairs] == SAMPLE_PARAGRAPHS
    seen: dict[str, str] = {}
    for user in translations:
        for name, rendering in glossary_lines(user).items():
            assert seen.setdefault(name, rendering) == rendering
            assert name in user.split("<<<ARTICLE>>>", 1)[1]  # only names the chunk contains
        assert sum(p in user for p in SAMPLE_PARAGRAPHS) < len(SAMPLE_PARAGRAPHS)  # never the whole article
    assert seen.items() <= result.glossary.items()


def test_translate_english_to_traditional_chinese(endpoint):
    result = translate_article(ENGLISH_TEXT, target="zh-Hant", settings=endpoint)
    assert [source for source, _ in result.pairs] == ENGLISH_TEXT.splitlines()
    assert all(translated.strip() for _, translated in result.pairs)
    assert to_traditional(result.text, tuple(result.glossary.values()))[1] == 0  # no Simplified left
    assert result.simplified_fixed >= 0 and result.unverified == ()


def test_bilingual_key_sentence_summary_of_sample_article(endpoint):
    summary = summarize_article(SAMPLE_TEXT, languages=("en", "zh-Hant"), settings=endpoint)
    assert summary.method == "key-sentences" and list(summary.summaries) == ["en", "zh-Hant"]
    # The zh-Hant summary is the key sentences as the article writes them: no request of its own.
    assert summary.summaries["zh-Hant"] == join_chinese_of(summary.key_sentences)
    assert all(source in SAMPLE_TEXT for source, _ in summary.key_sentences)
    assert summary.simplified_fixed == {"zh-Hant": 0}
    # The translation of the key sentences, plus re-asks of sentences that failed a check or a figure repair.
    assert summary.chunks == 1 and 1 <= summary.usage.requests <= 6
    assert summary.unverified == () and not mostly_chinese(summary.text)


def join_chinese_of(pairs) -> str:
    """What the zh-Hant summary of these key sentences must read (each ends a sentence, a line per paragraph)."""
    from summarize.keysentences import join_chinese, score

    by_text = {s.text: s for s in score(SAMPLE_TEXT)}
    return join_chinese([by_text[source] for source, _ in pairs])


def test_bilingual_summary_of_sample_article(endpoint):
    endpoint = endpoint.replace(method="abstractive")
    summary = summarize_article(SAMPLE_TEXT, languages=("en", "zh-Hant"), settings=endpoint)
    assert list(summary.summaries) == ["en", "zh-Hant"] and summary.text == summary.summaries["en"]
    # One request per language, plus a re-ask for a reply that could not be used, or a figure repair.
    assert summary.chunks == 1 and 2 <= summary.usage.requests <= 6
    assert set(summary.simplified_fixed) == {"zh-Hant"}
    assert to_traditional(summary.summaries["zh-Hant"])[1] == 0
    assert set(summary.unverified) <= {"en", "zh-Hant"}
