"""The shape and cleaning of a reply (``summarize.reply``): what a finish_reason means, the
reasoning and chat-template tokens that come out of the answer, the token counts that are taken."""

from __future__ import annotations

import json

import pytest

from scripted_server import Step

from summarize.reply import ReplyReader, ending, max_reply_bytes, split_reasoning, strip_think, visible_text

EN = "Tainan held a disaster drill with 3,000 residents."


@pytest.mark.parametrize(
    "reason, end",
    [
        ("stop", "complete"),
        ("eos_token", "complete"),  # Text Generation Inference
        ("stop_sequence", "complete"),
        ("eos", "complete"),
        (" Stop ", "complete"),
        (None, "complete"),  # a whole body that does not say; a stream must (StreamCut)
        ("length", "cut"),
        ("max_tokens", "cut"),
        ("content_filter", "filtered"),
        ("abort", "failed"),  # vLLM: the request was aborted
        ("error", "failed"),  # vLLM: a request-level failure
        ("tool_calls", "tool"),
        ("function_call", "tool"),
        ("repetition", "cut"),  # vLLM's repetition detection stopped it mid-loop
        ("model_length", "cut"),  # Mistral: the context window ran out
        ("", "unknown"),
        ("done", "unknown"),
    ],
)
def test_what_a_finish_reason_says(reason, end):
    assert ending(reason) == end


@pytest.mark.parametrize(
    "raw, answer, reasoning",
    [
        # An unclosed block after the answer: the model went on thinking after it answered.
        (EN + "\n<think>Hmm, maybe the user wants more on Musk", EN, "Hmm, maybe the user wants more on Musk"),
        ("<thinking>The user wants a summary. Let me plan.</thinking>\n" + EN, EN, "The user wants a summary. Let me plan."),
        ("<reasoning>plan: keep it short</reasoning>" + EN, EN, "plan: keep it short"),
        ('<think type="x">secret plan</think>' + EN, EN, "secret plan"),
        ("<Thinking>\nplan\n</Thinking>" + EN + " <reasoning>more", EN, "plan\nmore"),
        # A chat template's tokens: the answer ends at the first one; what follows is not reasoning.
        (EN + "<|im_end|>\n<|im_start|>user\nSummarize again", EN, ""),
        (EN + "<|endoftext|>Human: and now in French", EN, ""),
        (EN + "<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n" + EN, EN, ""),
        (EN + "<end_of_turn>\n<start_of_turn>user", EN, ""),
        ("<think>plan</think>" + EN + "<|im_end|><think>more", EN, "plan"),
        ("<|im_end|>" + EN, "", ""),
        # What was right before stays right.
        ("<think>let me see</think>\n\nThe summary.", "The summary.", "let me see"),
        ("reasoning without opening</think>The summary.", "The summary.", "reasoning without opening"),
        ("<think>still thinking when the budget ran out", "", "still thinking when the budget ran out"),
        ("<think></think>" + EN, EN, ""),
        # Not reasoning tags, nor template tokens: kept.
        ("Taipei <b>is</b> north; x < y and List<int> and <thinker> and a <| b |> c.",
         "Taipei <b>is</b> north; x < y and List<int> and <thinker> and a <| b |> c.", ""),
    ],
)
def test_split_reasoning_keeps_the_answer_before_reasoning_and_template_tokens(raw, answer, reasoning):
    got, thought = split_reasoning(raw)
    assert (got.strip(), thought) == (answer, reasoning)
    assert strip_think(raw) == answer


@pytest.mark.parametrize(
    "raw, shown",
    [
        (EN + "\n<think>Hmm", EN + "\n"),
        (EN + "<|im_e", EN),
        (EN + "<|im_end|>\n<|im_start|>user", EN),
        (EN + " <thinki", EN + " "),
        (EN + ' <think type="x', EN + " "),
        (EN + " <end_of_tu", EN + " "),
        ("<thinking>plan</thinking>" + EN, EN),
        (EN + " x < y", EN + " x < y"),
        (EN + " <b", EN + " <b"),
    ],
)
def test_visible_text_shows_no_reasoning_nor_template_tokens_nor_half_of_one(raw, shown):
    assert visible_text(raw) == shown


def events(*payloads) -> bytes:
    return b"".join(f"data: {json.dumps(p) if not isinstance(p, str) else p}\n\n".encode() for p in payloads)


