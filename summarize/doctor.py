"""``summarize doctor``: check the configured endpoint and say what to fix.

Checks, in order: the endpoint answers ``GET /models``; the model to use is served; one tiny
completion works; the model does not leak thinking (a reasoning field, or inline ``<think>``);
the context window, when the server reports one (llama.cpp ``/props`` ``n_ctx``, vLLM
``/models`` ``max_model_len``, Ollama ``/api/show``), matches ``SUMMARIZE_CONTEXT_TOKENS``; and
the server's prompt and generation speed, measured with one request of a few hundred tokens,
lets ``SUMMARIZE_TIMEOUT`` cover a full-context request.

The metadata probes are plain GET/POSTs of server-specific paths on the HTTP client the openai
SDK uses (``summarize.transport.http_client``: one set of proxy, TLS and redirect rules, so the key
never follows a redirect to another origin); the model calls go through ``summarize.client``
like every other. Every request has an overall deadline, so a server that drips its answer a
byte at a time cannot hold doctor: ``SUMMARIZE_TIMEOUT`` (at most 10 s for the probes); and a
probe reads at most ``MAX_PROBE_BYTES`` of a body, so a runaway one cannot fill memory. A field
of another shape than the server's own (a string where llama.cpp sends an object, a context of
``true`` or ``-5``) counts as not stated, as a missing one does.
"""

from __future__ import annotations

import asyncio
import math
import time
from dataclasses import dataclass, replace
from typing import Any

from . import presets
from .classify import tls_failure
from .client import ChatClient, Reply, usable_ids
from .config import ABSTRACTIVE, AUTO, KEY_SENTENCES, Settings
from .keysentences import model_size, parameters_in_listing, uses_key_sentences
from .errors import EndpointError, SummarizeError, TruncatedOutputError
from .text import parse_json, printable, without_keys
from .transport import MAX_SIDE_BODY_BYTES, BodyCapped, http_client

OK, WARN, FAIL = "ok", "warn", "fail"
PROBE_DEADLINE = 10.0  # seconds for a metadata probe: an answer or nothing, quickly
# Of a probe's body, decoded: the cap a run puts on the bodies openai reads whole (a listing of
# thousands of models is well under 1 MB; past it the answer is no listing).
MAX_PROBE_BYTES = MAX_SIDE_BODY_BYTES


@dataclass(frozen=True)
class Check:
    """One finding: a status (ok / warn / fail), what was seen, and what to do about it."""

    name: str
    status: str
    detail: str
    fix: str = ""


class _Deadline(Exception):
    """A request got no complete answer within its deadline."""


class _Status(Exception):
    """A request was answered with an HTTP error status."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(f"{code} {reason}")
        self.code = code
        self.reason = reason


class _TooLarge(Exception):
    """An answer's body ran past ``MAX_PROBE_BYTES``; the rest was not read."""


class _NotJSON(Exception):
    """A request was answered with a body that is not JSON (a web page, a proxy's notice)."""

    def __init__(self, content_type: str) -> None:
        super().__init__(f"the body is not JSON ({content_type or 'no Content-Type'})")


class _NotListing(Exception):
    """``GET /models`` answered JSON of another shape than an OpenAI model listing."""


def _server_root(base_url: str) -> str:
    root = base_url.rstrip("/")
    return root[: -len("/v1")] if root.endswith("/v1") else root


def _redact(text: str, settings: Settings) -> str:
    """``text`` without the key: servers echo it, in bodies and in reason phrases."""
    return without_keys(text, (settings.api_key,))


