"""A scripted OpenAI Files + Batches API on a free loopback port, for ``summarize batch submit`` tests.

It takes uploads (multipart, purpose ``batch``), creates batches, and moves each one along a
status per retrieve: ``validating`` → ``in_progress`` → ``completed``. When a batch completes,
every line of its input file is answered by ``engine(line)`` (a result line, or ``None`` for a
line the batch never got to, as when one expires); lines with status 200 go to the output
file, the rest to the error file, both in reverse order, since real batches keep no order.
``hold = True`` keeps batches ``in_progress`` (to interrupt a client mid-poll); ``refuse`` fails
every batch's validation with that error. ``batch_id(n)`` names the n-th batch (a hostile
server's may hold ``/`` or ``..``). ``outputs`` breaks output files: ``"gone"`` (their content
is a 404, as after a provider deleted them), ``"unnamed"`` (a completed batch names none),
``"foreign"`` (it answers requests of another batch), ``"undecodable"`` (their content is not UTF-8);
``"empty"`` names an error file even when no line failed, an empty one.

    with BatchesServer(engine) as server:
        settings = Settings(base_url=server.base_url, model="m")
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote

Engine = Callable[[dict], "dict | None"]


def _multipart(body: bytes, content_type: str) -> dict[str, bytes]:
    """The fields of a multipart/form-data body (enough for what the openai SDK sends)."""
    boundary = re.search(r"boundary=\"?([^\";]+)\"?", content_type).group(1).encode()
    fields = {}
    for part in body.split(b"--" + boundary):
        if b"\r\n\r\n" not in part:
            continue
        head, value = part.split(b"\r\n\r\n", 1)
        name = re.search(rb'name="([^"]+)"', head)
        if name:
            fields[name.group(1).decode()] = value[:-2] if value.endswith(b"\r\n") else value
    return fields


class BatchesServer:
    """Start with ``with BatchesServer(engine) as server:``; ``server.base_url`` ends in ``/v1``."""

    def __init__(self, engine: Engine, models: list[str] | None = None) -> None:
        self.engine = engine
        self.models = models or ["scripted"]
        self.hold = False
        self.refuse: dict | None = None  # a batch error: every batch fails validation with it
        self.batch_id: Callable[[int], str] = lambda n: f"batch_{n}"
        self.outputs = "kept"
        self.files: dict[str, dict[str, Any]] = {}
        self.batches: dict[str, dict[str, Any]] = {}
        self.calls: list[tuple[str, str]] = []  # (method, path) of every request
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}/v1"

    def count(self, method: str, pattern: str) -> int:
        return sum(1 for m, p in self.calls if m == method and re.fullmatch(pattern, p))

    # -- the API --------------------------------------------------------------------------

    def _file(self, content: bytes, purpose: str, filename: str) -> dict[str, Any]:
        file_id = f"file-{len(self.files) + 1}"
        record = {"id": file_id, "object": "file", "bytes": len(content), "created_at": int(time.time()),
                  "filename": filename, "purpose": purpose, "status": "processed"}
        self.files[file_id] = {**record, "content": content}
        return record

    def _public(self, batch: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in batch.items() if not k.startswith("_")}

    def _advance(self, batch: dict[str, Any]) -> None:
        if batch["status"] == "validating" and self.refuse:
            batch.update(status="failed", errors={"object": "list", "data": [self.refuse]})
        elif batch["status"] == "validating":
            batch["status"] = "in_progress"
        elif batch["status"] == "in_progress" and not self.hold:
            lines = [json.loads(x) for x in self.files[batch["input_file_id"]]["content"].decode().splitlines() if x.strip()]
            answered = [a for a in (self.engine(line) for line in lines) if a is not None]
            good = [a for a in answered if (a.get("response") or {}).get("status_code") == 200]
            bad = [a for a in answered if a not in good]
            shown = [{**a, "custom_id": f"a9999999-{n}"} for n, a in enumerate(good)] if self.outputs == "foreign" else good
            for kind, rows in (("output_file_id", shown), ("error_file_id", bad)):
                if (rows or self.outputs == "empty") and not (kind == "output_file_id" and self.outputs == "unnamed"):
                    text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in reversed(rows))
                    batch[kind] = self._file(text.encode(), "batch_output", f"{batch['id']}-{kind}.jsonl")["id"]
            batch["request_counts"] = {"total": len(lines), "completed": len(good), "failed": len(bad)}
            batch["status"] = "completed" if len(answered) == len(lines) else "expired"

    def handle(self, method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, Any]:
        with self._lock:
            self.calls.append((method, path))
            route = path.split("?", 1)[0].removeprefix("/v1")
            if method == "GET" and route == "/models":
                return 200, {"object": "list", "data": [{"id": m, "object": "model"} for m in self.models]}
            if method == "POST" and route == "/files":
                fields = _multipart(body, headers.get("Content-Type", ""))
                if fields.get("purpose") != b"batch":
                    return 400, {"error": {"message": "purpose must be batch", "type": "invalid_request_error"}}
                return 200, self._file(fields["file"], "batch", "input.jsonl")
            match = re.fullmatch(r"/files/([^/]+)/content", route)
            if method == "GET" and match:
                gone = self.outputs == "gone" and self.files.get(match.group(1), {}).get("purpose") == "batch_output"
                if match.group(1) not in self.files or gone:
                    return 404, {"error": {"message": "No such File object: " + match.group(1)}}
                if self.outputs == "undecodable" and self.files.get(match.group(1), {}).get("purpose") == "batch_output":
                    return 200, "結果".encode("big5")
                return 200, self.files[match.group(1)]["content"]
            if method == "POST" and route == "/batches":
                request = json.loads(body)
                if request.get("endpoint") != "/v1/chat/completions" or request.get("completion_window") != "24h":
                    return 400, {"error": {"message": f"bad batch request {request}"}}
                if request.get("input_file_id") not in self.files:
                    return 404, {"error": {"message": "no such file"}}
                batch_id = self.batch_id(len(self.batches) + 1)
                self.batches[batch_id] = {
                    "id": batch_id, "object": "batch", "endpoint": request["endpoint"], "errors": None,
                    "input_file_id": request["input_file_id"], "completion_window": "24h", "status": "validating",
                    "output_file_id": None, "error_file_id": None, "created_at": int(time.time()),
                    "request_counts": {"total": 0, "completed": 0, "failed": 0},
                }
                return 200, self._public(self.batches[batch_id])
            if method == "GET" and route == "/batches":
                data = [self._public(b) for b in reversed(list(self.batches.values()))]
                return 200, {"object": "list", "data": data, "has_more": False}
            match = re.fullmatch(r"/batches/(.+)", route)
            if method == "GET" and match and unquote(match.group(1)) in self.batches:
                batch = self.batches[unquote(match.group(1))]
                self._advance(batch)
                return 200, self._public(batch)
            return 404, {"error": {"message": f"no route {method} {path}"}}

    def __enter__(self) -> BatchesServer:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                status, payload = server.handle(self.command, self.path, dict(self.headers), raw)
                data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/octet-stream" if isinstance(payload, bytes) else "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _answer

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
