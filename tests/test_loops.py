"""Sentences of a reply and the repetition loops among them (summarize.loops)."""

from __future__ import annotations

import pytest

from summarize.loops import LoopCheck, sentences, strip_loops, whole_sentences

ZH_SENTENCE = "臺南運河夜間導覽船將自明年三月起擴大營運。"
ZH_INTRO = "臺南運河夜間導覽船將自明年三月起擴大營運，在現有的安平航線之外，新增三條航線。\n\n"
EN_SUMMARY = (
    "Alibaba released Qwen3, whose largest model has 235 billion parameters. "
    "Elon Musk said xAI will release an early beta of Grok 3.5 to SuperGrok subscribers."
)

QWEN_INTRO = (
    "The traditional Chinese news article discusses the rapid development of AI models, particularly the "
    "Qwen3 model developed by Alibaba Group Holding. The article highlights the competition between China "
    "and the United States in the AI development field, with Alibaba's Qwen3 being a new generation of AI model. "
)
QWEN_LOOP = (
    "The article also mentions that the company is preparing to release its Grok 3.5 model, which is a new "
    "version of the Qwen3 model. "
)

# Qwen2.5-Coder-1.5B on the Cantonese radio talk (benchmarks/quality.py): a numbered list whose
# items say the same thing under new numbers until the token limit, twice in a row.
LIST_INTRO = "The article discusses various strategies for reducing rent in residential properties, including:\n"
LIST_ITEM = 'Using a "pity" sign to attract tenants'
LIST_CYCLE = ["Using rent control laws to reduce rent.", "Offering rent relief programs to help tenants pay rent."]

