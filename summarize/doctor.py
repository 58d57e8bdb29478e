"""``summarize doctor``: check the configured endpoint and say what to fix.

Checks, in order: the endpoint answers ``GET /models``; the model to use is served; one tiny
completion works; the model does not leak thinking (a reasoning field, or inline ``<think>``);
and the context window, when the server reports one (llama.cpp ``/props`` ``n_ctx``, vLLM
``/models`` ``max_model_len``, Ollama ``/api/show``), matches ``SUMMARIZE_CONTEXT_TOKENS``.

The metadata probes are plain HTTP GET/POSTs of server-specific paths (``urllib``); the one
model call goes through ``summarize.client`` like every other.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from . import presets
from .client import ChatClient
from .config import Settings
from .errors import EndpointError, SummarizeError, TruncatedOutputError

OK, WARN, FAIL = "ok", "warn", "fail"


@dataclass(frozen=True)
class Check:
    """One finding: a status (ok / warn / fail), what was seen, and what to do about it."""

    name: str
    status: str
    detail: str
    fix: str = ""


def _server_root(base_url: str) -> str:
    root = base_url.rstrip("/")
    return root[: -len("/v1")] if root.endswith("/v1") else root


def _http_json(url: str, settings: Settings, body: Any = None, timeout: float = 10.0) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method="POST" if data else "GET")
    request.add_header("Accept", "application/json")
    if data:
        request.add_header("Content-Type", "application/json")
    key = settings.api_key
    if key:
        request.add_header("Authorization", f"Bearer {key}")
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read().decode("utf-8"))


def _probe(url: str, settings: Settings, body: Any = None) -> Any:
    """JSON from a server-specific path, or ``None`` when the server has no such path."""
    try:
        return _http_json(url, settings, body, timeout=min(settings.timeout, 10.0))
    except (OSError, ValueError):
        return None


def server_context(settings: Settings, model: str, models_body: Any) -> tuple[int | None, str]:
    """The context window the server reports, and where it said so."""
    for entry in (models_body or {}).get("data", []) if isinstance(models_body, dict) else []:
        if isinstance(entry, dict) and entry.get("id") == model and isinstance(entry.get("max_model_len"), int):
            return entry["max_model_len"], "vLLM /models max_model_len"
    root = _server_root(settings.base_url)
    props = _probe(f"{root}/props", settings)
    if isinstance(props, dict):
        n_ctx = (props.get("default_generation_settings") or {}).get("n_ctx") or props.get("n_ctx")
        if isinstance(n_ctx, int):
            return n_ctx, "llama.cpp /props n_ctx"
    show = _probe(f"{root}/api/show", settings, {"model": model})
    if isinstance(show, dict) and ("model_info" in show or "parameters" in show):
        for line in str(show.get("parameters") or "").splitlines():
            parts = line.split()
            if len(parts) == 2 and parts[0] == "num_ctx" and parts[1].isdigit():
                return int(parts[1]), "Ollama /api/show num_ctx"
        trained = next(
            (
                v
                for k, v in (show.get("model_info") or {}).items()
                if k.endswith(".context_length") and isinstance(v, int)
            ),
            None,
        )
        detail = f"Ollama's default (the model was trained for {trained})" if trained else "Ollama's default"
        return 4096, detail + "; OLLAMA_CONTEXT_LENGTH or num_ctx raises it"
    return None, ""


async def diagnose(settings: Settings) -> list[Check]:
    """Every check's finding, stopping early when the endpoint cannot be used at all."""
    settings = settings.replace(cache=False, max_retries=0)
    checks = [
        Check(
            "settings",
            OK,
            f"base URL {settings.base_url}, model {settings.model or '(ask /models)'}, "
            f"preset {settings.preset or '(none)'}, context {settings.context_tokens}, timeout {settings.timeout:g} s",
        )
    ]
    try:
        settings.resolved_api_key()
    except SummarizeError as exc:
        return [*checks, Check("key", FAIL, str(exc), "set SUMMARIZE_API_KEY")]
    try:
        models_body = _http_json(f"{settings.base_url}/models", settings, timeout=min(settings.timeout, 10.0))
        served = [m.get("id") for m in models_body.get("data", []) if isinstance(m, dict)]
    except urllib.error.HTTPError as exc:
        fix = (
            "check SUMMARIZE_API_KEY" if exc.code in (401, 403) else "check SUMMARIZE_BASE_URL (it usually ends in /v1)"
        )
        return [
            *checks,
            Check("reachable", FAIL, f"GET {settings.base_url}/models answered {exc.code} {exc.reason}", fix),
        ]
    except (OSError, ValueError, AttributeError) as exc:
        reason = getattr(exc, "reason", exc)
        return [
            *checks,
            Check(
                "reachable",
                FAIL,
                f"cannot reach {settings.base_url}/models: {reason}",
                "start the server, or set SUMMARIZE_BASE_URL / --base-url (or --preset) to where it runs",
            ),
        ]
    checks.append(
        Check("reachable", OK, f"GET /models lists {len(served)} model(s): {', '.join(map(str, served[:5]))}")
    )
    model = settings.model
    if model is None:
        if len(served) != 1:
            return [
                *checks,
                Check(
                    "model",
                    FAIL,
                    f"no model is set and the server lists {len(served)}",
                    "set SUMMARIZE_MODEL or pass --model",
                ),
            ]
        model = served[0]
        checks.append(Check("model", OK, f"using the only model listed: {model}"))
    elif model in served:
        checks.append(Check("model", OK, f"{model} is served"))
    else:
        checks.append(
            Check(
                "model",
                WARN,
                f"{model} is not in /models (some servers list aliases only)",
                "set SUMMARIZE_MODEL to a listed model if the completion fails",
            )
        )
    async with ChatClient(settings) as client:
        start = time.perf_counter()
        try:
            reply = await client.chat(
                [{"role": "system", "content": "Answer with one word."}, {"role": "user", "content": "Say OK."}],
                model=model,
                max_tokens=min(256, settings.output_tokens),
            )
        except TruncatedOutputError as exc:
            checks.append(
                Check("completion", FAIL, f"a one-word answer ran out of tokens: {exc}", _thinking_fix(settings))
            )
            reply = None
        except EndpointError as exc:
            return [
                *checks,
                Check("completion", FAIL, str(exc), "see the message; `summarize doctor --debug` shows the cause"),
            ]
        if reply is not None:
            elapsed = time.perf_counter() - start
            checks.append(Check("completion", OK, f"answered {reply.text[:40]!r} in {elapsed:.2f} s"))
            if reply.reasoning:
                checks.append(
                    Check(
                        "thinking",
                        WARN,
                        f"the model thinks ({len(reply.reasoning)} characters of reasoning came back); summaries stay "
                        "clean (reasoning is removed) but thinking costs tokens and time",
                        _thinking_fix(settings),
                    )
                )
            else:
                checks.append(Check("thinking", OK, "no reasoning came back"))
    context, where = server_context(settings, model, models_body)
    if context is None:
        checks.append(
            Check("context", OK, f"the server does not report its context; assuming {settings.context_tokens}")
        )
    elif context < settings.context_tokens:
        checks.append(
            Check(
                "context",
                FAIL,
                f"the server's context is {context} ({where}) but summarize assumes {settings.context_tokens}",
                f"set SUMMARIZE_CONTEXT_TOKENS={context}, or start the server with a larger context",
            )
        )
    elif context > settings.context_tokens:
        checks.append(
            Check(
                "context",
                WARN,
                f"the server's context is {context} ({where}); summarize assumes {settings.context_tokens}",
                f"set SUMMARIZE_CONTEXT_TOKENS={context} for fewer, larger chunks",
            )
        )
    else:
        checks.append(Check("context", OK, f"{context} ({where}) matches SUMMARIZE_CONTEXT_TOKENS"))
    return checks


def _thinking_fix(settings: Settings) -> str:
    # The preset the client really used: named, or recognised from a hosted service's URL.
    preset = presets.for_request(settings.preset, settings.base_url)
    if preset is None:
        return (
            f"pass --preset (one of {', '.join(presets.PRESETS)}) so thinking is turned off the way your server expects"
        )
    if preset.thinking_off == "model":
        return f"{preset.name} has no switch for thinking: choose a non-thinking model"
    return f"the {preset.name} preset's switch ({preset.thinking_off}) did not stop it: choose a non-thinking model or raise SUMMARIZE_OUTPUT_TOKENS"
