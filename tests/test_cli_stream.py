"""On a terminal the CLI shows one summary as it streams in, then the checked text if it differs."""

from __future__ import annotations

import contextlib
import io
import os

from scripted_server import ScriptedServer, Step

from summarize import cli

ARTICLE = "臺南市政府今天宣布，明年起擴大公車路網，新增十二條路線。"
SUMMARY = "Tainan will add twelve bus routes next year."


class Terminal(io.StringIO):
    """A stdout that says it is a terminal, and keeps how many writes it got."""

    writes = 0

    def isatty(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self.writes += 1
        return super().write(text)


def run_on_terminal(tmp_path, server: ScriptedServer) -> tuple[int, Terminal]:
    path = tmp_path / "a.txt"
    path.write_text(ARTICLE, encoding="utf-8")
    saved = dict(os.environ)
    os.environ.update(SUMMARIZE_BASE_URL=server.base_url, SUMMARIZE_MODEL="scripted", SUMMARIZE_RETRY_BACKOFF="0.01")
    out = Terminal()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
            code = cli.main([str(path)])
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return code, out


def test_a_summary_streams_to_a_terminal_piece_by_piece(tmp_path):
    with ScriptedServer(default=lambda seen: Step.reply(SUMMARY)) as server:
        code, out = run_on_terminal(tmp_path, server)
    assert code == 0
    assert out.getvalue() == SUMMARY + "\n"  # shown once: the checked text is what streamed
    assert out.writes > 3  # the scripted server streams it in pieces, and each was shown as it came
    assert server.chat_requests[0].streamed


def test_when_the_checked_summary_differs_from_what_streamed_it_follows(tmp_path):
    loop = "The city will add routes. " * 12
    with ScriptedServer() as server:
        server.script(Step.reply(loop, finish_reason="length"), Step.reply(SUMMARY))
        code, out = run_on_terminal(tmp_path, server)
    assert code == 0
    streamed, checked = out.getvalue().split("\n\n--- checked ---\n")
    assert streamed.startswith("The city will add routes.") and streamed.endswith(SUMMARY)
    assert checked.strip() == SUMMARY


def test_a_warning_while_a_summary_streams_starts_on_a_line_of_its_own(tmp_path, capsys):
    # A re-ask's warning went to stderr in the middle of the first reply's streamed line, and the
    # second reply streamed on straight after it.
    chinese = "臺南市政府明年將新增十二條公車路線，擴大公車路網，方便市民通勤。"
    with ScriptedServer() as server:
        server.script(Step.reply(chinese), Step.reply(SUMMARY))
        code, out = run_on_terminal(tmp_path, server)
    assert code == 0
    shown = out.getvalue()
    assert shown.startswith(chinese + "\n" + SUMMARY)  # the warning came between, on its own line
    assert shown.endswith("--- checked ---\n" + SUMMARY + "\n")


def test_a_reply_that_breaks_off_while_it_streams_leaves_each_line_of_its_own(tmp_path):
    # The broken-off text of each attempt ran together on one line, and the error after them.
    import json

    piece = {"id": "x", "object": "chat.completion.chunk", "created": 0, "model": "scripted",
             "choices": [{"index": 0, "delta": {"role": "assistant", "content": "Tainan will add"}, "finish_reason": None}]}
    event = f"data: {json.dumps(piece)}\n\n".encode()
    broken = Step(raw=event + b"data: {", content_type="text/event-stream", cut=len(event) + 3)
    with ScriptedServer() as server:
        server.script(broken, broken, Step.reply(SUMMARY))
        code, out = run_on_terminal(tmp_path, server)
        assert code == 0 and len(server.chat_requests) == 3
    shown, checked = out.getvalue().split("\n\n--- checked ---\n")
    assert shown == "Tainan will add\nTainan will add\n" + SUMMARY  # a warning between each, on stderr
    assert checked.strip() == SUMMARY
    with ScriptedServer(default=lambda seen: broken) as server:
        code, out = run_on_terminal(tmp_path, server)
    assert code == 1 and out.getvalue().endswith("Tainan will add\n")  # the error starts a line of its own


def test_an_interrupt_while_a_summary_streams_is_said_on_a_line_of_its_own(tmp_path):
    # "summarize: interrupted; ..." went to stderr at the end of the half-printed summary's line.
    class Interrupted(Terminal):
        def write(self, text: str) -> int:
            if self.writes == 1:  # Ctrl-C as the second piece arrives
                self.writes += 1
                raise KeyboardInterrupt
            return super().write(text)

    path = tmp_path / "a.txt"
    path.write_text(ARTICLE, encoding="utf-8")
    saved = dict(os.environ)
    os.environ.update(SUMMARIZE_BASE_URL="", SUMMARIZE_MODEL="scripted")
    out, err = Interrupted(), io.StringIO()
    try:
        with ScriptedServer(default=lambda seen: Step.reply(SUMMARY)) as server:
            os.environ["SUMMARIZE_BASE_URL"] = server.base_url
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                code = cli.main([str(path)])
    finally:
        os.environ.clear()
        os.environ.update(saved)
    assert code == 130 and err.getvalue().startswith("summarize: interrupted")
    shown = out.getvalue()
    assert shown.endswith("\n") and shown.count("\n") == 1 and SUMMARY.startswith(shown.strip())


def _screen(raw: str) -> list[str]:
    """What a terminal shows of ``raw``: a carriage return goes back to the line's start, where
    the next characters overwrite what is there."""
    lines, line, at = [], [], 0
    for char in raw:
        if char == "\n":
            lines.append("".join(line).rstrip())
            line, at = [], 0
        elif char == "\r":
            at = 0
        else:
            line[at:at + 1] = [char]
            at += 1
    return lines + ["".join(line).rstrip()]


def test_results_and_warnings_start_on_lines_of_their_own_under_the_progress_bar(tmp_path):
    # Written while the bar was drawn, a result began on the bar's line and was overwritten by it
    # ("replies=1]==> a1.txt <==" on a terminal), and so did the library's warnings.
    import fcntl
    import pty
    import struct
    import subprocess
    import sys
    import termios

    files = []
    for n in range(3):
        path = tmp_path / f"a{n}.txt"
        path.write_text(ARTICLE, encoding="utf-8")
        files.append(path.name)
    with ScriptedServer(default=lambda seen: Step.reply(SUMMARY + " It costs NT$999 million.", delay=0.6)) as server:
        leader, follower = pty.openpty()
        fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
        env = {**os.environ, "SUMMARIZE_BASE_URL": server.base_url, "SUMMARIZE_MODEL": "m", "SUMMARIZE_CACHE": "0"}
        process = subprocess.Popen(
            [sys.executable, "-m", "summarize", *files], stdin=subprocess.DEVNULL, stdout=follower, stderr=follower,
            env=env, cwd=tmp_path,
        )
        os.close(follower)
        raw = b""
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the terminal closed with the process
                break
            if not chunk:
                break
            raw += chunk
        assert process.wait(timeout=60) == 0
        os.close(leader)
    shown = _screen(raw.decode("utf-8", "replace"))
    assert any("article" in line for line in raw.decode("utf-8", "replace").split("\r")), "no progress bar was drawn"
    headers = [line for line in shown if "<==" in line]
    assert sorted(headers) == [f"==> {name} <==" for name in ("a0.txt", "a1.txt", "a2.txt")], shown
    warnings = [line for line in shown if "warning" in line]
    assert warnings and all(line.startswith("summarize: warning: ") for line in warnings), shown
    # Each names its article: three ran at once, and "dropped a sentence ..." could be any one's.
    assert all(line.split(": ")[2] in ("a0.txt", "a1.txt", "a2.txt") for line in warnings), warnings
    assert any("dropped a sentence" in line for line in warnings)
