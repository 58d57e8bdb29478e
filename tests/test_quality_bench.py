"""benchmarks/quality.py's measuring tools, offline: the recording pass-through and the output checks.

The pass-through must hand replies on unchanged (streamed ones as they come) and read the
server's usage and llama.cpp timings from both reply shapes; the checks must tell a loop or a
fact from their absence.
"""

from __future__ import annotations

import json
import sys
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

import quality  # noqa: E402
from scripted_server import ScriptedServer, Step, completion  # noqa: E402

from summarize import Summary, Usage  # noqa: E402

TIMINGS = {"cache_n": 40, "prompt_n": 960, "prompt_ms": 6400.5, "predicted_n": 3, "predicted_ms": 90.25}


def post(url: str, body: dict, timeout: float = 10) -> bytes:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return response.read()


class StreamingUpstream:
    """A llama-server-shaped streaming endpoint: SSE chunks, timings and usage in the last one."""

    EVENTS = [
        {"choices": [{"index": 0, "delta": {"role": "assistant", "content": "Hel"}}]},
        {"choices": [{"index": 0, "delta": {"content": "lo."}}]},
        {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
         "usage": {"prompt_tokens": 1000, "completion_tokens": 3, "total_tokens": 1003}, "timings": TIMINGS},
    ]

    def __enter__(self):
        events = self.EVENTS
        self.bodies = bodies = []

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                bodies.append(body)
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                for event in events:
                    line = b"data: " + json.dumps({"id": "c", "object": "chat.completion.chunk", "created": 0,
                                                   "model": "m", **event}).encode() + b"\n\n"
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(line), line))
                    self.wfile.flush()
                done = b"data: [DONE]\n\n"
                self.wfile.write(b"%x\r\n%s\r\n0\r\n\r\n" % (len(done), done))

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
        self.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


def test_a_plain_reply_passes_unchanged_and_its_timings_are_read():
    body = completion("A summary.", usage={"prompt_tokens": 1000, "completion_tokens": 3, "total_tokens": 1003})
    body["timings"] = TIMINGS
    with ScriptedServer(default=lambda seen: Step(body=body)) as upstream, quality.RecordingProxy(upstream.base_url) as proxy:
        reply = json.loads(post(proxy.base_url + "/chat/completions", {"model": "m", "messages": [{"role": "user", "content": "x"}]}))
    assert reply == body
    (exchange,) = proxy.chats
    assert (exchange.prompt_tokens, exchange.completion_tokens, exchange.finish_reason) == (1000, 3, "stop")
    assert exchange.compute_ms == pytest.approx(6400.5 + 90.25)
    assert not exchange.stream and exchange.reply == "A summary."
    stats = quality.totals(proxy.exchanges)
    assert (stats["prompt_tokens"], stats["completion_tokens"], stats["cache_n"], stats["cache_hits"]) == (1000, 3, 40, 1)
    assert stats["processed"] == 960  # the 40 the server took from its prompt cache cost no compute
    assert stats["compute_s"] == pytest.approx(6.49075)


def test_a_streamed_reply_reaches_the_sdk_whole_and_its_last_chunk_timings_are_read():
    import openai

    with StreamingUpstream() as upstream, quality.RecordingProxy(upstream.base_url, model="served-name") as proxy:
        client = openai.OpenAI(base_url=proxy.base_url, api_key="no-key-needed", max_retries=0, timeout=10)
        texts = []
        for _ in range(2):  # the second request reuses the kept-alive connection: the framing must hold
            stream = client.chat.completions.create(model="asked-name", messages=[{"role": "user", "content": "x"}], stream=True)
            texts.append("".join(chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices))
        client.close()
    assert texts == ["Hello.", "Hello."]
    assert upstream.bodies[0]["model"] == "served-name"  # the pass-through's model override
    exchange = proxy.chats[0]
    assert len(proxy.chats) == 2
    assert exchange.stream and exchange.reply == "Hello." and exchange.finish_reason == "stop"
    assert exchange.timings == TIMINGS
    assert exchange.tokens() == (1000, 3)


def test_tokens_fall_back_to_timings_when_usage_is_missing():
    exchange = quality.Exchange("POST", "/v1/chat/completions", {}, 0.0)
    exchange.read_event(json.dumps({"choices": [{"delta": {}, "finish_reason": "length"}], "timings": TIMINGS}))
    exchange.read_event("[DONE]")
    assert exchange.tokens() == (960 + 40, 3)
    assert exchange.finish_reason == "length"