class _Probes:
    """GET/POST of JSON paths with the key, on the SDK's HTTP client, each under a deadline."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.deadline = min(settings.timeout, PROBE_DEADLINE)
        self._http = http_client(self.deadline)

    async def __aenter__(self) -> _Probes:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._http.aclose()

    async def json(self, url: str, body: Any = None) -> Any:
        """The JSON at ``url``.

        Raises:
            _Deadline: no complete answer within the deadline.
            _Status: an HTTP error status.
            _TooLarge: a body past ``MAX_PROBE_BYTES``.
            _NotJSON: an answer that is not JSON.
            Exception: whatever the transport raises (unreachable, TLS, ...).
        """
        headers = {"Accept": "application/json", "Authorization": f"Bearer {self.settings.resolved_api_key()}"}
        request = self._http.build_request("POST" if body is not None else "GET", url, json=body, headers=headers)
        try:
            response, content = await asyncio.wait_for(self._read(request), self.deadline)
        except asyncio.TimeoutError:
            raise _Deadline from None
        if response.status_code >= 400:
            raise _Status(response.status_code, response.reason_phrase)
        try:
            return parse_json(content)  # bytes: the encoding (UTF-8, -16, -32, a BOM) is detected
        except ValueError:  # not JSON, or not text at all
            raise _NotJSON(response.headers.get("content-type", "")) from None

    async def _read(self, request: Any) -> tuple[Any, bytes]:
        """The response to ``request`` and its body, read as it streams in, never past ``MAX_PROBE_BYTES``.

        An error status's body is not read: only the status and reason phrase are reported. The
        HTTP client caps a ``/models`` listing itself (``transport.BodyCapped``); the other probes'
        answers are capped here, at the same size.

        Raises:
            _TooLarge: the body ran past ``MAX_PROBE_BYTES`` (the connection is closed there).
        """
        response = await self._http.send(request, stream=True)
        try:
            content = bytearray()
            if response.status_code < 400:
                async for chunk in response.aiter_bytes():
                    content += chunk
                    if len(content) > MAX_PROBE_BYTES:
                        raise _TooLarge
            return response, bytes(content)
        except BodyCapped:
            raise _TooLarge from None
        finally:
            await response.aclose()

    async def probe(self, url: str, body: Any = None) -> Any:
        """JSON from a server-specific path, or ``None`` when the server has no such path."""
        try:
            return await self.json(url, body)
        except Exception:  # any failure means the same here: this server does not say
            return None


def _json_kind(value: Any) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean", type(None): "null"}
    return names.get(type(value), "a number")


def _listing(body: Any) -> list[Any]:
    """The entries of an OpenAI model listing: an object whose ``data`` is a list.

    Raises:
        _NotListing: saying what the body is instead.
    """
    if not isinstance(body, dict):
        raise _NotListing(f"the JSON is {_json_kind(body)}, not an object with a \"data\" list")
    if "data" not in body:
        raise _NotListing('the JSON object has no "data" list')
    if not isinstance(body["data"], list):
        raise _NotListing(f'its "data" is {_json_kind(body["data"])}, not a list')
    return body["data"]


def _context_size(value: Any) -> int | None:
    """A context window as a server states one: a positive whole number, else ``None`` (not stated).

    JSON ``true`` is an ``int`` to Python; it, and zero or less, would otherwise come out as
    "set SUMMARIZE_CONTEXT_TOKENS=True".
    """
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def _entries(count: int) -> str:
    return f"{count} entry" if count == 1 else f"{count} entries"


async def server_context(probes: _Probes, model: str, models_body: Any) -> tuple[int | None, str]:
    """The context window the server reports, and where it said so."""
    for entry in (models_body or {}).get("data", []) if isinstance(models_body, dict) else []:
        if isinstance(entry, dict) and entry.get("id") == model and (size := _context_size(entry.get("max_model_len"))):
            return size, "vLLM /models max_model_len"
    root = _server_root(probes.settings.base_url)
    props = await probes.probe(f"{root}/props")
    # A field in another shape than the server's own says nothing, as a missing one does: any
    # server (or a proxy's error page) can answer these paths, and doctor must not trip on it.
    if isinstance(props, dict):
        generation = props.get("default_generation_settings")
        n_ctx = _context_size(generation.get("n_ctx") if isinstance(generation, dict) else None)
        if n_ctx := n_ctx or _context_size(props.get("n_ctx")):
            return n_ctx, "llama.cpp /props n_ctx"
    show = await probes.probe(f"{root}/api/show", {"model": model})
    parameters = show.get("parameters") if isinstance(show, dict) else None
    model_info = show.get("model_info") if isinstance(show, dict) else None
    parameters = parameters if isinstance(parameters, str) else None  # Ollama: "name value" lines
    model_info = model_info if isinstance(model_info, dict) else None
    if parameters is not None or model_info is not None:
        for line in (parameters or "").splitlines():
            parts = line.split()
            # ASCII digits only: "²" is a digit to str.isdigit, and int() refuses it.
            if len(parts) == 2 and parts[0] == "num_ctx" and parts[1].isascii() and parts[1].isdigit():
                if num_ctx := _context_size(int(parts[1])):
                    return num_ctx, "Ollama /api/show num_ctx"
        trained = next(
            (
                size
                for k, v in (model_info or {}).items()
                if k.endswith(".context_length") and (size := _context_size(v))
            ),
            None,
        )
        detail = f"Ollama's default (the model was trained for {trained})" if trained else "Ollama's default"
        return 4096, detail + "; OLLAMA_CONTEXT_LENGTH or num_ctx raises it"
    return None, ""


async def diagnose(settings: Settings) -> list[Check]:
    """Every check's finding, stopping early when the endpoint cannot be used at all.

    No finding holds the key, even when the server echoes it.
    """
    settings = settings.replace(cache=False, max_retries=0)
    checks = await _diagnose(settings)
    return [replace(c, detail=_shown(c.detail, settings), fix=_shown(c.fix, settings)) for c in checks]


def _shown(text: str, settings: Settings) -> str:
    """A finding as it can be printed: without the key, and on one line without what a terminal
    would act on (model ids, reasons and replies come from the server: an escape sequence in a
    model id retitled or cleared the terminal; a newline could forge a finding)."""
    return " ".join(printable(_redact(text, settings)).split()) if text else text


async def _diagnose(settings: Settings) -> list[Check]:
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
    async with _Probes(settings) as probes:
        listed, unlisted = True, 0  # whether the server has a model listing at all; its status if not
        try:
            models_body = await probes.json(f"{settings.base_url}/models")
            entries = _listing(models_body)
        except _Status as exc:
            if exc.code in (404, 405) and settings.model:
                # Some OpenAI-compatible servers and gateways serve chat completions without a
                # /models listing; with the model set, a run needs none: the completion decides.
                listed, models_body, entries, unlisted = False, None, [], exc.code
            else:
                withheld = settings.withheld_note()
                fix = (
                    "check SUMMARIZE_BASE_URL (it usually ends in /v1)" if exc.code not in (401, 403)
                    else f"set SUMMARIZE_API_KEY: {withheld}" if withheld else "check SUMMARIZE_API_KEY"
                )
                detail = f"GET {settings.base_url}/models answered {exc.code} {exc.reason}"
                return [*checks, Check("reachable", FAIL, detail, fix)]
        except _Deadline:
            detail = f"GET {settings.base_url}/models sent no complete answer within {probes.deadline:g} s"
            fix = "check the server (it is stuck or far too slow); SUMMARIZE_TIMEOUT bounds every request"
            return [*checks, Check("reachable", FAIL, detail, fix)]
        except _TooLarge:
            detail = (
                f"GET {settings.base_url}/models sent more than {MAX_PROBE_BYTES // 2**20} MB, far more than a model "
                "listing; doctor stopped reading it"
            )
            fix = "set SUMMARIZE_BASE_URL / --base-url to the server's OpenAI-compatible API (it usually ends in /v1)"
            return [*checks, Check("reachable", FAIL, detail, fix)]
        except (_NotJSON, _NotListing) as exc:
            # Something answered: a web server, a proxy, or another API than the OpenAI-compatible one.
            detail = f"GET {settings.base_url}/models answered, but not with an OpenAI model listing: {exc}"
            fix = "set SUMMARIZE_BASE_URL / --base-url to the server's OpenAI-compatible API (it usually ends in /v1)"
            return [*checks, Check("reachable", FAIL, detail, fix)]
        except Exception as exc:  # unreachable, TLS, a broken transfer: one finding
            reason = getattr(exc, "reason", None) or str(exc) or type(exc).__name__
            # A server speaking plain HTTP to https:// is running: "start the server" sent the user the wrong way.
            tls = tls_failure(exc)
            fix = f"{tls} (SUMMARIZE_BASE_URL / --base-url)" if tls else (
                "start the server, or set SUMMARIZE_BASE_URL / --base-url (or --preset) to where it runs"
            )
            return [*checks, Check("reachable", FAIL, f"cannot reach {settings.base_url}/models: {reason}", fix)]
        served = usable_ids(m.get("id") for m in entries if isinstance(m, dict))
        unusable = len(entries) - len(served)
        skipped = f" ({_entries(unusable)} without a usable id skipped)" if unusable else ""
        names = f": {', '.join(served[:5])}" if served else ""
        if listed:
            checks.append(Check("reachable", OK, f"GET /models lists {len(served)} model(s){names}{skipped}"))
        else:
            checks.append(
                Check(
                    "reachable", WARN,
                    f"GET {settings.base_url}/models answered {unlisted}: the server lists no models; the model is set "
                    f"({settings.model}), so a completion decides whether it is served",
                    "if the completion fails too, check SUMMARIZE_BASE_URL (it usually ends in /v1)",
                )
            )
        if not listed:
            model = str(settings.model)
        elif settings.model is None:
            if not served and unusable:
                return [
                    *checks,
                    Check(
                        "model",
                        FAIL,
                        f"no model is set and /models lists no usable id ({_entries(unusable)}, none with a "
                        'string "id"), so summarize cannot choose one',
                        "set SUMMARIZE_MODEL or pass --model",
                    ),
                ]
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
        elif (model := settings.model) in served:
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
        checks.append(_method_check(settings, model, models_body))
        checks.append(_plan_check(settings, model, models_body))
        async with ChatClient(settings) as client:
            tiny: tuple[Reply, float] | None = None
            try:
                tiny = await _timed_chat(
                    client,
                    settings,
                    [{"role": "system", "content": "Answer with one word."}, {"role": "user", "content": "Say OK."}],
                    model,
                )
            except TruncatedOutputError as exc:
                checks.append(
                    Check("completion", FAIL, f"a one-word answer ran out of tokens: {exc}", _thinking_fix(settings, model))
                )
            except _Deadline:
                return [*checks, _too_slow("completion", "a one-word answer", settings)]
            except EndpointError as exc:
                return [
                    *checks,
                    Check("completion", FAIL, str(exc), "see the message; `summarize doctor --debug` shows the cause"),
                ]
            if tiny is not None:
                reply, elapsed = tiny
                checks.append(Check("completion", OK, f"answered {reply.text[:40]!r} in {elapsed:.2f} s"))
                if reply.reasoning:
                    checks.append(
                        Check(
                            "thinking",
                            WARN,
                            f"the model thinks ({len(reply.reasoning)} characters of reasoning came back); summaries "
                            "stay clean (reasoning is removed) but thinking costs tokens and time",
                            _thinking_fix(settings, model),
                        )
                    )
                else:
                    checks.append(Check("thinking", OK, "no reasoning came back"))
            checks.append(await _context_check(probes, settings, model, models_body))
            if tiny is not None:
                checks.append(await _speed_check(client, settings, model, tiny))
    return checks


async def _timed_chat(
    client: ChatClient, settings: Settings, messages: list[dict[str, str]], model: str, max_tokens: int = 256
) -> tuple[Reply, float]:
    """One chat request under the overall deadline ``SUMMARIZE_TIMEOUT``, and its wall time.

    Raises:
        _Deadline: no complete answer in time (the SDK's timeout bounds only each read).
    """
    start = time.perf_counter()
    try:
        reply = await asyncio.wait_for(
            client.chat(messages, model=model, max_tokens=min(max_tokens, settings.output_tokens)), settings.timeout
        )
    except asyncio.TimeoutError:
        raise _Deadline from None
    return reply, time.perf_counter() - start


def _listed_size(model: str, models_body: Any) -> float | None:
    """The parameter count ``/models`` states for ``model`` (llama.cpp's ``meta.n_params``)."""
    entries = models_body.get("data", []) if isinstance(models_body, dict) else []
    entry = next((m for m in entries if isinstance(m, dict) and m.get("id") == model), {})
    return parameters_in_listing(entry.get("meta"))


def _method_check(settings: Settings, model: str, models_body: Any) -> Check:
    """Which way summaries will be written for ``model`` (``keysentences.uses_key_sentences``)."""
    listed = _listed_size(model, models_body)
    size, where = model_size(model, listed)
    said = f"{model} has {size / 1e9:.2g}B parameters ({where})" if size else f"the size of {model} is not known"
    if uses_key_sentences(settings.method, model, listed):
        why = f"{said}; " if settings.method == AUTO else "SUMMARIZE_METHOD=key-sentences; "
        other = " (SUMMARIZE_METHOD=abstractive has the model read the whole article)" if settings.method == AUTO else ""
        return Check("method", OK, f"key sentences: {why}summaries translate the article's key sentences, chosen offline{other}")
    why = f"{said}; " if settings.method == AUTO else "SUMMARIZE_METHOD=abstractive; "
    return Check("method", OK, f"abstractive: {why}the model reads the article and writes the summary")


# A short article of our own, planned as a run would plan it (no request is sent).
PLAN_SAMPLE = "臺南市政府今天宣布，明年起擴大補助社區防災演練，經費約新臺幣三百萬元。各區公所將於三月前提出計畫。"


def _plan_check(settings: Settings, model: str, models_body: Any) -> Check:
    """Whether a run with these settings gets as far as its first request: the checks it makes
    before sending anything (tokenizer, glossary, chunk and reply budgets), on a short article.

    A setting every run stops at (SUMMARIZE_TOKENIZER=cl100k_base without its file, a glossary
    that is not there, SUMMARIZE_OUTPUT_TOKENS below what the summary asks for) was reported
    as ready.
    """
    from .glossary import resolve_glossary
    from .plan import plan_article

    method = KEY_SENTENCES if uses_key_sentences(settings.method, model, _listed_size(model, models_body)) else ABSTRACTIVE
    try:
        resolve_glossary(None, settings)
        plan = plan_article(PLAN_SAMPLE, settings.replace(model=model, method=method))
    except SummarizeError as exc:
        return Check("plan", FAIL, str(exc), "every run stops here, before any request: change the setting it names")
    return Check("plan", OK, f"a short article plans as {plan.requests} request(s); tokens counted with {plan.tokenizer_reason}")


def _too_slow(name: str, what: str, settings: Settings) -> Check:
    return Check(
        name,
        FAIL,
        f"{what} did not come back within {settings.timeout:g} s (SUMMARIZE_TIMEOUT)",
        "check the server (stuck, or still loading the model), or raise SUMMARIZE_TIMEOUT for a slow one",
    )


async def _context_check(probes: _Probes, settings: Settings, model: str, models_body: Any) -> Check:
    context, where = await server_context(probes, model, models_body)
    if context is None:
        return Check("context", OK, f"the server does not report its context; assuming {settings.context_tokens}")
    if context < settings.context_tokens:
        return Check(
            "context",
            FAIL,
            f"the server's context is {context} ({where}) but summarize assumes {settings.context_tokens}",
            f"set SUMMARIZE_CONTEXT_TOKENS={context}, or start the server with a larger context",
        )
    if context > settings.context_tokens:
        return Check(
            "context",
            WARN,
            f"the server's context is {context} ({where}); summarize assumes {settings.context_tokens}",
            f"set SUMMARIZE_CONTEXT_TOKENS={context} for fewer, larger chunks",
        )
    return Check("context", OK, f"{context} ({where}) matches SUMMARIZE_CONTEXT_TOKENS")


# About 400 prompt tokens in any common tokenizer and a reply of a few dozen, nothing a model
# needs to think about: generation speed measured over one token is mostly start-up.
_SPEED_PROMPT = (
    "Here is a list of numbered items.\n"
    + " ".join(f"item {i};" for i in range(1, 131))
    + "\nWrite the numbers from 1 to 20, separated by spaces, and nothing else."
)


def _positive(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0 else None


# Token speeds a server can report and mean: a fraction of a token a second is a stuck server,
# ten million a second no server; past these the reported timings are not measurements (a
# speed of 5e-324 made a full-context request take "inf" seconds, and the advice crashed).
PLAUSIBLE_SPEED = (0.01, 1e7)


def _speed(value: Any) -> float | None:
    """A tokens-per-second figure from ``timings``, if it is one a server could mean."""
    speed = _positive(value)
    return speed if speed is not None and PLAUSIBLE_SPEED[0] <= speed <= PLAUSIBLE_SPEED[1] else None


async def _speed_check(client: ChatClient, settings: Settings, model: str, tiny: tuple[Reply, float]) -> Check:
    """Can ``SUMMARIZE_TIMEOUT`` cover a request that fills the context? Measured, not guessed.

    llama.cpp reports its own ``timings`` (prompt and generation tokens per second). Other
    servers give wall time and usage only: a request's whole time over its prompt tokens, or over
    its reply tokens, counts all of it against one part, so the estimate they give is an upper
    bound. That bound is useful for a server on this machine or network, where computing the
    tokens is the time; to a hosted service the round trip dominates a short request and the
    bound would say nothing, so without timings its speed is reported, not extrapolated.
    """
    messages = [
        {"role": "system", "content": "Follow the instruction exactly."},
        {"role": "user", "content": _SPEED_PROMPT},
    ]
    try:
        reply, elapsed = await _timed_chat(client, settings, messages, model, max_tokens=96)
    except _Deadline:
        return _too_slow("speed", "a request of a few hundred tokens", settings)
    except SummarizeError as exc:
        return Check("speed", WARN, f"could not measure the server's speed: {exc}")
    if client.prompt_cut:
        # Its count is of what it kept: no speed follows from it, and every run would be flagged.
        return Check(
            "prompt",
            FAIL,
            f"{client.prompt_cut}: the server cuts prompts to a smaller context window, so summaries miss text "
            "(every run is flagged prompt-cut)",
            client.prompt_cut_fix(),
        )
    prompt, reply_tokens = settings.context_tokens - settings.output_tokens, settings.output_tokens
    timings = reply.timings or {}
    prompt_speed = _speed(timings.get("prompt_per_second"))
    generation_speed = _speed(timings.get("predicted_per_second"))
    if prompt_speed and generation_speed:
        seconds = prompt / prompt_speed + reply_tokens / generation_speed
        measured = f"prompt {prompt_speed:.0f} tokens/s, generation {generation_speed:.0f} tokens/s (llama.cpp timings)"
        takes = f"takes about {seconds:.0f} s"
    else:
        tiny_reply, tiny_elapsed = tiny
        p = _positive(reply.prompt_tokens)
        # Seconds per reply token: each request's whole time over its reply tokens bounds it; the tighter wins.
        bounds = ((elapsed, reply.completion_tokens), (tiny_elapsed, tiny_reply.completion_tokens))
        per_token = [t / c for t, c in ((t, _positive(c)) for t, c in bounds) if c]
        if not p or not per_token:
            return Check("speed", OK, "the server reports no token counts; the speed was not measured")
        if not settings.is_local:
            return Check(
                "speed",
                OK,
                f"{p:.0f} prompt tokens and a short reply took {elapsed:.2f} s; a full-context request is "
                "not estimated for a hosted service (the round trip dominates a short request)",
            )
        seconds = prompt * elapsed / p + reply_tokens * min(per_token)
        measured = (
            f"prompt at least {p / elapsed:.0f} tokens/s, generation at least {1 / min(per_token):.0f} tokens/s "
            "(wall time)"
        )
        takes = f"takes at most about {seconds:.0f} s"
    full = f"a full-context request ({prompt} prompt + {reply_tokens} reply tokens) {takes}"
    if seconds <= settings.timeout:
        return Check("speed", OK, f"{measured}: {full}, within SUMMARIZE_TIMEOUT={settings.timeout:g}")
    enough = math.ceil(seconds * 1.2 / 10) * 10  # a fifth more, for longer prompts running slower per token
    return Check(
        "speed",
        WARN,
        f"{measured}: {full}, more than SUMMARIZE_TIMEOUT={settings.timeout:g}, so long articles will time out",
        f"set SUMMARIZE_TIMEOUT={enough} (or a smaller SUMMARIZE_CONTEXT_TOKENS, or a faster server)",
    )


def _thinking_fix(settings: Settings, model: str) -> str:
    if presets.qwen_thinking(model) == presets.THINKING:
        return (
            f"{model} always thinks (no switch turns it off): choose a non-thinking model, such as its "
            "Instruct-2507 variant"
        )
    # The preset the client really used: named, or recognised from a hosted service's URL.
    preset = presets.for_request(settings.preset, settings.base_url)
    if preset is None:
        return (
            f"pass --preset (one of {', '.join(presets.PRESETS)}) so thinking is turned off the way your server expects"
        )
    if preset.thinking_off == "model":
        return f"{preset.name} has no switch for thinking: choose a non-thinking model"
    return (
        f"the {preset.name} preset's switch ({preset.thinking_off}) did not stop it: choose a non-thinking model "
        "or raise SUMMARIZE_OUTPUT_TOKENS"
    )
