"""Sentence splitting and balanced chunking of Traditional Chinese."""

from __future__ import annotations

import pytest
from conftest import SEED, corpus_text

from summarize.chunking import longest_within, pack, plan_chunks, split_long, split_sentences
from summarize.tokens import tokenizer_for

QWEN = tokenizer_for("qwen3-8b").count
SEED_TEXT = corpus_text(SEED.name)


def assert_whole_sentences(text: str, chunks) -> None:
    """Every sentence of ``text`` lies whole inside exactly one chunk, in article order."""
    assert "".join(c.text for c in chunks) == text
    bounds, pos = set(), 0
    for c in chunks:
        pos += len(c.text)
        bounds.add(pos)
    pos = 0
    for sentence in split_sentences(text):
        start, pos = pos, pos + len(sentence)
        inner = [b for b in bounds if start < b < pos]
        assert not inner, f"sentence cut: {sentence!r}"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("今天下雨。明天放晴！真的嗎？", ["今天下雨。", "明天放晴！", "真的嗎？"]),
        ("第一；第二……第三。", ["第一；", "第二……", "第三。"]),
        ("他說：「我來了。你呢？」然後走了。", ["他說：「我來了。你呢？」", "然後走了。"]),
        ("『書名。副題』很好看。", ["『書名。副題』很好看。"]),
        # A stray closing quote stays with the sentence it follows.
        ("他問：「真的嗎？」」多了一個。", ["他問：「真的嗎？」」", "多了一個。"]),
        ("標題\n第一段。第二句。\n第二段", ["標題\n", "第一段。", "第二句。\n", "第二段"]),
        ("「沒有收尾的引號\n下一段。", ["「沒有收尾的引號\n", "下一段。"]),
        ("Qwen 2.5 is out. It beats o1! 阿里巴巴說。", ["Qwen 2.5 is out. ", "It beats o1! ", "阿里巴巴說。"]),
        ("好！？」 下一句。", ["好！？」 ", "下一句。"]),
        ("沒有任何標點符號的一段文字", ["沒有任何標點符號的一段文字"]),
    ],
)
def test_split_sentences(text, expected):
    assert split_sentences(text) == expected
    assert "".join(split_sentences(text)) == text


@pytest.mark.parametrize("budget", [60, 150, 300, 500, 1000, 5000])
def test_seed_article_chunks_keep_sentences_whole_and_within_budget(budget):
    chunks = plan_chunks(SEED_TEXT, budget, QWEN)
    assert_whole_sentences(SEED_TEXT, chunks)
    assert [c.index for c in chunks] == list(range(len(chunks)))
    for c in chunks:
        assert c.tokens == QWEN(c.text) <= budget


