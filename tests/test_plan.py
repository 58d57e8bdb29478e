"""A dry run plans the chunks a real run cuts, glossary or not."""

from __future__ import annotations

import pytest
from conftest import SEED, corpus_text
from fake_translator import translator

from summarize import Settings, count_tokens, summarize_article, translate_article
from summarize.errors import ConfigError
from summarize.plan import plan_article, plan_translation

SEED_TEXT = corpus_text(SEED.name)


@pytest.mark.parametrize("with_glossary", ["none", "short", "long"])
def test_dry_run_chunks_match_a_real_run(scripted, tmp_path, with_glossary):
    glossary = tmp_path / "names.tsv"
    entries = {"阿里巴巴": "Alibaba", "馬斯克": "Elon Musk"}
    if with_glossary == "long":  # every two characters of the article a name: far more than a fifth holds
        entries |= {SEED_TEXT[i : i + 2]: f"N{i}" for i in range(0, len(SEED_TEXT) - 1, 2) if "\t" not in SEED_TEXT[i : i + 2]}
    glossary.write_text("".join(f"{k}\t{v}\n" for k, v in entries.items() if "\n" not in k), encoding="utf-8")
    settings = Settings(
        base_url=scripted.base_url, model="qwen3-8b", context_tokens=1500, output_tokens=256, cache=False,
        glossary=None if with_glossary == "none" else str(glossary),
    )
    plan = plan_article(SEED_TEXT, settings)
    summary = summarize_article(SEED_TEXT, settings=settings)
    maps = [r for r in scripted.chat_requests if r.kind == "map"]
    assert len(plan.chunks) == summary.chunks == len(maps) > 1
    sent = [count_tokens(m.user_text.split("<<<ARTICLE>>>\n")[1].split("\n<<<END ARTICLE>>>")[0], "qwen3-8b") for m in maps]
    assert sorted(plan.chunks) == sorted(sent)
    # 1,888 tokens: two chunks fit the whole budget (1,113), and still do beside two names, which
    # take only the room their lines need; three are needed when a fifth holds names.
    assert len(plan.chunks) == (3 if with_glossary == "long" else 2)
    assert max(plan.chunks) <= plan.budget


def test_a_glossary_file_without_entries_plans_no_extraction(scripted, tmp_path):
    empty = tmp_path / "empty.tsv"
    empty.write_text("# no names yet\n", encoding="utf-8")
    settings = Settings(base_url=scripted.base_url, model="qwen3-8b", output_tokens=256, cache=False, glossary=str(empty))
    plan = plan_translation(SEED_TEXT, settings)
    translate_article(SEED_TEXT, settings=settings)
    extraction = [r for r in scripted.chat_requests if "recurs in a" in r.system_text]
    assert plan.map_requests == len(extraction) == 0  # for a translation: the extraction requests


@pytest.mark.parametrize("context_tokens", [8192, 650])
def test_a_translation_plan_matches_a_real_run(scripted, context_tokens):
    # 650 tokens of context leave room for few terms per request: the names take several requests.
    settings = Settings(base_url=scripted.base_url, model="qwen3-8b", context_tokens=context_tokens, output_tokens=256,
                        cache=False)
    scripted.default = translator()  # keeps every marker: one request per chunk
    plan = plan_translation(SEED_TEXT, settings)
    result = translate_article(SEED_TEXT, settings=settings)
    extraction = [r for r in scripted.chat_requests if "recurs in a" in r.system_text]
    assert len(plan.chunks) == result.chunks > 1
    assert plan.map_requests == len(extraction) >= 1
    assert plan.final_requests == result.chunks == len(scripted.chat_requests) - len(extraction)
    if context_tokens == 650:
        assert len(extraction) > 1