def test_a_client_that_hangs_up_closes_the_upstream_request_too():
    # The upstream would answer after 5 s; the client gives up after 0.3 s. The pass-through
    # must end its request then (as the server would see without it), not wait for the reply.
    with ScriptedServer(default=lambda seen: Step.reply("late", delay=5)) as upstream, \
            quality.RecordingProxy(upstream.base_url) as proxy:
        with pytest.raises((TimeoutError, urllib.error.URLError, OSError)):
            post(proxy.base_url + "/chat/completions", {"model": "m", "messages": []}, timeout=0.3)
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline and proxy.chats[0].seconds is None:
            time.sleep(0.05)
        (exchange,) = proxy.chats
        assert exchange.abandoned
        assert exchange.seconds is not None, "the pass-through still waited for the upstream reply"
    assert quality.totals(proxy.exchanges)["abandoned"] == 1


def test_the_load_sampler_counts_slots_busy_beyond_our_own_requests():
    # One of four slots serves someone else throughout; another serves our request while it runs.
    upstream = ScriptedServer()

    def answer(seen):
        if seen.path.endswith("/slots"):
            busy = 1 + (upstream.in_flight - 1)  # the foreign slot, and ours (this /slots call aside)
            return Step(body=[{"id": i, "is_processing": i < busy} for i in range(4)])
        return Step.reply("A summary.", delay=0.5)

    upstream.default = answer
    with upstream, \
            quality.RecordingProxy(upstream.base_url, sample_load=True, sample_every=0.05) as proxy:
        post(proxy.base_url + "/chat/completions", {"model": "m", "messages": []})
    load = proxy.load()
    assert load["others_max"] == 1
    assert 0 < load["others_share"] <= 1


def test_no_load_is_reported_where_the_server_has_no_slots_endpoint():
    def answer(seen):
        return Step(status=501, body={"error": "slots disabled"}) if seen.path.endswith("/slots") else Step.reply("ok")

    with ScriptedServer(default=answer) as upstream, \
            quality.RecordingProxy(upstream.base_url, sample_load=True, sample_every=0.05) as proxy:
        post(proxy.base_url + "/chat/completions", {"model": "m", "messages": []})
        time.sleep(0.2)
    assert proxy.load() == {}


def test_an_unreachable_upstream_is_a_502_the_client_sees():
    with ScriptedServer() as gone:
        url = gone.base_url
    with quality.RecordingProxy(url) as proxy:
        with pytest.raises(urllib.error.HTTPError) as caught:
            post(proxy.base_url + "/chat/completions", {"model": "m", "messages": []})
    assert caught.value.code == 502
    assert proxy.chats[0].error


@pytest.mark.parametrize("text", [
    "The city opened the exhibition. The city opened the exhibition. It runs until June.",
    "The museum said that the museum said that the museum said that the museum said that",
    "臺南市政府今天發布報告。臺南市政府今天發布報告。",
])
def test_the_benchmarks_loop_check_finds_repetition(text):
    assert quality.repeated_sentences(text)


@pytest.mark.parametrize("text", [
    "Tainan opened the exhibition on 2 February. It runs until 30 June at the museum.",
    "Python is easy to learn. It is an interpreted language with a large standard library.",
    "",
])
def test_the_benchmarks_loop_check_passes_plain_text(text):
    assert quality.repeated_sentences(text) is None


def test_fact_recall_reads_full_width_digits_and_typographic_quotes():
    facts = [
        {"id": "97", "patterns": [r"\b97\s*%"]},
        {"id": "monty", "patterns": [r"monty\W+python's"]},
        {"id": "absent", "patterns": [r"stanford"]},
    ]
    found, missed = quality.fact_recall("Satisfaction was ９７％, as in Monty Python\u2019s show.", facts)
    assert (found, missed) == (["97", "monty"], ["absent"])


def test_english_share_uses_the_script_check():
    assert quality.english_share("An English summary.") == 1.0
    assert quality.english_share("臺南市政府") == 0.0
    assert quality.english_share("...") is None


