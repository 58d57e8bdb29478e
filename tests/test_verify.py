"""Checks on an output (summarize.verify): loops first; figures and names below."""

from __future__ import annotations

import pytest

from summarize.verify import LoopCheck, strip_loops

# -- repetition loops --------------------------------------------------------------------------

ZH_SENTENCE = "臺南運河夜間導覽船將自明年三月起擴大營運。"
ZH_INTRO = "臺南運河夜間導覽船將自明年三月起擴大營運，在現有的安平航線之外，新增三條航線。\n\n"
EN_SUMMARY = (
    "Alibaba released Qwen3, whose largest model has 235 billion parameters. "
    "Elon Musk said xAI will release an early beta of Grok 3.5 to SuperGrok subscribers."
)

LOOPS = [
    # (name, reply, what is kept)
    ("zh sentence 20 times", ZH_SENTENCE * 20, ZH_SENTENCE),
    ("zh sentence 20 times, cut mid-copy", ZH_SENTENCE * 20 + "臺南運河夜間", ZH_SENTENCE),
    (
        "zh phrase without punctuation after an intro, cut",
        ZH_INTRO + "在現有的安平航線之外" * 12 + "在現有的安平",
        ZH_INTRO + "在現有的安平航線之外",
    ),
    ("zh simplified loop (0.5B)", "模型的参数越多，处理的任务就越复杂。" * 9, "模型的参数越多，处理的任务就越复杂。"),
    (
        "en sentence after a summary, cut",
        EN_SUMMARY + " The city will expand the service. " * 15 + "The city will exp",
        EN_SUMMARY + " The city will expand the service.",
    ),
    ("en phrase without a full stop", "The city will " * 30 + "The ci", "The city will"),
    (
        "cycle of two sentences",
        "Tainan opened a museum. " + "The mayor spoke. The premier attended. " * 6,
        "Tainan opened a museum. The mayor spoke. The premier attended.",
    ),
    (
        "a name reply looping over one line",
        "阿里巴巴\tAlibaba\n" + "馬斯克\tElon Musk\n" * 25,
        "阿里巴巴\tAlibaba\n馬斯克\tElon Musk",
    ),
    (
        "a sentence repeated mid-reply, then the reply goes on",
        "臺南市政府今日宣布擴大防災演練。" + "市長表示將持續推動韌性城市。" * 5 + "各區公所配合辦理。",
        "臺南市政府今日宣布擴大防災演練。市長表示將持續推動韌性城市。各區公所配合辦理。",
    ),
    (
        "en line repeated in a list",
        "- The exhibition opens on 2 February.\n- The exhibition opens on 2 February.\n"
        "- The exhibition opens on 2 February.\n- The exhibition opens on 2 February.\n",
        "- The exhibition opens on 2 February.",
    ),
]

NOT_LOOPS = [
    ("a plain summary", EN_SUMMARY),
    ("a Chinese paragraph", ZH_INTRO.strip()),
    ("list items sharing a prefix", "- Tainan: 5 districts\n- Tainan: 3 parks\n- Tainan: 2 rivers\n- Tainan: 400 years"),
    (
        "a name repeated a few times",
        "Lambert said open models win share. Lambert added that they carry soft power. "
        "Lambert concluded that everyone benefits. Lambert is at the Allen Institute.",
    ),
    (
        "a Markdown table",
        "| District | Shelters |\n| --- | --- | \n| Annan | 12 |\n| Annan | 12 |\n| East | 9 |\n| --- | --- |",
    ),
    ("a wide table rule", "| a | b | c | d | e | f | g | h |\n" + "| --- " * 8 + "|"),
    ("ellipsis and dashes", "他說……" + "……" * 10 + "——" * 12),
    ("a short answer in dialogue", "A：係呀。B：係呀。C：係呀。A：係呀。"),
    (
        "a heading before every section",
        "Criterion 1\nDevelopers and designers: what you need to do\nWrite docs.\n"
        "Criterion 2\nDevelopers and designers: what you need to do\nWrite tests.\n"
        "Criterion 3\nDevelopers and designers: what you need to do\nWrite code.",
    ),
    ("laughter", "Ha ha ha, he said."),
    ("years in a row", "Revenue rose in 2021, 2022, 2023 and 2024, the report said."),
    ("numbered steps", "1. Open the file.\n2. Open the file again.\n3. Close the file."),
    (
        "a refrain twice",
        "We shall overcome some day. The march went on. We shall overcome some day. It ended at dusk.",
    ),
]


@pytest.mark.parametrize("name, reply, kept", LOOPS, ids=[c[0] for c in LOOPS])
def test_strip_loops_cuts_a_loop_to_one_occurrence(name, reply, kept):
    check = strip_loops(reply)
    assert check == LoopCheck(kept.rstrip(), True)


@pytest.mark.parametrize("name, reply", NOT_LOOPS, ids=[c[0] for c in NOT_LOOPS])
def test_strip_loops_leaves_normal_text_alone(name, reply):
    assert strip_loops(reply) == LoopCheck(reply, False)


def test_strip_loops_on_empty_text():
    assert strip_loops("") == LoopCheck("", False)


def test_a_loop_cut_in_a_long_reply_keeps_everything_before_it():
    body = "".join(f"第{i}段說明臺南市第{i}項政策的內容與預算。" for i in range(60))
    check = strip_loops(body + "本案將於明年正式上路。" * 30)
    assert check.looped and check.text == body + "本案將於明年正式上路。"


def test_no_corpus_article_or_paragraph_counts_as_a_loop():
    # Real text with recurring headings (the public-code standard repeats three 17 times),
    # dialogue and lists: none of it is a loop.
    from conftest import CORPUS

    for path in sorted(CORPUS.glob("*.txt")):
        article = path.read_text(encoding="utf-8")
        assert not strip_loops(article).looped, path.name
        assert not [p for p in article.split("\n") if strip_loops(p).looped], path.name