def delta(content: str, finish: str | None = None) -> dict:
    return {"model": "m", "choices": [{"index": 0, "delta": {"content": content}, "finish_reason": finish}]}


def test_a_streamed_reply_shows_and_keeps_only_the_answer():
    seen: list[str] = []
    reader = ReplyReader("asked", max_reply_bytes(100), on_text=seen.append)
    pieces = ["<thinking>plan", "</thinking>Tainan held ", "a drill.<|im_", "end|>\n<|im_start|>user\nAgain", ""]
    for piece in pieces:
        reader.feed(events(delta(piece)))
    reader.feed(events(delta("", "stop"), "[DONE]"))
    reply = reader.reply()
    assert reply.text == "".join(seen) == "Tainan held a drill."
    assert reply.reasoning == "plan"


def test_text_sent_after_a_finish_reason_is_kept_as_openais_reader_keeps_it():
    # Proxies (open-webui pipes, some gateways) put finish_reason "stop" on every chunk: dropping
    # what followed the first cut their replies to the first chunk, unflagged and cached.
    seen: list[str] = []
    reader = ReplyReader("asked", max_reply_bytes(100), on_text=seen.append)
    usage = {"choices": [], "usage": {"prompt_tokens": 20, "completion_tokens": 6, "total_tokens": 26}}
    reader.feed(events(delta("Tainan held a drill.", "stop"), delta(" 3,000 took part.", "stop"), usage, "[DONE]"))
    reply = reader.reply()
    assert reply.text == "".join(seen) == "Tainan held a drill. 3,000 took part."
    assert reply.finish_reason == "stop" and reply.completion_tokens == 6


def test_the_last_finish_reason_of_a_stream_is_the_replys():
    reader = ReplyReader("asked", max_reply_bytes(100))
    reader.feed(events(delta("Tainan held", "stop"), delta(" a drill", "length"), "[DONE]"))
    assert reader.reply().finish_reason == "length"


def test_feed_says_when_the_reply_is_complete():
    reader = ReplyReader("asked", max_reply_bytes(100))
    assert reader.feed(events(delta(EN, "stop"))) is False
    assert reader.feed(b"data: [DONE]\n\n") is True
    assert reader.feed(b": keep-alive\n\n") is True  # nothing after [DONE] is read
    assert reader.reply().text == EN


@pytest.mark.parametrize("streamed", [True, False])
def test_a_byte_order_mark_before_the_body_is_skipped(streamed):
    # It made the first event a comment (its sentence lost) and a JSON body a stream with no reply.
    body = events(delta("Tainan held a drill.", None), delta(" 3,000 took part.", "stop"), "[DONE]") if streamed else (
        json.dumps({"choices": [{"index": 0, "message": {"content": EN}, "finish_reason": "stop"}]}).encode()
    )
    reader = ReplyReader("asked", max_reply_bytes(100))
    for i in range(0, len(body) + 3, 2):  # the mark split across reads too
        reader.feed((b"\xef\xbb\xbf" + body)[i : i + 2])
    assert reader.reply().text == ("Tainan held a drill. 3,000 took part." if streamed else EN)


def test_a_reply_of_thousands_of_tags_is_read_in_few_passes(monkeypatch):
    # "<think>" * 1000 streamed to a terminal cost a pass over the whole reply per piece, each
    # pass a scan to the end per unclosed tag: 19 s for 7 KB, minutes for 21 KB.
    from summarize import reply as module

    passes = []
    real = module.visible_text
    monkeypatch.setattr(module, "visible_text", lambda raw, quoted=False: passes.append(len(raw)) or real(raw, quoted))
    searches = []
    closers = {name: _Counting(pattern, searches) for name, pattern in module._REASONING_CLOSERS.items()}
    monkeypatch.setattr(module, "_REASONING_CLOSERS", closers)
    seen: list[str] = []
    reader = ReplyReader("asked", max_reply_bytes(4000), on_text=seen.append)
    reader.feed(events(delta(EN + " "), *(delta("<think>") for _ in range(3000)), delta("", "stop"), "[DONE]"))
    reply = reader.reply()
    assert reply.text == EN and "".join(seen).strip() == EN
    assert len(passes) < 200  # a pass per twentieth of growth (about 120 here), not one per piece (3,000)
    assert len(searches) < 500  # each tag name found unclosed is not looked for again