def test_flags_are_the_set_fields_of_a_summary():
    plain = Summary(text="t", summaries={"en": "t"}, chunks=1, usage=Usage(), model="m")
    assert quality.result_flags(plain) == []
    flagged = Summary(text="t", summaries={"en": "t"}, chunks=3, usage=Usage(), model="m", truncated=True,
                      unverified=("en",), simplified_fixed={"zh-Hant": 0}, failed_chunks=(1,), is_partial=True)
    assert quality.result_flags(flagged) == ["is_partial", "failed_chunks=1", "unverified=en", "truncated"]
    corrected = Summary(text="t", summaries={"en": "t"}, chunks=1, usage=Usage(), model="m", corrected=(("Taipei", "Tainan"),))
    assert quality.result_flags(corrected) == []  # written from the article, not left for the reader
    dropped = Summary(text="t", summaries={"en": "t"}, chunks=1, usage=Usage(), model="m", dropped=("It built 100 centres.",))
    assert quality.result_flags(dropped) == []  # left out, and said so in the warnings
    keyed = Summary(text="t", summaries={"en": "t"}, chunks=1, usage=Usage(), model="m", method="key-sentences",
                    key_sentences=(("標題", "Title."),))
    assert quality.result_flags(keyed) == []  # how it was made, not a finding


CORPUS = quality.corpus_dir()
TAINAN = CORPUS / quality.TAINAN