LOOPS = [
    # (name, reply, what is kept)
    # (the cut goes back to the last space before the run's first whole copy)
    ("a number said over and over (0.5B), cut", "Tainan, Hualien, 114, " + "113, " * 90 + "11", "Tainan, Hualien, 114,"),
    (
        "a numbered list saying one item under new numbers, cut",
        LIST_INTRO + "1. Creating a facade\n" + "".join(f"{n}. {LIST_ITEM}\n" for n in range(2, 33)) + "33. Using a",
        LIST_INTRO + "1. Creating a facade\n2. " + LIST_ITEM,
    ),
    (
        "a numbered list cycling through two items",
        LIST_INTRO + "".join(f"{n}. {LIST_CYCLE[n % 2]}\n" for n in range(1, 15)),
        LIST_INTRO + f"1. {LIST_CYCLE[1]}\n2. {LIST_CYCLE[0]}",
    ),
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
        # Qwen2.5-Coder-1.5B on the seed article (benchmarks/faithful.py --live), cut at 1,024 tokens.
        "a real 1.5B summary looping until the token limit",
        QWEN_INTRO + QWEN_LOOP * 30 + "The article also mentions that the company is",
        QWEN_INTRO + QWEN_LOOP.strip(),
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

# Qwen 1.5B on the seed article (a news-brief prompt, DRY sampling on): after a new sentence it
# says its middle passage again, and the token limit cuts the copy.
SEED_OPEN = "Alibaba and Tesla are both developing new AI models, with Alibaba's Qwen3 being the latest version. "
SEED_PASSAGE = (
    "The Alibaba Qwen3 is a new generation of AI model that includes multiple versions, each with different "
    "parameter numbers. The largest Qwen3 model has 2350 billion parameters, which has been shown to outperform "
    "DeepSeek-R1 and OpenAI's o1 inference model. Additionally, Alibaba emphasized that the Qwen3 model is "
    "efficient. According to reports, the smallest version (with 6 billion parameters) can run on a smartphone. "
)
SEED_NEW = "Tesla's announcement of its new AI company, XAI, and its plans to release Grok 3.5 has also raised concerns. "
# Qwen 1.5B on Lai He's story: a paragraph of five sentences, said twice over.
STORY = (
    "The children were playing in the city. They were playing with a dragon, which they had caught in a small "
    "alley. They heard a loud noise coming from a nearby house. They thought it was a fight, so they ran away "
    "quickly. After some time, they came back with their dragon."
)

VOC_OPEN = "The exhibition will also showcase the history of Taiwan in different historical stages. "
VOC = (
    "The exhibition will also feature a collection of important historical documents, including 2 volumes "
    "of historical records from the Dutch East India Company (VOC) in Asia. "
)
VOC_AGAIN = VOC.replace("important ", "").rstrip()
RESILIENCE = (
    "The city has been investing heavily in disaster recovery, with its disaster relief fund reaching 28.6 "
    "billion dollars. The city has been working on creating innovative disaster management plans. The city "
    "has also been working on developing a culture of disaster prevention and preparedness. "
)

LOOPS += [
    (
        "a passage said again after a new sentence, cut mid-copy",
        SEED_OPEN + SEED_PASSAGE + SEED_NEW + SEED_PASSAGE[:180],
        SEED_OPEN + SEED_PASSAGE + SEED_NEW,
    ),
    (
        "a passage said again, then the reply goes on",
        SEED_OPEN + SEED_PASSAGE + SEED_NEW + SEED_PASSAGE + "Qwen has over 100,000 derivative models.",
        SEED_OPEN + SEED_PASSAGE + SEED_NEW + "Qwen has over 100,000 derivative models.",
    ),
    ("a paragraph of five sentences said twice", STORY + "\n" + STORY, STORY + "\n"),
    # Qwen 1.5B on the tainan-1624 release: its last sentence again, without "important".
    ("a long sentence said again with a word left out", VOC_OPEN + VOC + VOC_AGAIN, VOC_OPEN + VOC),
    # And on the disaster release: a cycle of three sentences, one without "also" the second time.
    (
        "a cycle of sentences said again with a word left out",
        RESILIENCE + RESILIENCE.replace("has also been working", "has been working"),
        RESILIENCE,
    ),
]

# Qwen 1.5B on the disaster release: a long sentence said again word for word one sentence
# later, the sentence between a near copy of the one before the first.
DRILLS_OPEN = "The city has also developed a system for measuring and evaluating the effectiveness of its efforts. "
DRILLS = (
    "The city has also organized several disaster drills and exercises, including a full-scale disaster drill "
    "in 2021 and a disaster drill in 2022. "
)
DRILLS_BETWEEN = DRILLS_OPEN.replace("developed", "established")

LOOPS += [
    (
        # The two sentences are said again as a pair, "developed" now "established": a passage
        # with one word changed, so the pair goes, not only the word-for-word copy.
        "a long sentence said again one sentence later",
        DRILLS_OPEN + DRILLS + DRILLS_BETWEEN + DRILLS,
        DRILLS_OPEN + DRILLS,
    ),
    (
        "a long sentence said again one sentence later, the one between new",
        DRILLS_OPEN + DRILLS + SEED_NEW + DRILLS,
        DRILLS_OPEN + DRILLS + SEED_NEW,
    ),
    (
        "a long sentence said again further on, the reply going on after it",
        DRILLS + SEED_NEW + DRILLS_OPEN + DRILLS + "Tainan also trained 1,805 specialists.",
        DRILLS + SEED_NEW + DRILLS_OPEN + "Tainan also trained 1,805 specialists.",
    ),
]

# Qwen 0.5B on the Cantonese talk: items 6 and 7 say item 5 again, and the limit cut "8.".
RENTING = [
    "1. **Owner**: The owner has already moved the family into a home of their own.",
    "2. **Renting**: The owner is asking for a cut in the rent of the shop.",
    "3. **Renting Process**: The owner is asking for a business to rent the property, which is sold and rented.",
]
LOOPS += [
    (
        "a numbered list looping to a bare number",
        "\n".join(RENTING + [RENTING[2].replace("3.", f"{n}.") for n in (4, 5)] + ["6."]),
        "\n".join(RENTING),
    ),
]

# Qwen 1.5B's abstractive summary of the Cantonese talk: one item three times in a list, and the
# sentence said again with "The article" for "It".
RENT_OPEN = (
    "The article discusses various strategies for reducing rent, including using social media, changing the "
    "appearance of the shop, and using public pressure. "
)
RENT_METHODS = "also mentions various methods for reducing rent, such as using a strong heart"
RENT_LIST = ", using a strong heart, and using a strong heart."
# Qwen 0.5B's abstractive summary of the seed article: one sentence, one word changed each time.
COMPETITION = "The article also mentions the competition's {}, with the Qwen3 model being the first AI model to be published. "

LOOPS += [
    (
        "one item three times in a list, the sentence said again about 'the article'",
        RENT_OPEN + "It " + RENT_METHODS + RENT_LIST + " The article " + RENT_METHODS + RENT_LIST,
        RENT_OPEN + "It " + RENT_METHODS + ".",
    ),
    ("one item three times in a list", "Tainan will act " + RENT_METHODS + RENT_LIST, "Tainan will act " + RENT_METHODS + "."),
    (
        "one item three times in a Chinese list",
        "市府將包括加強防災宣導工作、加強防災宣導工作、加強防災宣導工作等。",
        "市府將包括加強防災宣導工作等。",
    ),
    (
        "a long sentence three times with one word changed each time",
        "".join(COMPETITION.format(w) for w in ("success", "challenges", "future")),
        COMPETITION.format("success"),
    ),
]

# Qwen 1.5B's abstractive summary of the disaster release (run 16): a 182-letter sentence said
# again at once with one word changed.
RECOVERY = (
    "The city has also invested in disaster recovery {}, including the construction of 1,805 community disaster "
    "preparedness certificates and 7 people who were awarded the gold medal for excellent disaster preparedness. "
)
LOOPS += [
    (
        "a sentence as long as a passage said again with one word changed",
        DRILLS_OPEN + RECOVERY.format("funds") + RECOVERY.format("projects").rstrip(),
        DRILLS_OPEN + RECOVERY.format("funds"),
    ),
]

# Qwen 1.5B's abstractive summary of the seed article (run 17): a model counting on.
RELEASE = "The article also mentions the upcoming release of {}, which is expected to be released soon. "
LOOPS += [
    (
        "one sentence again and again with a number counting up",
        RELEASE.format("SuperGrok") + "".join(RELEASE.format(f"DeepSeek-R{n}") for n in range(1, 8)),
        RELEASE.format("SuperGrok") + RELEASE.format("DeepSeek-R1"),
    ),
    (
        "a long sentence again and again with a year counting up",
        "".join(DRILLS.replace("2022", year) for year in ("2022", "2023", "2024")),
        DRILLS,
    ),
    # The same loop in a zh-Hant summary: 14 characters say what 38 English letters do, and were
    # measured as 14 letters, under the 24 a counted sentence needs, so it reached the reader.
    (
        "a Chinese sentence again and again with a number counting up",
        "".join(f"市府將於第{n}季推動觀光發展計畫。" for n in range(1, 8)),
        "市府將於第1季推動觀光發展計畫。",
    ),
    (
        "a long Chinese sentence twice back to back",
        "臺南市政府表示，將持續提升城市的防災韌性，保障市民的生命財產安全，並於今年底前完成各區避難收容處所的全面盤點與更新作業。" * 2,
        "臺南市政府表示，將持續提升城市的防災韌性，保障市民的生命財產安全，並於今年底前完成各區避難收容處所的全面盤點與更新作業。",
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
        "a two-sentence slogan quoted twice",
        "The campaign's slogan was: Tainan is home. Tainan is the future. Crowds filled the square. "
        "At the end the mayor said it again: Tainan is home. Tainan is the future.",
    ),
    (
        "a short list of points made again in a conclusion",
        "Shelters: 12. Drills: 4. Volunteers: 1,805. In short, shelters: 12. Drills: 4. Volunteers: 1,805.",
    ),
    # A long sentence said again with a word more or less is a repeat only when the word is
    # neither a figure nor a negation, and no word is changed: those say something else.
    ("a long sentence again with another figure", VOC_OPEN + VOC + VOC_AGAIN.replace("2 volumes", "3 volumes")),
    ("a long sentence again with a volume count dropped", VOC_OPEN + VOC + VOC_AGAIN.replace("2 volumes", "volumes")),
    ("a long sentence again, negated", VOC_OPEN + VOC + VOC_AGAIN.replace("will also", "will not")),
    ("a long sentence again with a word changed", VOC_OPEN + VOC + VOC.replace("feature", "display").rstrip()),
    (
        "a long Chinese sentence again, negated",
        "市府表示今年將在安南區與北區各新建一座大型滯洪池，以減少颱風與豪雨期間的淹水，並同步改善老舊社區的排水系統，"
        "讓市民在每年汛期來臨以前就能安心生活與工作，不再擔心家園受損。"
        "市府表示今年將不在安南區與北區各新建一座大型滯洪池，以減少颱風與豪雨期間的淹水，並同步改善老舊社區的排水系統，"
        "讓市民在每年汛期來臨以前就能安心生活與工作，不再擔心家園受損。",
    ),
    ("a long sentence said again with a word changed, later on", DRILLS + DRILLS_OPEN + DRILLS.replace("2022", "2023")),
    ("a long sentence twice with one word changed", "".join(COMPETITION.format(w) for w in ("success", "future"))),
    (
        "a long sentence three times with a figure changed each time",
        # (not counting up by one: that is a model counting on, below)
        "".join(DRILLS.replace("2022", year) for year in ("2022", "2018", "2024")),
    ),
    (
        "a long sentence again about another person",
        "He said that the city will open his new museum of Taiwanese history in the old station next spring. "
        "He said that the city will open her new museum of Taiwanese history in the old station next spring.",
    ),
    (
        "a long sentence three times with a name changed each time",
        "".join(
            f"The city will open a new bus route from the railway station to the {place} district next year. "
            for place in ("Anping", "Annan", "Yongkang")
        ),
    ),
    (
        "a long sentence three times with a count changed each time",
        "".join(
            f"Pupils in the {grade} grade of every primary school in the city will receive a tablet computer. "
            for grade in ("first", "second", "third")
        ),
    ),
    (
        "a sentence as long as a passage again with a name changed",
        RECOVERY.format("funds") + RECOVERY.format("funds").replace("gold medal", "Golden Shield medal"),
    ),
    ("a sentence twice with a number counting up", "".join(RELEASE.format(f"DeepSeek-R{n}") for n in (1, 2))),
    ("sentences with numbers that do not count up", "".join(RELEASE.format(f"DeepSeek-R{n}") for n in (1, 3, 5))),
    ("short numbered steps", "Step 1. Step 2. Step 3. Step 4."),
    ("short numbered steps in Chinese", "第1步。第2步。第3步。第4步。"),
    ("short numbered days in Chinese", "第1天：出發。第2天：出發。第3天：出發。"),
    ("a short item three times in a list", "They tried again and again and again, and the rent fell."),
    ("equal amounts in a list", "The fund paid three installments of NT$5 million, NT$5 million and NT$5 million."),
    (
        "a refrain twice",
        "We shall overcome some day. The march went on. We shall overcome some day. It ended at dusk.",
    ),
]


SHELTERS = "臺南市政府表示，將持續{}城市的防災韌性，保障市民的生命財產安全，並於今年底前完成各區避難收容處所的全面盤點與更新作業。"
FLOOD = (
    "市府表示今年將在安南區與北區各新建一座大型滯洪池，以減少颱風與豪雨期間的淹水，並同步{}老舊社區的排水系統，"
    "讓市民在每年汛期來臨以前就能安心生活與工作，不再擔心家園受損。"
)
# A long sentence three times with one word changed, as for English: a Chinese word is two
# characters, and was not counted as one changed word.
LOOPS += [
    (
        "a long zh sentence three times with one word changed",
        "".join(SHELTERS.format(w) for w in ("提升", "強化", "加強")),
        SHELTERS.format("提升"),
    ),
    (
        "a zh sentence as long as a passage again with one word changed",
        FLOOD.format("改善") + FLOOD.format("更新"),
        FLOOD.format("改善"),
    ),
]
NOT_LOOPS += [
    ("a long zh sentence three times with a numeral changed", "".join(SHELTERS.replace("今年", f"第{n}年").format("提升") for n in "一二三")),
    (
        # The public-code standard (corpus): two 76-letter sentences that differ in one word.
        "a long zh sentence twice with one word changed",
        "任何使用中政策的所有原始碼都「必須」要公開（用於偵測詐欺的原始碼除外），且能供民眾取用。\n"
        "任何使用中軟體的所有原始碼都「必須」要公開（用於偵測詐欺的原始碼除外），且能供民眾取用。",
    ),
]


# A small model (Qwen2.5 0.5B, 1.5B) says a clause again and again, one word swapped each time
# for a synonym it cycles through: the swapped word comes back, which a list written once never
# does (strip_loops keeps the first copy, ended as the run's last clause was).
CAPACITY = "市府將持續提升防災能力，並強化防災能力，並加強防災能力，並提升防災能力，並強化防災能力"
TEMPLATE = "市府將持續{}防災能力。"
RESILIENCE_EN = "The city will improve its disaster resilience, strengthen its disaster resilience, "
SWAP_LOOPS = [
    ("zh clauses cycling synonyms", CAPACITY + "。", "市府將持續提升防災能力。"),
    ("zh clauses cycling synonyms, an ellipsis after them", CAPACITY + "…", "市府將持續提升防災能力…"),
    ("zh clauses cycling synonyms, cut mid-copy", CAPACITY + "，並加強防", "市府將持續提升防災能力"),
    (
        "zh clauses cycling synonyms, then the reply goes on",
        "臺南市政府今日宣布擴大防災演練。" + CAPACITY + "。各區公所配合辦理。",
        "臺南市政府今日宣布擴大防災演練。市府將持續提升防災能力。各區公所配合辦理。",
    ),
    (
        "zh sentences cycling through four synonyms",
        "".join(TEMPLATE.format(w) for w in ("提升", "強化", "加強", "精進", "提升", "強化")),
        TEMPLATE.format("提升"),
    ),
    (
        "zh clauses cycling synonyms twice, then their first copy alone",
        (CAPACITY + "。") * 2 + "市府將持續提升防災能力。",
        "市府將持續提升防災能力。",
    ),
    (
        "simplified clauses cycling synonyms",
        "市府将持续提升防灾能力，并强化防灾能力，并加强防灾能力，并提升防灾能力。",
        "市府将持续提升防灾能力。",
    ),
    (
        "zh cycle of two clauses, one swapped",
        "市府將加強防災宣導，提升應變能力，強化防災宣導，提升應變能力，精進防災宣導，提升應變能力，加強防災宣導，提升應變能力。",
        "市府將加強防災宣導，提升應變能力。",
    ),
    (
        "en clauses cycling synonyms",
        RESILIENCE_EN + "enhance its disaster resilience, and improve its disaster resilience.",
        "The city will improve its disaster resilience.",
    ),
    (
        "en sentences cycling synonyms",
        "Tainan held a drill. "
        + "".join(f"The city will {w} its disaster resilience. " for w in ("improve", "strengthen", "enhance", "improve")),
        "Tainan held a drill. The city will improve its disaster resilience.",
    ),
]

# Parallel writing that shares a template: each slot says something new, or the run is short.
SWAP_NOT_LOOPS = [
    ("a list of synonyms written once", "市府將提升、強化、加強防災能力，並精進演練品質。"),
    ("parallel clauses with different objects", "市府將提升防災能力，強化應變機制，加強防災宣導，精進演練品質。"),
    ("a rhetorical pair", "市府不僅要提升防災能力，更要強化防災能力，讓市民安心。"),
    ("four districts in one template", "安平區防災中心、安南區防災中心、永康區防災中心、歸仁區防災中心均已啟用。"),
    (
        "legal clauses, one template, the acts differ",
        "未依規定申報者，處新臺幣一萬元以下罰鍰。未依規定登記者，處新臺幣一萬元以下罰鍰。"
        "未依規定繳納者，處新臺幣一萬元以下罰鍰。未依規定更正者，處新臺幣一萬元以下罰鍰。",
    ),
    (
        "legal clauses, one template, the acts and the fines differ",
        "未依規定申報者，處新臺幣一萬元以下罰鍰；未依規定登記者，處新臺幣二萬元以下罰鍰；"
        "未依規定繳納者，處新臺幣三萬元以下罰鍰；未依規定申報而情節重大者，處新臺幣五萬元以下罰鍰。",
    ),
    (
        "numbered articles of a law",
        "第一條　本法所稱主管機關，在中央為內政部。第二條　本法所稱主管機關，在直轄市為直轄市政府。"
        "第三條　本法所稱主管機關，在縣（市）為縣（市）政府。",
    ),
    ("quarters in the slot", "第一季營收成長五成，第二季營收成長五成，第三季營收成長五成，第四季營收成長五成，第一季營收成長五成。"),
    ("a negation in the slot", "市府會提升防災能力，不會降低防災能力，會提升防災能力，不會降低防災能力。"),
    ("a sequence that comes back once", "Press the red button, release the red button, press the red button, and wait."),
    (
        "amounts in the slot",
        "The city spent 5 million on the new roads, 6 million on the new roads, 7 million on the new roads "
        "and 5 million on the new roads.",
    ),
    (
        "names in the slot",
        "The mayor thanked the Anping district office, the Annan district office, the Yongkang district office "
        "and the Anping district office.",
    ),
]


@pytest.mark.parametrize("name, reply, kept", SWAP_LOOPS, ids=[c[0] for c in SWAP_LOOPS])
def test_a_clause_said_again_with_a_swapped_word_is_cut_to_its_first_copy(name, reply, kept):
    assert strip_loops(reply) == LoopCheck(kept, True)


@pytest.mark.parametrize("name, reply", SWAP_NOT_LOOPS, ids=[c[0] for c in SWAP_NOT_LOOPS])
def test_parallel_writing_with_a_shared_template_is_not_a_loop(name, reply):
    assert strip_loops(reply) == LoopCheck(reply, False)


@pytest.mark.parametrize("name, reply, kept", LOOPS + SWAP_LOOPS, ids=[c[0] for c in LOOPS + SWAP_LOOPS])
def test_what_a_loop_is_cut_to_holds_no_loop(name, reply, kept):
    assert not strip_loops(strip_loops(reply).text).looped


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


def test_a_long_stretch_said_twice_back_to_back_is_a_loop():
    # A Qwen 1.5B summary of the Python tutorial, its last two sentences said twice over.
    pair = (
        "Python is a high-level language that allows you to write code in a concise and readable manner. "
        "It is also a dynamically typed language, which means that you don't need to declare the type of "
        "variables or parameters before using them. "
    )
    text = "Python is a versatile programming language. " + pair + pair
    check = strip_loops(text.strip())
    assert check.looped and check.text == ("Python is a versatile programming language. " + pair).strip()
    short = "The city grew. The city grew."
    assert not strip_loops(short).looped  # a short sentence said twice is text, not a loop


# -- sentences ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        # The quickstart's summary: "11 PM." ended a sentence the check could not see, so the
        # sentence after it was sent to repair and would have been dropped with it.
        ("It runs from 5 PM to 11 PM. The company invested $42 million.", ["It runs from 5 PM to 11 PM. ", "The company invested $42 million."]),
        ("Grok is made by xAI. It answers.", ["Grok is made by xAI. ", "It answers."]),
        ("U.S. officials met. They agreed.", ["U.S. officials met. ", "They agreed."]),
        ("He works at IBM. in Taipei.", ["He works at IBM. in Taipei."]),
    ],
)
def test_an_acronym_before_a_capital_ends_a_sentence_but_not_an_abbreviation(text, expected):
    assert [text[a:b] for a, b in sentences(text)] == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        # Dropping "the sentence" after "Mr." left "... spoke with Mr. Last year ..." (red team).
        ("Lin spoke with Mr. Chen about 12 boats. Last year it ran.", ["Lin spoke with Mr. Chen about 12 boats. ", "Last year it ran."]),
        ("Dr. Wu and Prof. Lee met on Mt. Ali. They agreed.", ["Dr. Wu and Prof. Lee met on Mt. Ali. ", "They agreed."]),
        ("The mayor, i.e. the city, pays. e.g. roads.", ["The mayor, i.e. the city, pays. ", "e.g. roads."]),
        ("We said no. Then he left.", ["We said no. ", "Then he left."]),
    ],
)
def test_a_title_or_latin_abbreviation_ends_no_sentence(text, expected):
    assert [text[a:b] for a, b in sentences(text)] == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Tainan adds routes. The boats sail on Fri", "Tainan adds routes."),
        # "U.S." inside a sentence ends nothing; a closing quote stays with its sentence.
        ("Officials in the U.S. agreed. He said 「好。」 Then the", "Officials in the U.S. agreed. He said 「好。」"),
        ("It is made by xAI.", "It is made by xAI."),
        ("1. Routes grow.\n2. Boats are electric.\n3.", "1. Routes grow.\n2. Boats are electric."),
        ("no sentence end at all", "no sentence end at all"),
    ],
)
def test_whole_sentences_ends_where_the_sentence_check_ends_a_sentence(text, expected):
    assert whole_sentences(text) == expected
