"""The benchmark's scripted endpoint: tests/scripted_server.py with answers shaped like a model's.

Every reply opens with a ``<think>…</think>`` block, as Qwen3 and DeepSeek-R1 style models do
when thinking is left on, so a tool that does not remove it leaks it into its output (and into
the reduce requests built from that output). What follows the block depends on the job:

- ``summary``: a fixed English paragraph (about the length of a real partial summary);
- ``summary-zh``: a Traditional-Chinese paragraph with Simplified characters mixed in, the
  drift real models show, so a tool that repairs it can be told from one that does not;
- ``translate``: an obedient translator: one English line per source paragraph, about 2.5
  characters per Chinese character, each starting with the paragraph's marker (``[[7]]``) when
  the request marks its paragraphs, and only the marked ones then (a reference block is not
  translated); asked for a list of names (a prompt that asks for ``name => form`` lines), two names.

Every reply takes the same fixed latency, whatever the request's size, so wall time measures
the schedule (how many requests, how many at once) and nothing else.
"""

from __future__ import annotations

import json
import re
import sys
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from scripted_server import ScriptedServer, Seen, Step  # noqa: E402

THINK = "<think>\nThe user wants this text condensed. Let me list the facts first, then write.\n</think>\n\n"

SUMMARY_EN = (
    "The Tainan City Government reported on the measures it took this year and the results so far. "
    "Officials named the agencies involved, the budget and the timetable, and said the next phase "
    "starts in the spring. Residents and experts were consulted; figures were given for each district."
)

# 台南市政府 … with Simplified forms (发 布 说 检 讨 报 灾 应 变 与 后 续 进) mixed in on purpose.
SUMMARY_ZH_DRIFT = (
    "臺南市政府今天发布年度检讨报告，说明灾害应变措施与后续改进方向。"
    "市府表示，各區公所已完成演練，明年春季將進入下一階段。"
)

MODEL = "scripted"
_HAN = re.compile("[\u3400-\u9fff]")


_MARKER = re.compile(r"^\s*(\[\[[A-Za-z]*\d+\]\])")
_WORDS = ("city", "plan", "said", "new", "year", "work", "people", "model", "report", "road", "water", "school", "data")


def translate(user_text: str) -> str:
    """Fake English for each paragraph of the request, markers kept (see the module docstring)."""
    lines = [line for line in user_text.split("\n") if _HAN.search(line)]
    marked = [line for line in lines if _MARKER.match(line)]
    out = []
    for line in marked or lines:
        match = _MARKER.match(line)
        # About as long as real English (2.5 characters per Chinese one), with the line's figures,
        # so that translate.pair_problems passes it as a real translation.
        # Its words follow the line's characters, so two paragraphs of the same length get two
        # translations: the same words for both would be a reply that merged them.
        han = _HAN.findall(line)
        words = max(2, len(han) * 5 // 8)
        said = [_WORDS[ord(c) % len(_WORDS)] for c in han[1:words]] or ["text"]
        # Whole figures, as the library reads them: 3.2億 is "3.2", 1,805 one figure. A copy of
        # summarize.translate._FIGURE: this module also runs in the comparison tools' venvs, without summarize.
        figures = re.findall(r"\d{1,3}(?:[,，]\d{3})+(?!\d)(?:\.\d+)?|\d+(?:\.\d+)?", line[match.end():] if match else line)
        out.append((match.group(1) + " " if match else "") + " ".join(["Translated", *said, *figures]) + ".")
    return "\n".join(out) or "Translated."


def responder(kind: str):
    """The default responder of a ScriptedServer for a job of ``kind``."""
    if kind not in ("summary", "summary-zh", "translate"):
        raise ValueError(f"unknown job kind {kind!r}; use summary, summary-zh or translate")

    def answer(seen: Seen) -> Step:
        if kind == "summary":
            text = SUMMARY_EN
        elif kind == "summary-zh":
            # A model answers in the language asked: summarize's map notes are asked for in
            # English (one set serves every language of the run), only the summary in Chinese.
            text = SUMMARY_EN if "in English" in seen.task_text else SUMMARY_ZH_DRIFT
        elif '" => "' in seen.system_text or "=> " in seen.system_text:
            text = "臺南市 => Tainan City\n行政院 => Executive Yuan"
        else:
            text = translate(seen.user_text)
        # usage mimics llama-server's: prompt tokens roughly one per 1.5 characters sent.
        sent = sum(len(m.get("content") or "") for m in seen.messages if isinstance(m.get("content"), str))
        usage = {"prompt_tokens": sent * 2 // 3, "completion_tokens": len(text) // 4, "total_tokens": 0}
        return Step.reply(THINK + text, usage=usage, model=MODEL)

    return answer


def server(kind: str, latency: float) -> ScriptedServer:
    """A scripted server for one job; use as a context manager."""
    return ScriptedServer(default=responder(kind), models=[MODEL], latency=latency)


def upstream_model(base_url: str) -> str:
    """The first model a real endpoint lists."""
    with urllib.request.urlopen(base_url.rstrip("/") + "/models", timeout=30) as response:
        return json.load(response)["data"][0]["id"]


def passthrough(base_url: str, model: str, usage: list) -> ScriptedServer:
    """A recording pass-through to a real endpoint: every request is recorded as on the scripted
    server, forwarded with its model set to ``model``, and the reply's prompt tokens appended to ``usage``."""

    def forward(seen: Seen) -> Step:
        # Asked for one JSON body: the scripted server streams it on to a client that asked for a
        # stream (summarize does), with the usage and llama.cpp timings of the body.
        body = {k: v for k, v in (seen.body or {}).items() if k not in ("stream", "stream_options")}
        body["model"] = model
        request = urllib.request.Request(
            base_url.rstrip("/") + "/chat/completions",
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=900) as response:
                reply = json.load(response)
        except urllib.error.HTTPError as exc:
            return Step(status=exc.code, body=exc.read())
        usage.append((reply.get("usage") or {}).get("prompt_tokens"))
        return Step(body=reply)

    return ScriptedServer(default=forward, models=[model])