@pytest.mark.parametrize("context_tokens", [8192, 1500])
def test_a_plan_counts_the_places_line_a_real_run_sends(scripted, context_tokens):
    # The disaster release names Tainan and Hualien: every English request ends with them, and
    # the plan's budget and prompt tokens are those of the requests sent (one, or the maps).
    from summarize.budget import chunk_budget, prompt_overhead, summary_budget
    from summarize.institutions import official_names
    from summarize.tokens import tokenizer_for

    article = corpus_text("tainan-disaster-prevention-review-press-release-2025.zh-Hant.txt")
    settings = Settings(base_url=scripted.base_url, model="qwen3-8b", context_tokens=context_tokens,
                        output_tokens=256, cache=False, verify=False)
    plan = plan_article(article, settings)
    summary = summarize_article(article, settings=settings)
    counter = tokenizer_for("qwen3-8b")
    first = [r for r in scripted.chat_requests if r.kind in ("map", "summarize")]
    assert all(r.task_text.endswith("Places the article names: Tainan, Hualien.") for r in first if r.kind == "summarize")
    assert len(plan.chunks) == summary.chunks == max(1, sum(r.kind == "map" for r in first))
    sent = sum(prompt_overhead(r.messages, counter) for r in first)
    assert sent == (plan.map_prompt_tokens if len(plan.chunks) > 1 else plan.prompt_tokens)
    # The plan's budget is the run's: room is left for the line, and for the official names the
    # release holds (總統府, 內政部, 經濟部, 消防署: summarize.institutions).
    budget, _ = summary_budget(settings, counter, official_names(article), article=article)
    assert plan.budget == budget < chunk_budget(settings, counter, article=article) < chunk_budget(settings, counter)


def test_a_plan_counts_the_places_line_of_every_reduce_request(monkeypatch):
    # At 300-token chunks the disaster release takes more than three parts: its notes are
    # reduced, and each reduce request ends with the article's places, as a real run's does
    # (tests/test_places.py). The plan's reduce share counts the line once per such request.
    from summarize import prompts
    from summarize.budget import places_tokens
    from summarize.tokens import tokenizer_for

    article = corpus_text("tainan-disaster-prevention-review-press-release-2025.zh-Hant.txt")
    settings = Settings(model="qwen3-8b", chunk_tokens=300, context_tokens=8192, cache=False)
    plan = plan_article(article, settings)
    line = places_tokens(article, tokenizer_for("qwen3-8b"))
    monkeypatch.setattr(prompts, "places_line", lambda text, language: "")
    without = plan_article(article, settings)
    assert plan.chunks == without.chunks and plan.map_requests > 3 and plan.final_requests == 1
    reduce_share = plan.prompt_tokens - plan.map_prompt_tokens
    extra = reduce_share - (without.prompt_tokens - without.map_prompt_tokens)
    assert 0 < extra <= (plan.reduce_requests + plan.final_requests) * line


@pytest.mark.parametrize(
    "overrides, says",
    [
        ({"output_tokens": 100}, "SUMMARIZE_OUTPUT_TOKENS=100 caps every reply below what a summary of 150 words asks for "
         "(242 tokens): raise it to 242 or more, or lower SUMMARIZE_SUMMARY_WORDS to 48 or less"),
        ({"summary_words": 1000}, "a summary of 1000 words asks for (1432 tokens)"),
    ],
)
def test_an_output_cap_below_the_summary_asked_for_is_refused_before_any_request(scripted, overrides, says):
    # A red team capped replies at 100 tokens: two requests were paid for, each cut at the cap,
    # and the error then blamed the model for running past a limit the settings had set.
    settings = Settings(base_url=scripted.base_url, model="qwen3-8b", cache=False, method="abstractive", **overrides)
    with pytest.raises(ConfigError) as raised:
        summarize_article(SEED_TEXT, settings=settings)
    assert says in str(raised.value)
    with pytest.raises(ConfigError, match="caps every reply below"):
        plan_article(SEED_TEXT, settings)
    assert scripted.chat_requests == []
    # Capped at exactly what the summary asks for, it runs.
    summarize_article(SEED_TEXT, settings=settings.replace(output_tokens=242, summary_words=150))
    assert scripted.chat_requests


@pytest.mark.parametrize("translate", [False, True])
def test_a_chunk_budget_under_the_least_that_holds_a_sentence_is_refused(scripted, translate):
    # SUMMARIZE_CHUNK_TOKENS=1 planned 153 chunks "of at most 1 tokens" for a 500-character
    # article, and the run sent 157 requests; translation already refused it.
    settings = Settings(base_url=scripted.base_url, model="qwen3-8b", cache=False, method="abstractive", chunk_tokens=31)
    run = translate_article if translate else summarize_article
    plan = plan_translation if translate else plan_article
    with pytest.raises(ConfigError, match=r"SUMMARIZE_CHUNK_TOKENS=31 is too small to \w+ in: use at least 32"):
        run(SEED_TEXT, settings=settings)
    with pytest.raises(ConfigError, match="is too small to"):
        plan(SEED_TEXT, settings)
    assert scripted.chat_requests == []
    assert plan(SEED_TEXT, settings.replace(chunk_tokens=32)).chunks
