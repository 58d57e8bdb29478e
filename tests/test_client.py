"""The client module's pure parts: think removal and request shape."""

from __future__ import annotations

import pytest

from summarize import Settings
from summarize.client import ChatClient, strip_think


@pytest.mark.parametrize(
    "raw, clean",
    [
        ("<think>let me see</think>\n\nThe summary.", "The summary."),
        ("<think></think>The summary.", "The summary."),
        ("<think>\n\n</think>\n\nThe summary.", "The summary."),
        ("The summary.", "The summary."),
        ("reasoning without opening</think>The summary.", "The summary."),
        ("<think>still thinking when the budget ran out", ""),
        ("  <THINK>a</THINK> Two <think>b</think>parts.", "Two parts."),
        (None, ""),
    ],
)
def test_strip_think(raw, clean):
    assert strip_think(raw) == clean


def test_qwen3_gets_thinking_turned_off_and_others_do_not():
    client = ChatClient(Settings(base_url="http://localhost:8000/v1"))
    qwen = client.request_options("Qwen/Qwen3-8B", 100)
    assert qwen["extra_body"] == {"chat_template_kwargs": {"enable_thinking": False}}
    assert "extra_body" not in client.request_options("llama3.1:8b", 100)
    assert qwen["max_tokens"] == 100


def test_building_a_client_object_makes_no_openai_client():
    client = ChatClient(Settings())  # no key for OpenAI: fine until a request is made
    assert client._client is None