@pytest.mark.parametrize("budget", [150, 300, 500])
def test_chunks_are_balanced(budget):
    chunks = plan_chunks(SEED_TEXT, budget, QWEN)
    total = sum(c.tokens for c in chunks)
    fewest = -(-total // budget)
    # No more chunks than needed (one spare for sentence granularity), and none tiny next to the rest.
    assert len(chunks) <= fewest + 1
    sizes = [c.tokens for c in chunks]
    assert min(sizes) >= max(sizes) * 0.4, sizes


def test_balancing_beats_greedy_filling():
    # 1,530 units at a 500 budget: four chunks of about 383, not 500+500+500+30.
    items = [f"{i}。" for i in range(153)]
    groups = pack(items, [10] * 153, 500)
    sizes = [10 * len(g) for g in groups]
    assert len(groups) == 4
    assert max(sizes) <= 390
    assert sum(groups, []) == items


def test_whole_article_fits_one_chunk():
    chunks = plan_chunks(SEED_TEXT, 10_000, QWEN)
    assert len(chunks) == 1
    assert chunks[0].text == SEED_TEXT
    assert chunks[0].tokens == 1888


def test_quotes_are_never_split():
    story = corpus_text("lai-he-dou-nao-re-short-story-1926.zh-Hant.txt")
    chunks = plan_chunks(story, 120, QWEN)
    assert_whole_sentences(story, chunks)
    for c in chunks:
        # Within one line, every 「 opened in a chunk is closed in it (the story's quotes close on their line).
        for line in c.text.split("\n"):
            assert line.count("「") == line.count("」"), line


def test_text_without_punctuation_is_split_hard_and_kept():
    text = "沒有標點" * 500
    chunks = plan_chunks(text, 100, QWEN)
    assert "".join(c.text for c in chunks) == text
    assert all(c.tokens <= 100 for c in chunks)
    assert len(chunks) > 1


def test_a_5000_character_sentence_splits_at_commas_first():
    clause = "市府今天宣布新的交通政策，"
    sentence = clause * (5000 // len(clause) + 1) + "結束。"
    assert len(sentence) >= 5000
    pieces = split_long(sentence, 200, QWEN)
    assert "".join(pieces) == sentence
    assert all(QWEN(p) <= 200 for p in pieces)
    # Every piece but the last ends at a comma: no clause was cut.
    assert all(p.endswith("，") for p in pieces[:-1])
    chunks = plan_chunks(sentence, 200, QWEN)
    assert "".join(c.text for c in chunks) == sentence


def test_a_long_sentence_is_not_split_inside_a_web_address_a_figure_or_a_time():
    # Split at every ASCII ':' and ',', pieces ended in "https:" and began with "//www...", and
    # "3,200" and "12:30" were cut in two: each piece was translated alone and rejoined with a
    # space ("https: //www...", "3, 200"), and a piece "//www.../news/6 https:" went out to be
    # translated into Chinese and was flagged for coming back as it was.
    links = " ".join(f"https://www.tainan.gov.tw/news/{i:05d}" for i in range(60))
    sentence = "相關連結：" + links + "，共有3,200人次於12:30前完成報名,其餘" + "明日再議，" * 30 + "結束。"
    pieces = split_long(sentence, 150, QWEN)
    assert "".join(pieces) == sentence and len(pieces) > 1
    assert all(QWEN(p) <= 150 for p in pieces)
    assert not any(p.endswith("https:") for p in pieces)
    assert any("3,200" in p for p in pieces) and any("12:30" in p for p in pieces)
    # A comma after a Chinese character still breaks a clause.
    pieces = split_long("市府今天宣布新的交通政策," * 400, 200, QWEN)
    assert len(pieces) > 1 and all(p.endswith(",") for p in pieces)


def test_mixed_english_and_chinese():
    text = corpus_text("python-tutorial-whetting-your-appetite-zh-tw.zh-Hant.txt")
    chunks = plan_chunks(text, 100, QWEN)
    assert_whole_sentences(text, chunks)
    assert all(c.tokens <= 100 for c in chunks)


def test_long_english_sentence_splits_at_spaces():
    sentence = "word " * 2000
    pieces = split_long(sentence, 50, QWEN)
    assert "".join(pieces) == sentence
    assert all(QWEN(p) <= 50 for p in pieces)
    assert all(p.endswith(" ") for p in pieces[:-1])


def test_bad_budget_is_refused():
    with pytest.raises(ValueError, match="at least 1 token"):
        plan_chunks("一句話。", 0, QWEN)


# -- unpunctuated text: linear work ----------------------------------------------------------


class CountingCounter:
    """A token counter that records how many characters it was asked to count."""

    def __init__(self, count):
        self.count = count
        self.characters = 0

    def __call__(self, text: str) -> int:
        self.characters += len(text)
        return self.count(text)


@pytest.mark.parametrize(
    "count",
    [len, lambda text: (len(text) + 1) // 2, lambda text: len(text.encode("utf-8"))],
    ids=["one-per-character", "two-characters-per-token", "one-per-byte"],
)
def test_planning_unpunctuated_text_counts_each_character_a_bounded_number_of_times(count):
    # Searching the whole remaining text for every cut counted about 4,000 characters per
    # character here (quadratic); a window bounded by the piece keeps it to a few dozen.
    text = "沒有標點符號的文字" * 6000  # 54,000 characters, no sentence end
    counter = CountingCounter(count)
    chunks = plan_chunks(text, 100, counter)
    assert "".join(c.text for c in chunks) == text
    assert all(c.tokens <= 100 for c in chunks)
    assert counter.characters <= 40 * len(text), f"{counter.characters / len(text):.0f} counts per character"


def test_long_unpunctuated_text_is_cut_within_budget_keeping_every_character():
    text = ("臺南運河夜間導覽船明年擴大營運新船全數採用鋰電池動力" * 1200)[:30_000]
    chunks = plan_chunks(text, 300, QWEN)
    assert "".join(c.text for c in chunks) == text  # every character in exactly one chunk, in order
    assert all(0 < c.tokens == QWEN(c.text) <= 300 for c in chunks)
    total = sum(c.tokens for c in chunks)
    assert len(chunks) <= -(-total // 300) + 1  # balanced: about the fewest chunks the budget allows
    assert min(c.tokens for c in chunks) >= 0.8 * max(c.tokens for c in chunks)


@pytest.mark.parametrize("budget", [1, 2, 7, 50, 400])
@pytest.mark.parametrize("from_end", [False, True])
def test_longest_within_finds_the_longest_start_or_end_that_fits(budget, from_end):
    text = "臺南ab運河cd夜間導覽" * 40
    fit = longest_within(text, budget, QWEN, from_end=from_end)
    piece = (lambda k: text[len(text) - k :]) if from_end else (lambda k: text[:k])
    assert QWEN(piece(fit)) <= budget
    assert fit == len(text) or QWEN(piece(fit + 1)) > budget


W3C = "符合 W3C 全球資訊網協會《網頁內容近用性無障礙指引 2.1、3.1 之可讀性》要求，撰寫的文字內容要容易閱讀與理解。"


@pytest.mark.parametrize("budget", [24, 32, 40])
def test_no_chunk_counts_over_its_budget_where_joined_pieces_count_more_than_their_sum(budget):
    # The conservative tokenizer counts "符合 W3C " as 9 and "全球資訊網協會《網頁內" as 23, and
    # the two joined as 33: summed, the pieces fit 32; the chunk sent did not.
    count = tokenizer_for("some-model").count
    pieces = split_long(W3C, budget, count)
    assert "".join(pieces) == W3C and all(count(p) <= budget for p in pieces)
    text = "許多貢獻者會分攤維護工作，資料可攜。\n" + W3C + "\n參與我們\n" + W3C
    chunks = plan_chunks(text, budget, count)
    assert "".join(c.text for c in chunks) == text
    assert [c.tokens for c in chunks] == [count(c.text) for c in chunks]
    assert max(c.tokens for c in chunks) <= budget