class _Counting:
    def __init__(self, pattern, calls):
        self.pattern, self.calls = pattern, calls

    def search(self, *args):
        self.calls.append(args[1:])
        return self.pattern.search(*args)


def test_a_long_line_arriving_in_small_reads_is_split_once(monkeypatch):
    # Each read re-split the whole buffer: 13 s of CPU for a 1.3 MB line in 512-byte reads.
    splits = []
    real = ReplyReader._lines
    monkeypatch.setattr(ReplyReader, "_lines", lambda self, final: splits.append(final) or real(self, final))
    reader = ReplyReader("asked", max_reply_bytes(1000))
    line = events(delta(EN, "stop"))
    for i in range(0, len(line) - 2, 4):
        reader.feed(line[i : i + 4])
    assert len(splits) <= 2
    reader.feed(line[len(line) - 2 - (len(line) - 2) % 4 :] + b"data: [DONE]\n\n")
    assert reader.reply().text == EN


def test_an_empty_finish_reason_does_not_end_the_choice():
    reader = ReplyReader("asked", max_reply_bytes(100))
    reader.feed(events(delta("Tainan held ", ""), delta("a drill.", "stop"), "[DONE]"))
    assert reader.reply().text == "Tainan held a drill."


@pytest.mark.parametrize(
    "sent, counted",
    [
        (1500, 1500),
        (1500.0, 1500),  # some servers' JSON writes counts as floats
        (0.0, 0),
        (1500.5, None),
        (-3.0, None),
        (-3, None),
        (float("nan"), None),
        (float("inf"), None),
        (1e12, None),
        ("1500", None),
        (True, None),
        (None, None),
    ],
)
def test_a_token_count_is_taken_when_it_is_a_whole_number(sent, counted, caplog):
    body = {"model": "m", "choices": [{"index": 0, "message": {"content": EN}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": sent, "completion_tokens": sent}}
    reader = ReplyReader("asked", max_reply_bytes(100))
    reader.feed(json.dumps(body).encode())  # NaN and Infinity as Python's json writes them
    with caplog.at_level("DEBUG", logger="summarize"):
        reply = reader.reply()
    assert (reply.prompt_tokens, reply.completion_tokens) == (counted, counted)
    assert bool(caplog.records) == (counted is None and sent is not None)


# -- what a chat model says around its answer ----------------------------------------------------

from summarize.reply import without_chatter  # noqa: E402


@pytest.mark.parametrize(
    "text, source, alone, kept",
    [
        ("Sure! Here is the summary of the article in English:\n\nTainan adds routes.\n\nLet me know if you need anything else!", "", True, "Tainan adds routes."),
        ("**Summary:**\nTainan adds routes.", "", True, "Tainan adds routes."),
        ("Translation: Tainan adds routes.\n\nNote: 臺南 is Tainan.", "臺南新增路線。", True, "Tainan adds routes."),
        ("以下是摘要：\n臺南市新增路線。", "", True, "臺南市新增路線。"),
        ("Tainan adds routes. I hope this helps!", "臺南新增路線。", False, "Tainan adds routes."),
        ("```\nTainan adds routes.\n```", "臺南新增路線。", False, "Tainan adds routes."),
        ("<<<ARTICLE>>>\nTainan adds routes.\n<<<END ARTICLE>>>", "臺南新增路線。", True, "Tainan adds routes."),
        # Text that only looks like it: a sentence of the answer, or a lead-in not given alone.
        ("Here is what the mayor said: the city will add routes.", "", True, "Here is what the mayor said: the city will add routes."),
        ("以下是本次活動的重點：新增三條航線。", "以下是本次活動的重點：新增三條航線。", True, "以下是本次活動的重點：新增三條航線。"),
        ("Routes grow.\nIf you need more information, call 1999.", "", True, "Routes grow.\nIf you need more information, call 1999."),
        ("Routes grow.\nNote: tickets are free.", "註：票券免費。", False, "Routes grow.\nNote: tickets are free."),
        ("Routes grow.\n(Note: 臺南 is rendered as Tainan.)", "路線增加。", False, "Routes grow."),
        ("Routes grow.\n(Translator's note: free.)", "路線增加。", False, "Routes grow."),
        ("Routes grow.\n(Note: tickets are free.)", "註：票券免費。", False, "Routes grow.\n(Note: tickets are free.)"),
        ("Routes grow.\n(Notably, tickets are free.)", "路線增加。", False, "Routes grow.\n(Notably, tickets are free.)"),
        ("Translation: routes grow.", "", False, "Translation: routes grow."),
        ("Sure! Tainan adds routes.", "臺南新增路線。", True, "Tainan adds routes."),
        ("Sure! We will add routes.", "當然！我們會新增路線。", True, "Sure! We will add routes."),
        # An interjection that is the text's own, and a sign-off that translates its source.
        ("Sure enough, fuel prices will rise.", "", True, "Sure enough, fuel prices will rise."),
        ("Okay, the mayor said.", "", True, "Okay, the mayor said."),
        ("Sure, here is the translation:\nRoutes grow.", "路線增加。", True, "Routes grow."),
        ("Admission is free. Feel free to come and join.", "本活動免費入場。歡迎民眾踴躍參加。", False,
         "Admission is free. Feel free to come and join."),
        ("她說，希望這能幫助有孩子的家庭。", "She said she hopes this helps families with children.", False,
         "她說，希望這能幫助有孩子的家庭。"),
        ("Hope this helps the commuters, the mayor said.", "", True, "Hope this helps the commuters, the mayor said."),
        # Reported speech in a sign-off's words is the article's: it stays (it was cut, and with it
        # the mayor's words), while a sign-off of the model's own still goes.
        ("Tainan will add 12 bus routes.\n\nLet me know if the city should add more, the mayor told residents.", "", True,
         "Tainan will add 12 bus routes.\n\nLet me know if the city should add more, the mayor told residents."),
        ("Tainan will add 12 bus routes. Let me know if you need anything else!", "", True, "Tainan will add 12 bus routes."),
        ("The heredoc opens <<<ARTICLE>>> here.", "程式以 <<<ARTICLE>>> 開頭。", False, "The heredoc opens <<<ARTICLE>>> here."),
    ],
)
def test_without_chatter(text, source, alone, kept):
    assert without_chatter(text, source, alone=alone) == kept


# -- a request that writes the tags as text ----------------------------------------------------


@pytest.mark.parametrize(
    "reply, answer",
    [
        # The article quotes </think>: its translation carries the tag over, and it is text.
        ("[[2]] The model ends its reasoning with the </think> tag.", "[[2]] The model ends its reasoning with the </think> tag."),
        ("Users may see <|im_end|> in raw output.", "Users may see <|im_end|> in raw output."),
        # A reasoning block that opens the reply is still reasoning.
        ("<think>plan the translation</think>\n[[1]] Tags end the reasoning.", "\n[[1]] Tags end the reasoning."),
    ],
)
def test_a_reply_to_a_request_quoting_the_tags_keeps_them_as_text(reply, answer):
    assert split_reasoning(reply, quoted=True)[0] == answer
    assert strip_think("The answer ends with the </think> tag.") == "tag."  # unquoted: a stray closing tag


def test_a_translation_of_an_article_quoting_think_keeps_its_paragraphs(scripted, scripted_settings):
    # Read as reasoning, everything before the last </think> of the reply was lost: paragraph 2
    # came back as "tag." after five requests, and was flagged.
    from summarize import translate_article

    paragraphs = [
        "阿里巴巴今天發表新一代推理模型，主打數學與程式能力。",
        "模型在回答前會先輸出推理過程，並以 </think> 標籤結束推理段落。",
    ]
    english = [
        "Alibaba today released a new generation of reasoning model, focused on mathematics and programming.",
        "Before answering, the model outputs its reasoning and ends it with the </think> tag.",
    ]
    scripted.default = lambda seen: Step.reply("\n".join(f"[[{i + 1}]] {e}" for i, e in enumerate(english)))
    result = translate_article("\n".join(paragraphs), settings=scripted_settings, glossary={})
    assert [t for _, t in result.pairs] == english and result.unverified == ()
    assert len(scripted.chat_requests) == 1


def test_a_streamed_refusal_is_said_as_the_reason_for_no_text():
    reader = ReplyReader("asked", max_reply_bytes(100))
    refusal = {"choices": [{"index": 0, "delta": {"refusal": "I can't help with that."}, "finish_reason": None}]}
    reader.feed(events(refusal, delta("", "stop"), "[DONE]"))
    reply = reader.reply()
    assert reply.text == "" and reply.declined == "the model refused: \"I can't help with that.\""
