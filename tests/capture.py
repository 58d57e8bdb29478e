"""An openai client that keeps every HTTP request it sends, so tests see exactly what went out.

Works in every mode (replay, record, live): it sits in front of whatever answers.
"""

from __future__ import annotations

import json

import httpx2
import openai

from summarize import Settings


class Capture:
    def __init__(self, settings: Settings) -> None:
        self.paths: list[str] = []
        self.bodies: list[dict] = []
        http = httpx2.AsyncClient(event_hooks={"request": [self._keep]}, timeout=settings.timeout)
        self.client = openai.AsyncOpenAI(base_url=settings.base_url, api_key=settings.resolved_api_key(), http_client=http)

    async def _keep(self, request) -> None:
        self.paths.append(request.url.path)
        if request.content:
            self.bodies.append(json.loads(request.content))

    def chats(self) -> list[tuple[str, str]]:
        """(system, user) of every chat request, in the order sent."""
        return [
            tuple(next(m["content"] for m in body["messages"] if m["role"] == role) for role in ("system", "user"))
            for body in self.bodies
            if "messages" in body
        ]

    def user_texts(self) -> list[str]:
        return [user for _, user in self.chats()]