@pytest.mark.skipif(not TAINAN.exists(), reason=f"the corpus is not at {CORPUS}")
def test_a_run_on_a_scripted_server_writes_the_report(tmp_path):
    english = ("The National Museum of Taiwan History opened the World Island Taiwan exhibition on 1624 in Tainan;"
               " Mayor Huang Wei-che attended. It runs until June 30.")

    def answer(seen):
        body = completion(english, usage={"prompt_tokens": 1500, "completion_tokens": 40, "total_tokens": 1540})
        body["timings"] = TIMINGS
        return Step(body=body)

    output = tmp_path / "QUALITY.md"
    with ScriptedServer(default=answer, models=["qwen-scripted"]) as upstream:
        assert quality.main(["--base-url", upstream.base_url, "--articles", "tainan-1624", "--no-langchain",
                             "--output", str(output)]) == 0
    report = output.read_text(encoding="utf-8")
    assert "model `qwen-scripted`" in report
    assert upstream.base_url not in report  # the command shows a placeholder, not this machine's port
    row = next(line for line in report.splitlines() if line.startswith("| tainan-1624 |"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[3:8] == ["abstractive", "returned", "100%", "no", "–"]  # "qwen-scripted" states no size
    assert cells[10:12] == ["1,500", "40"]
    assert cells[-1] == "6/12"  # 1624, world island, museum, Huang, Tainan, June 30
    # A subset can show that a line fails, never that it holds.
    assert "| 8/8 articles return an English summary" in report
    assert "1/1 ok (only 1 of the 8 corpus articles ran) | – |" in report


def outcome(name: str, **kwargs) -> quality.Outcome:
    o = quality.Outcome(kwargs.pop("tool", "summarize"), quality.Article(name, "文"), **kwargs)
    o.server = {"requests": 1, "prompt_tokens": 100, "completion_tokens": 10, "compute_s": 10.0, "cache_n": 0, "processed": 100,
                **o.server}
    return o


def test_the_done_when_table_judges_each_line():
    seed = outcome(quality.SEED, text="ok", seconds=50.0, english=1.0, found=["a"], missed=[])
    long = outcome(quality.LONG, error="ReadTimeout: the server took too long", seconds=480.0,
                   server={"compute_s": 200.0, "untimed": 3}, found=[], missed=["a", "b"])
    lc_seed = outcome(quality.SEED, tool="langchain-map_reduce", text="ok", seconds=40.0, english=1.0)
    rows = quality.done_when([seed, long], [lc_seed], [], corpus_size=2, model="Qwen2.5-Coder-1.5B-Instruct",
                             translate_asked=False)
    text = "\n".join(rows)
    assert "| 1/2 ok; public-code: ReadTimeout | **no** |" in text
    assert "| 50% (an article that failed counts 0%) | **no** |" in text
    # slower, though no more tokens
    assert "wall 50.0 s vs 40.0 s; tokens 110 vs 110 (computed, less the prompt cache: 110 vs 110) | **no** |" in text
    assert "wall 480.0 s / compute 200.0 s = 2.40×; 3 request(s) without timings" in text
    assert "not measured in this run (pass --translate) | – |" in text


def test_a_client_that_closes_right_after_a_whole_reply_gave_nothing_up():
    # The library closes its connection as soon as a run's last reply is in; the pass-through
    # may see the hang-up before it marks the exchange done: a whole reply is no timeout.
    import socket
    import threading as _threading

    ours, theirs = socket.socketpair()
    theirs.close()
    exchange = quality.Exchange("POST", "/v1/chat/completions", {"model": "m", "messages": []}, time.monotonic())
    exchange.read_event(json.dumps({"choices": [{"delta": {}, "finish_reason": "stop"}]}))
    upstream = type("Upstream", (), {"sock": None})()
    quality.watch_hangup(ours, upstream, _threading.Event(), exchange)
    assert not exchange.abandoned
    cut_off = quality.Exchange("POST", "/v1/chat/completions", {"model": "m", "messages": []}, time.monotonic())
    quality.watch_hangup(ours, upstream, _threading.Event(), cut_off)
    assert cut_off.abandoned
    ours.close()


def test_run_py_pass_through_asks_upstream_for_one_body_and_streams_it_to_a_streaming_client():
    # benchmarks/run.py's live table: summarize streams, and the pass-through read the upstream
    # reply as one JSON body, so every live request failed until the stream fields were dropped.
    import endpoint

    answer = completion("A live summary.", timings=TIMINGS, usage={"prompt_tokens": 960, "completion_tokens": 4})
    with ScriptedServer(default=lambda seen: Step(body=answer)) as upstream:
        usage: list = []
        with endpoint.passthrough(upstream.base_url, "served-model", usage) as proxy:
            raw = post(proxy.base_url + "/chat/completions", {
                "model": "asked", "stream": True, "stream_options": {"include_usage": True},
                "messages": [{"role": "user", "content": "hi"}],
            }).decode()
        (seen,) = upstream.chat_requests
    assert "stream" not in seen.body and "stream_options" not in seen.body and seen.body["model"] == "served-model"
    assert usage == [960]
    events = [json.loads(line[6:]) for line in raw.splitlines() if line.startswith("data: {")]
    assert "".join(e["choices"][0]["delta"].get("content") or "" for e in events if e.get("choices")) == "A live summary."
    assert raw.rstrip().endswith("data: [DONE]") and any(e.get("timings") == TIMINGS for e in events)


def test_run_py_scripted_model_writes_notes_in_english_when_english_is_asked_in_a_chinese_job():
    # summarize asks for English map notes even when the summary is to be Chinese; a scripted
    # model that answered Chinese to them made every note a re-ask and doubled the text sent.
    import endpoint
    from scripted_server import Seen

    from summarize import prompts

    answer = endpoint.responder("summary-zh")

    def text_of(messages):
        step = answer(Seen("POST", "/v1/chat/completions", {}, {"messages": messages}, 0.0))
        return step.body["choices"][0]["message"]["content"]

    assert endpoint.SUMMARY_EN in text_of(prompts.map_messages("臺南市政府今天發布報告。", 1, 2, words=50))
    assert endpoint.SUMMARY_ZH_DRIFT in text_of(prompts.reduce_messages(["A note."], "zh-Hant", words=100))


def test_compare_abstractive_reports_both_methods_side_by_side(tmp_path):
    from fake_translator import translator

    output = tmp_path / "QUALITY.md"
    with ScriptedServer(default=translator(), models=["Qwen2.5-0.5B-scripted"]) as upstream:
        assert quality.main(["--base-url", upstream.base_url, "--articles", "tainan-1624", "--no-langchain",
                             "--compare-abstractive", "--output", str(output)]) == 0
        kinds = [r.kind for r in upstream.chat_requests]
    assert kinds[0] == "key_sentences" and "summarize" in kinds  # the default run first, then the abstractive one
    report = output.read_text(encoding="utf-8")
    section = report.split("## Beside the abstractive method", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| tainan-1624 |")]
    assert [r.split("|")[2].strip().split(" (")[0] for r in rows] == ["key sentences", "abstractive"]
    assert "- **key sentences**: recall" in section and "- **abstractive**: recall" in section
    row = next(line for line in report.splitlines() if line.startswith("| tainan-1624 |"))
    assert row.split("|")[4].strip().startswith("key sentences (")


def test_the_chooser_ceiling_counts_a_fact_only_when_a_chosen_sentence_holds_it():
    import chooser_ceiling

    article = (
        "臺南市政府今日宣布，安平區將新建一座長三百公尺的親水公園，預算共計1.2億元，明年三月動工。"
        "天氣晴朗。"
        "市長黃偉哲表示，公園完工後將與運河夜間導覽船串連，帶動觀光。"
    )
    facts = [
        {"id": "budget", "source": "1.2億元"},
        {"id": "mayor", "source": "黃偉哲"},
        {"id": "weather", "source": "天氣晴朗"},
    ]
    # At one sentence's length only the lead is chosen: the mayor and the weather are in the
    # article but not in what a model would be sent.
    lead = article.split("。")[0] + "。"
    assert [sentence.text for sentence in chooser_ceiling.keysentences.choose(article, len(lead))] == [lead]
    assert [fact["id"] for fact in chooser_ceiling.held(article, facts, len(lead))] == ["budget"]
